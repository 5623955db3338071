//! Steward: the account-and-access side of a bare-metal server panel.
//!
//! Layers, from the top: `routes` (one folder per feature, with `web` plumbing beside
//! them) → `access` (every "may this login do that") → `models` (their own queries) →
//! `db` (pool, backends, migrations). `domain` and `security` are leaf helpers, and so is `ops::metrics`, which every layer
//! reports into. Nothing
//! lower imports anything higher.

pub mod access;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod driver;
pub mod jobs;
pub mod mail;
pub mod models;
pub mod operations;
pub mod ops;
pub mod routes;
pub mod security;
pub mod startup;
pub mod web;

/// What every handler can reach: the database pool, and the two-factor settings.
#[derive(Clone)]
pub struct AppState {
    pub pool: db::DbPool,
    /// STEWARD_REQUIRE_2FA.
    pub require_two_factor: access::two_factor::InstallPolicy,
    /// The key TOTP secrets are sealed under at rest (derived from STEWARD_SECRET_KEY).
    pub factor_key: Vec<u8>,
    /// The panel as a WebAuthn relying party (from STEWARD_PUBLIC_URL), or why passkeys
    /// are off (a public address that is an IP, not a domain name).
    pub passkeys: std::sync::Arc<Result<security::passkey::RelyingParty, String>>,
    /// Where links in mails point (STEWARD_PUBLIC_URL, or the bound address).
    pub links: mail::Links,
    /// Wakes the driver worker after an action queued a server job, and lets the action's
    /// answer wait for the controller's (`Limits::driver_wait` at most).
    pub jobs: jobs::driver::Jobs,
    pub driver_wait: std::time::Duration,
}

impl AppState {
    /// Database work for a handler (`db::DbPool::db`).
    pub async fn db<T, F>(&self, work: F) -> Result<T, db::DbError>
    where
        F: FnOnce(&mut db::DbConn) -> Result<T, db::DbError> + Send + 'static,
        T: Send + 'static,
    {
        self.pool.db(work).await
    }

    /// One write transaction for a handler (`db::DbPool::tx`).
    pub async fn tx<T, F>(&self, work: F) -> Result<T, db::DbError>
    where
        F: FnOnce(&mut db::DbConn) -> Result<T, db::DbError> + Send + 'static,
        T: Send + 'static,
    {
        self.pool.tx(work).await
    }

    /// One write transaction whose closure the access rules may refuse (the gates in
    /// `access::changes` answer 403 or 404 as an `AppError`); rolled back on any error.
    pub async fn change<T, F>(&self, work: F) -> Result<T, web::AppError>
    where
        F: FnOnce(&mut db::DbConn) -> Result<T, web::AppError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(&self.pool, move |c| db::transaction(c, work)).await
    }
}
