//! Servers: the list a login reaches (search, pages of 50, the admin's add dialog), the
//! server page with the actions its permissions allow, the admin's inventory edits, owner
//! assignment, the console page, and the Servers tab of an account. Every handler loads
//! the server through `access::servers::find_reachable` first (outside reach: 404), then
//! asks for the action's permission (missing: 403), then validates input (422).

mod account_tab;
mod actions;
mod chart;
mod console;
mod create;
mod detail;
mod edit;
mod form;
mod list;
mod owner;

use actix_web::web;

use crate::access::servers::{find_reachable, Reachable};
use crate::access::Actor;
use crate::db::{self, DbError, DbPool};
use crate::driver::Requester;
use crate::routes::users::parse_id;
use crate::web::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/servers", web::get().to(list::page))
        .route("/servers", web::post().to(create::submit))
        .route("/servers/{sid}", web::get().to(detail::page))
        .route("/servers/{sid}/edit", web::get().to(edit::page))
        .route("/servers/{sid}/edit", web::post().to(edit::submit))
        .route("/servers/{sid}/delete", web::post().to(edit::delete))
        .route("/servers/{sid}/owner", web::post().to(owner::submit))
        .route("/servers/{sid}/power", web::post().to(actions::power))
        .route("/servers/{sid}/rename", web::post().to(actions::rename))
        .route("/servers/{sid}/rdns", web::post().to(actions::rdns))
        .route(
            "/servers/{sid}/reinstall",
            web::post().to(actions::reinstall),
        )
        .route("/servers/{sid}/rescue", web::post().to(actions::rescue))
        .route("/servers/{sid}/console", web::get().to(console::page))
        .route("/users/{id}/servers", web::get().to(account_tab::page))
        .route("/users/{id}/servers", web::post().to(account_tab::submit));
}

/// The server named by a path segment, if the actor reaches it; anything else is 404.
pub async fn reachable(pool: &DbPool, actor: &Actor, raw: &str) -> Result<Reachable, AppError> {
    let id = parse_id(raw)?;
    let actor = actor.clone();
    db::run(pool, move |c| {
        find_reachable(c, &actor, id).map_err(DbError::from)
    })
    .await?
    .ok_or(AppError::NotFound)
}

/// Who a driver job is recorded for: the acting login (the impersonator is in the audit).
pub fn requester(actor: &Actor) -> Requester {
    Requester {
        id: actor.login.id,
        name: actor.login.username.clone(),
    }
}

/// The account whose Activity tab records an action on a server: its customer, else its
/// reseller, else the acting login's own account.
pub fn audit_account(actor: &Actor, server: &crate::models::server::Server) -> i32 {
    server
        .owner_id
        .or(server.reseller_id)
        .unwrap_or_else(|| actor.account_id())
}
