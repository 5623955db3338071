//! The alias users of the key's account, for callers that manage them (alias_users.manage,
//! or the account itself): GET /api/v1/alias-users (search, pages of 50) and
//! GET /api/v1/alias-users/{aid} (another account's is 404) here; POST (create), PATCH
//! and DELETE (change.rs) and PUT .../servers (assign.rs) through `operations::aliases`,
//! the same operations as the Alias Users tab: the same checks, the same audit rows, the
//! same field messages.

mod assign;
mod change;

pub use assign::{__path_set_servers, set_servers, AliasServersRequest};
pub use change::{__path_delete, __path_update, delete, update, UpdateAliasRequest};

use std::collections::HashMap;

use chrono::NaiveDate;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::servers::ListParams;
use super::{
    list_page, path_id, refusal, timestamp, ApiCall, ApiCaller, ApiError, ErrorBody, PER_PAGE,
};
use crate::access::actor::account_reach;
use crate::access::aliases::may_manage_aliases;
use crate::db::{self, DbConn};
use crate::models::audit::NewAuditEntry;
use crate::models::role::Role;
use crate::models::user::User;
use crate::models::{alias, now};
use crate::operations::aliases::{self, NewAlias, Target};
use crate::routes::alias_users::AliasStatus;

refusal!(
    NotManagingAliases,
    "403",
    "The login may not manage alias users"
);
refusal!(
    NoSuchAlias,
    "404",
    "No such alias user in the key's account"
);

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 41, "username": "ops-anna", "email": "anna@example.net", "role": {"id": 3, "name": "Operators"}, "status": "active", "all_servers": false, "assigned_servers": 2, "expires_on": "2027-06-30", "last_login_at": "2026-11-02T09:14:00Z", "invited_at": null}))]
pub struct AliasUserOut {
    pub id: i32,
    pub username: String,
    pub email: String,
    pub role: Option<RoleRef>,
    /// "active", "invited" (it has not chosen its password yet), "disabled" or "expired".
    pub status: String,
    /// Reaches every server of the account.
    pub all_servers: bool,
    /// Servers assigned to it (when not all servers).
    pub assigned_servers: i64,
    pub expires_on: Option<String>,
    pub last_login_at: Option<String>,
    /// When its invitation was sent, while it is invited.
    pub invited_at: Option<String>,
}

impl AliasUserOut {
    /// The alias user `a` with its role, its count of assigned servers, and its status
    /// on `today`.
    fn new(a: User, role: Option<RoleRef>, assigned_servers: i64, today: NaiveDate) -> Self {
        AliasUserOut {
            role,
            status: AliasStatus::of(&a, today).key().to_string(),
            assigned_servers,
            expires_on: a.expires_on.map(|d| d.to_string()),
            last_login_at: a.last_login_at.map(timestamp),
            invited_at: a.invited_at.map(timestamp),
            all_servers: a.all_servers,
            id: a.id,
            username: a.username,
            email: a.email,
        }
    }
}

list_page!(
    #[schema(example = json!({"items": [{"id": 41, "username": "ops-anna", "email": "anna@example.net", "role": {"id": 3, "name": "Operators"}, "status": "active", "all_servers": false, "assigned_servers": 2, "expires_on": "2027-06-30", "last_login_at": "2026-11-02T09:14:00Z", "invited_at": null}], "total": 1, "page": 1, "pages": 1, "per_page": 50}))]
    AliasUserPage of AliasUserOut
);

