//! Every route of the panel, registered in one place. One folder per feature; each
//! folder's `configure` lists its own routes, and this file lists the folders.

pub mod activity;
pub mod admin;
pub mod alias_users;
pub mod api;
pub mod assets;
pub mod auth;
pub mod health;
pub mod home;
pub mod impersonation;
pub mod keys;
pub mod roles;
pub mod servers;
pub mod users;

use actix_web::web;

use crate::web::error::AppError;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(assets::configure)
        .configure(auth::configure)
        .configure(home::configure)
        .configure(users::configure)
        .configure(alias_users::configure)
        .configure(roles::configure)
        .configure(impersonation::configure)
        .configure(activity::configure)
        .configure(admin::configure)
        .configure(keys::configure)
        .configure(api::configure)
        .configure(servers::configure)
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
