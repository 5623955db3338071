//! Alias Users: the tab with its create dialog, the alias user page with its effective
//! access, the Assign Servers dialog, and the per-user actions (role, password, disable,
//! enable, delete, and an invitation's resend and cancel). Every handler loads its target
//! through `load_target`, which makes a missing or foreign id a 404, then asks
//! `access::aliases` before it acts.

mod actions;
mod create;
pub mod invitation;
pub mod offboard;
mod page;
mod servers;
mod status;
mod tab;

use actix_web::web;

use crate::access::Actor;
use crate::db::{DbConn, DbPool};
use crate::operations::aliases;
use crate::routes::table::Routes;
use crate::web::account::{parse_id, visible_account, visible_account_in};
use crate::web::confirm::{Ask, Asking};
use crate::web::pagination::ListQuery;
use crate::web::{AppError, Current, Visit};

pub use status::AliasStatus;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users/{id}/alias-users", tab::page)
        .reads::<ListQuery>()
        .post("/users/{id}/alias-users", create::submit)
        .reads::<create::CreateAliasForm>()
        .get("/users/{id}/alias-users/{aid}", page::page)
        .reads::<page::PageQuery>()
        .post("/users/{id}/alias-users/{aid}", actions::profile)
        .reads::<actions::ProfileForm>()
        .get(
            "/users/{id}/alias-users/{aid}/role-preview",
            page::role_preview,
        )
        .reads_fields(&["role_id"])
        .post("/users/{id}/alias-users/{aid}/role", actions::role)
        .reads::<actions::RoleForm>()
        .post("/users/{id}/alias-users/{aid}/password", actions::password)
        .reads::<actions::PasswordForm>()
        .post("/users/{id}/alias-users/{aid}/disable", actions::disable)
        .post("/users/{id}/alias-users/{aid}/enable", actions::enable)
        .post("/users/{id}/alias-users/{aid}/delete", actions::delete)
        .reads_fields(&["confirm"])
        .post("/users/{id}/alias-users/{aid}/offboard", offboard::offboard)
        .reads_fields(&["confirm"])
        .post(
            "/users/{id}/alias-users/{aid}/invitation/resend",
            invitation::resend,
        )
        .post(
            "/users/{id}/alias-users/{aid}/invitation/cancel",
            invitation::cancel,
        )
        .get("/users/{id}/alias-users/{aid}/servers", servers::page)
        .reads::<ListQuery>()
        // Read by hand (`form::first`, `form::all`): server_id repeats.
        .post("/users/{id}/alias-users/{aid}/servers", servers::submit)
        .reads_fields(&["action", "server_id", "q", "page", "confirm"]);
}

pub use crate::operations::aliases::Target;

/// Loads `/users/{id}/alias-users/{aid}`: the account must be visible to the actor and the
/// alias user must belong to it and be visible to the actor; anything else is 404.
pub async fn load_target(
    pool: &DbPool,
    actor: &Actor,
    id: &str,
    aid: &str,
) -> Result<Target, AppError> {
    let (id, aid) = (parse_id(id)?, parse_id(aid)?);
    let account = visible_account(pool, actor, id).await?;
    aliases::load(pool, actor, account, aid)
        .await?
        .ok_or(AppError::NotFound)
}

/// `load_target` on a connection the caller holds (a page view's `Visit::read`).
pub fn load_target_in(
    c: &mut DbConn,
    actor: &Actor,
    id: &str,
    aid: &str,
) -> Result<Target, AppError> {
    let account = visible_account_in(c, actor, id)?;
    aliases::load_in(c, actor, account, parse_id(aid)?)?.ok_or(AppError::NotFound)
}

/// The alias user a path names, refused (403) unless the actor may act on it (not itself,
/// not a login with more rights).
pub fn acted_on_in(c: &mut DbConn, actor: &Actor, id: &str, aid: &str) -> Result<Target, AppError> {
    let t = load_target_in(c, actor, id, aid)?;
    crate::access::aliases::may_act_on_alias(actor, &t.account, &t.alias, t.rights)
        .map_err(|_| AppError::Forbidden)?;
    Ok(t)
}

/// `Visit::change` for a POST about the alias user the path names (`{id}`, `{aid}`): the
/// closure gets the target the actor may act on (`acted_on_in`: 404 unknown or foreign,
/// 403 refused), in the same transaction as its change.
pub async fn change_on_alias<T: Send + 'static>(
    visit: &Visit,
    work: impl FnOnce(&mut DbConn, &Actor, Target) -> Result<T, AppError> + Send + 'static,
) -> Result<(Current, T), AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    visit
        .change(move |c, actor| {
            let t = acted_on_in(c, actor, &id, &aid)?;
            work(c, actor, t)
        })
        .await
}

/// `change_on_alias` for a POST that asks first. `ask` says what would happen to the
/// target; unless the form's `confirm` field answers it, nothing changes and the handler
/// gets the question (`Err(Asking)`) to render, otherwise what `work` answered.
pub async fn confirmed_on_alias<T: Send + 'static>(
    visit: &Visit,
    body: web::Bytes,
    ask: impl FnOnce(&Target) -> Ask + Send + 'static,
    work: impl FnOnce(&mut DbConn, &Actor, Target) -> Result<T, AppError> + Send + 'static,
) -> Result<(Current, Result<T, Asking>), AppError> {
    change_on_alias(visit, move |c, actor, t| {
        let fields = crate::web::form::pairs(&body)?;
        if let Err(asking) = ask(&t).confirmed_by(crate::web::form::first(&fields, "confirm")) {
            return Ok(Err(asking));
        }
        work(c, actor, t).map(Ok)
    })
    .await
}

/// The path of every per-alias route: the account id and the alias user id, as typed.
pub type AliasPath = web::Path<(String, String)>;

/// The URL of the Alias Users tab of an account.
pub fn tab_url(account_id: i32) -> String {
    format!("/users/{account_id}/alias-users")
}

/// The URL of an alias user's page.
pub fn alias_url(account_id: i32, alias_id: i32) -> String {
    format!("/users/{account_id}/alias-users/{alias_id}")
}