#[utoipa::path(
    get,
    path = "/api/v1/alias-users",
    operation_id = "list_alias_users",
    tag = "alias users",
    params(ListParams),
    responses(
        (status = 200, description = "A page of the account's alias users", body = AliasUserPage),
        NotManagingAliases,
    ),
)]
pub async fn list(call: ApiCall, query: web::Query<ListParams>) -> Result<HttpResponse, ApiError> {
    let (text, page_no) = query.search();
    let (page, roles, counts) = call
        .read(move |c, caller| {
            let account = managed_account(caller)?;
            let reach = account_reach(&account);
            let page = alias::list(c, account.id, &text, page_no, PER_PAGE)?;
            let roles: HashMap<i32, String> = Role::list_for_account(c, account.id)?
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect();
            let ids: Vec<i32> = page.rows.iter().map(|a| a.id).collect();
            let counts = alias::assigned_counts(c, &ids, &reach)?;
            Ok((page, roles, counts))
        })
        .await?;
    let today = now().date();
    Ok(HttpResponse::Ok().json(AliasUserPage::new(page, |a| {
        let role = a.role_id.and_then(|id| {
            roles.get(&id).map(|name| RoleRef {
                id,
                name: name.clone(),
            })
        });
        let assigned = counts.get(&a.id).copied().unwrap_or(0);
        AliasUserOut::new(a, role, assigned, today)
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/alias-users/{aid}",
    operation_id = "show_alias_user",
    tag = "alias users",
    params(("aid" = i32, Path, description = "Alias user id")),
    responses(
        (status = 200, description = "The alias user", body = AliasUserOut),
        NotManagingAliases,
        NoSuchAlias,
    ),
)]
pub async fn show(call: ApiCall, aid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = call
        .read(move |c, caller| {
            let account = managed_account(caller)?;
            one(c, &account, path_id(&aid)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(found.ok_or_else(|| ApiError::NotFound("no such alias user".into()))?))
}

/// The key's account, if the caller manages its alias users (403 otherwise: every alias
/// route asks this first, so a refused key learns nothing about the ids it names).
fn managed_account(caller: &ApiCaller) -> Result<User, ApiError> {
    let account = caller.actor.account().clone();
    if !may_manage_aliases(&caller.actor, &account) {
        return Err(ApiError::Forbidden(
            "this key's login may not manage alias users",
        ));
    }
    Ok(account)
}

/// The alias user `aid` of the key's account as the operations take it, and the audit
/// entry of `action` on it: 403 for a caller that may not manage alias users (asked
/// first, as `show` does), 404 for a missing or foreign id.
fn target(
    c: &mut DbConn,
    caller: &ApiCaller,
    aid: &str,
    action: &str,
) -> Result<(Target, NewAuditEntry), ApiError> {
    let account = managed_account(caller)?;
    let target = aliases::load_in(c, &caller.actor, account, path_id(aid)?)?
        .ok_or_else(|| ApiError::NotFound("no such alias user".into()))?;
    let who = caller.audit(target.account.id, action);
    Ok((target, who))
}

/// An alias user of `account` as the API shows it (None for another account's, or none).
fn one(c: &mut DbConn, account: &User, aid: i32) -> Result<Option<AliasUserOut>, ApiError> {
    let account_id = account.id;
    let Some(a) = User::find(c, aid)?.filter(|a| a.is_alias() && a.parent_id == Some(account_id))
    else {
        return Ok(None);
    };
    let role = match a.role_id {
        Some(rid) => Role::find_in_account(c, account_id, rid)?.map(|r| RoleRef {
            id: r.id,
            name: r.name,
        }),
        None => None,
    };
    let assigned = alias::assigned_counts(c, &[a.id], &account_reach(account))?
        .get(&a.id)
        .copied()
        .unwrap_or(0);
    Ok(Some(AliasUserOut::new(a, role, assigned, now().date())))
}

/// A new alias user, as `POST /api/v1/alias-users` reads it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"username": "ops-anna", "email": "anna@example.net", "role_id": 3, "password": "a long passphrase", "expires_at": "2027-06-30"}))]
pub struct CreateAliasRequest {
    pub username: String,
    pub email: String,
    /// One of the account's roles.
    pub role_id: i32,
    /// Its password (10 characters or more).
    #[serde(default)]
    pub password: Option<String>,
    /// Send an invitation by e-mail instead of setting a password (then give no password):
    /// the login is "invited" until it chooses its password through the mailed link, which
    /// works once, within 72 hours. An address that already belongs to a login is refused.
    #[serde(default)]
    pub invite: bool,
    /// Reach every server of the account (only for callers that reach them all).
    #[serde(default)]
    pub all_servers: bool,
    /// The last day it may log in (YYYY-MM-DD); absent for never.
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/alias-users",
    tag = "alias users",
    request_body = CreateAliasRequest,
    responses(
        (status = 201, description = "The alias user was created (with `invite`, its status is \"invited\" and the mail is queued)", body = AliasUserOut),
        (status = 403, description = "The login may not manage alias users, or may not grant that role or all servers", body = ErrorBody),
        (status = 422, description = "Problems with the input, by field (the same messages as the page)", body = ErrorBody),
    ),
)]
/// Create an alias user
///
/// With a `password`, the alias user can log in at once. With `"invite": true` and no
/// password, it is invited by e-mail instead: its status is "invited" (`invited_at` says
/// since when) until it chooses a password through the mailed link, which works once,
/// within 72 hours; an address that already belongs to a login is a 422 on `email`.
pub async fn create(
    call: ApiCall,
    body: web::Json<CreateAliasRequest>,
) -> Result<HttpResponse, ApiError> {
    let state = call.state();
    let body = body.into_inner();
    let input = NewAlias {
        username: body.username,
        email: body.email,
        password: body.password.unwrap_or_default(),
        role_id: body.role_id.to_string(),
        all_servers: body.all_servers,
        expires_at: body.expires_at.unwrap_or_default(),
        invite: body.invite,
    };
    // Two hand-offs: the checks with the key, then the write, with the password hashed
    // between them, as Argon2 must not hold a transaction (or SQLite's one writer) open.
    let (actor, account, who, mut checked) = call
        .read(move |c, caller| {
            let account = caller.actor.account().clone();
            let checked = aliases::check_create_in(c, &caller.actor, &account, input)?;
            let who = caller.audit(account.id, "alias.create");
            Ok((caller.actor.clone(), account, who, checked))
        })
        .await?;
    let hash = checked.password_hash().await?;
    let links = state.links.clone();
    let out = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            let created = aliases::create_in(c, &actor, who, &account, &links, checked, hash)?;
            one(c, &account, created.id)
        })
    })
    .await?
    .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Created().json(out))
}
