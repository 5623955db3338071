//! Manage Users and the account detail page: the list (search, pages, add), the Account
//! Details tab (view and edit), an invited account's resend and cancel, and the tab bar
//! every account tab shares.

mod create;
mod detail;
mod edit;
mod invitation;
mod list;
pub mod tabs;

use crate::access::accounts::may_view_account;
use crate::access::Actor;
use crate::db::DbPool;
use crate::models::user::User;
use crate::routes::table::Routes;
use crate::web::pagination::ListQuery;
use crate::web::AppError;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users", list::page)
        .reads::<ListQuery>()
        .post("/users", create::submit)
        .reads::<create::AddAccountForm>()
        .get("/users/{id}", detail::page)
        .post("/users/{id}", edit::submit)
        .reads::<edit::EditForm>()
        .post("/users/{id}/invitation/resend", invitation::resend)
        .post("/users/{id}/invitation/cancel", invitation::cancel);
}

/// Loads a regular account the actor may see; anything else (missing, an alias user's id,
/// another tenant's account) is 404, so ids reveal nothing.
pub async fn visible_account(pool: &DbPool, actor: &Actor, id: i32) -> Result<User, AppError> {
    let target = pool.db(move |c| Ok(User::find(c, id)?)).await?;
    match target {
        Some(t) if may_view_account(actor, &t) => Ok(t),
        _ => Err(AppError::NotFound),
    }
}

/// Parses an id from a path segment; anything that is not a positive number is 404.
pub fn parse_id(raw: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}
