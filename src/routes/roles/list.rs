//! GET /users/{id}/roles: the Roles tab. Each role with its description, how many
//! permissions it holds (and how many of them are risky), and how many alias users hold
//! it; two grouped queries whatever the number of roles, no query per row.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::managed_account;
use crate::access::roles::{may_edit_role, risky, RoleRefusal};
use crate::access::PermissionSet;
use crate::db::{self, DbError};
use crate::models::role::{self, Role};
use crate::models::user::User;
use crate::routes::users::tabs::{self, Tab};
use crate::web::chrome::Chrome;
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
    pub chrome: Option<Chrome>,
    pub account: User,
    pub tabs: Vec<Tab>,
    pub active_tab: &'static str,
    pub rows: Vec<Row>,
    /// A refusal to show above the table (a role in use that was to be deleted).
    pub problem: Option<String>,
}

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
    let account_id = account.id;
    let (roles, keys, usage) = db::run(&state.pool, move |c| {
        let roles = Role::list_for_account(c, account_id)?;
        let ids: Vec<i32> = roles.iter().map(|r| r.id).collect();
        let keys = role::permissions_of_many(c, &ids)?;
        let usage: HashMap<i32, i64> = role::usage_counts(c, &ids)?.into_iter().collect();
        Ok::<_, DbError>((roles, keys, usage))
    })
    .await?;
    let mut keys_by_role: HashMap<i32, Vec<String>> = HashMap::new();
    for (rid, key) in keys {
        keys_by_role.entry(rid).or_default().push(key);
    }
    let rows = roles
        .into_iter()
        .map(|r| {
            let set = keys_by_role
                .get(&r.id)
                .map(|k| PermissionSet::from_known_keys(k))
                .unwrap_or_default();
            let locked = may_edit_role(&current.actor, &account, r.id, set)
                .err()
                .map(|why| match why {
                    RoleRefusal::OwnRole => "your role",
                    RoleRefusal::BeyondEditor => "beyond your rights",
                });
            Row {
                permission_count: set.len(),
                risky_count: risky(set).len(),
                users: usage.get(&r.id).copied().unwrap_or(0),
                locked,
                role: r,
            }
        })
        .collect();
    Ok(ListPage {
        chrome: Some(current.chrome(if current.actor.login.id == account.id {
            "account"
        } else {
            "users"
        })),
        tabs: tabs::for_account(&current.actor, &account),
        active_tab: "roles",
        account,
        rows,
        problem,
    })
}
