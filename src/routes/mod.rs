//! Every route of the panel, registered in one place. One folder per feature; each
//! folder's `configure` lists its own routes, and this file lists the folders.

pub mod activity;
pub mod admin;
pub mod alias_users;
pub mod api;
pub mod assets;
pub mod auth;
mod fields;
pub mod health;
pub mod home;
pub mod impersonation;
pub mod invitations;
pub mod keys;
pub mod review;
pub mod roles;
pub mod security;
pub mod servers;
pub mod sessions;
pub mod table;
pub mod users;

use actix_web::web;

use crate::web::error::AppError;

pub use table::{RouteRow, RouteTable, Routes};

/// Registers every route on the server (see table.rs for why they go through `Routes`).
pub fn register(cfg: &mut web::ServiceConfig) {
    collect(cfg, &mut RouteTable::default());
}

fn collect(cfg: &mut web::ServiceConfig, table: &mut RouteTable) {
    let mut routes = Routes::new(cfg, table);
    health::configure(&mut routes);
    assets::configure(&mut routes);
    auth::configure(&mut routes);
    invitations::configure(&mut routes);
    home::configure(&mut routes);
    users::configure(&mut routes);
    alias_users::configure(&mut routes);
    roles::configure(&mut routes);
    review::configure(&mut routes);
    impersonation::configure(&mut routes);
    activity::configure(&mut routes);
    admin::configure(&mut routes);
    keys::configure(&mut routes);
    sessions::configure(&mut routes);
    api::configure(&mut routes);
    servers::configure(&mut routes);
    security::configure(&mut routes);
    cfg.default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
