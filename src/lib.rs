//! Steward: the account-and-access side of a bare-metal server panel.
//!
//! Layers, from the top: `routes` (one folder per feature, with `web` plumbing beside
//! them) → `access` (every "may this login do that") → `models` (their own queries) →
//! `db` (pool, backends, migrations). `domain` and `security` are leaf helpers. Nothing
//! lower imports anything higher.

pub mod access;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod driver;
pub mod models;
pub mod operations;
pub mod routes;
pub mod security;
pub mod startup;
pub mod web;

/// What every handler can reach: the database pool.
#[derive(Clone)]
pub struct AppState {
    pub pool: db::DbPool,
}
