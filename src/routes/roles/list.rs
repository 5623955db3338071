//! GET /users/{id}/roles: the Roles tab. Each role with its description, how many
//! permissions it holds (and how many of them are risky), and how many alias users hold
//! it (`operations::roles::summaries`, which the API lists too).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::managed_account;
use crate::access::roles::{risky, RoleRefusal};
use crate::models::role::Role;
use crate::models::user::User;
use crate::operations::roles;
use crate::routes::users::tabs::AccountTab;
use crate::web::{render, AppError, Current};
use crate::AppState;

pub struct Row {
    pub role: Role,
    pub permission_count: usize,
    pub risky_count: usize,
    pub users: i64,
    /// Why this login may not open the role, if it may not.
    pub locked: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "roles/list.html")]
pub struct ListPage {
    pub frame: AccountTab,
    pub rows: Vec<Row>,
    /// A refusal to show above the table (a role in use that was to be deleted).
    pub problem: Option<String>,
}

crate::account_tab_page!(ListPage);

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = managed_account(&state.pool, &current.actor, &path).await?;
    let page = build(&current, &state, account, None).await?;
    render::page(&page)
}

pub async fn build(
    current: &Current,
    state: &AppState,
    account: User,
    problem: Option<String>,
) -> Result<ListPage, AppError> {
    let rows = roles::summaries(&state.pool, &current.actor, &account, None)
        .await?
        .into_iter()
        .map(|r| Row {
            permission_count: r.permissions.len(),
            risky_count: risky(r.permissions).len(),
            users: r.holders,
            locked: r.locked.map(|why| match why {
                RoleRefusal::OwnRole => "your role",
                RoleRefusal::BeyondEditor => "beyond your rights",
            }),
            role: r.role,
        })
        .collect();
    Ok(ListPage {
        frame: AccountTab::of_login(current, account, "roles"),
        rows,
        problem,
    })
}
