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

use crate::access::servers::{find_reachable, Reachable};
use crate::access::Actor;
use crate::db::DbConn;
use crate::routes::table::Routes;
use crate::web::account::parse_id;
use crate::web::pagination::ListQuery;
use crate::web::AppError;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/servers", list::page)
        .reads::<ListQuery>()
        .post("/servers", create::submit)
        .reads::<form::ServerForm>()
        .get("/servers/{sid}", detail::page)
        .get("/servers/{sid}/edit", edit::page)
        .post("/servers/{sid}/edit", edit::submit)
        .reads::<form::ServerForm>()
        .post("/servers/{sid}/delete", edit::delete)
        .reads_fields(&["confirm"])
        .post("/servers/{sid}/owner", owner::submit)
        .reads::<owner::OwnerForm>()
        .post("/servers/{sid}/power", actions::power)
        .reads::<actions::ActionForm>()
        .post("/servers/{sid}/rename", actions::rename)
        .reads::<actions::ActionForm>()
        .post("/servers/{sid}/rdns", actions::rdns)
        .reads::<actions::ActionForm>()
        // Read by hand (`form::first`, `form::all`): the ssh_key field repeats.
        .post("/servers/{sid}/reinstall", actions::reinstall)
        .reads_fields(&["os", "ssh_key", "confirm"])
        .post("/servers/{sid}/rescue", actions::rescue)
        .reads_fields(&["action", "ssh_key", "confirm"])
        .get("/servers/{sid}/console", console::page)
        .get("/users/{id}/servers", account_tab::page)
        .reads::<ListQuery>()
        .post("/users/{id}/servers", account_tab::submit)
        .reads::<account_tab::TabForm>();
}

/// The server named by a path segment, if the actor reaches it; anything else is 404.
pub fn reachable_in(c: &mut DbConn, actor: &Actor, raw: &str) -> Result<Reachable, AppError> {
    find_reachable(c, actor, parse_id(raw)?)?.ok_or(AppError::NotFound)
}

pub use crate::operations::servers::audit_account;
