//! The alias roles of the key's account: GET /api/v1/roles (each with its permissions and
//! how many alias users hold it), GET /api/v1/roles/{rid}, POST /api/v1/roles (create),
//! PATCH /api/v1/roles/{rid} (save; absent fields keep their value) and DELETE
//! /api/v1/roles/{rid}. Who may is the Roles tab's rule (`access::roles::may_manage_roles`),
//! asked of the actor the key's grants cut down, so a key granted less than its login
//! holds is refused what the grant lacks. Changes go through `operations::roles`, the
//! same operations as the tab: same checks, same messages, same audit rows. Answers: 403
//! refused (no right, the caller's own role, a role beyond its rights, or a change that
//! would leave a holder with more than the caller holds), 404 another account's or no
//! role, 409 a role alias users still hold (the tab answers 409 too), 422 field errors by
//! name, `confirm_dangerous` among them when dangerous permissions were not confirmed.
//! Roles are answered as HTML-safe JSON (`json::answer`): names and descriptions are
//! text callers chose.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{json, permission_keys, refusal, timestamp, ApiCall, ApiCaller, ApiError, ErrorBody};
use crate::access::roles::{grantable, may_manage_roles, risky};
use crate::access::{Actor, PermissionSet};
use crate::db::DbConn;
use crate::models::role::{self, Role};
use crate::models::user::User;
use crate::operations::roles::{self as op, RecentAuth, RoleError, RoleInput};
use crate::web::account::parse_id;

/// The role the document's examples show.
fn role_example() -> serde_json::Value {
    serde_json::json!({
        "id": 7,
        "name": "Operations",
        "description": "On-call engineers",
        "permissions": ["servers.view", "servers.power", "servers.reinstall"],
        "dangerous": ["servers.reinstall"],
        "require_two_factor": true,
        "alias_users": 2,
        "locked": null,
        "created_at": "2026-03-01T09:30:00Z",
        "updated_at": "2026-03-04T16:05:12Z"
    })
}

fn role_list_example() -> serde_json::Value {
    serde_json::json!({"items": [role_example()], "total": 1})
}

/// A role as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = role_example)]
pub struct RoleOut {
    pub id: i32,
    pub name: String,
    pub description: String,
    /// Its permission keys, in catalog order.
    pub permissions: Vec<String>,
    /// Those of its permissions that carry a risk warning: saving the role needs
    /// `confirm_dangerous: true` while it holds any.
    pub dangerous: Vec<String>,
    /// Alias users holding it must use two-factor authentication.
    pub require_two_factor: bool,
    /// How many alias users hold it (a role in use cannot be deleted).
    pub alias_users: i64,
    /// Why this key may not change or delete it (it is the key's own role, or it holds
    /// permissions beyond the key's); null when it may.
    pub locked: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = role_list_example)]
pub struct RoleList {
    /// Every role of the account, by name.
    pub items: Vec<RoleOut>,
    pub total: i64,
}

/// A new role, as `POST /api/v1/roles` reads it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "Operations",
    "description": "On-call engineers",
    "permissions": ["servers.view", "servers.power", "servers.reinstall"],
    "confirm_dangerous": true
}))]
pub struct CreateRoleRequest {
    /// Unique in the account whatever its case; at most 60 characters.
    #[serde(default)]
    pub name: String,
    /// At most 500 characters.
    #[serde(default)]
    pub description: String,
    /// Catalog keys, each one the key may grant (none: an empty role).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Must be true when `permissions` holds a dangerous one (else 422).
    #[serde(default)]
    pub confirm_dangerous: bool,
    /// Require two-factor of the alias users holding it (default false).
    #[serde(default)]
    pub require_two_factor: Option<bool>,
}

/// Changes to a role, as `PATCH /api/v1/roles/{rid}` reads them: an absent field keeps
/// its value; `permissions` replaces the whole list.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "permissions": ["servers.view", "servers.power"],
    "description": "Power only, no reinstall"
}))]
pub struct UpdateRoleRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    /// Must be true while the saved role holds a dangerous permission (else 422), even
    /// when `permissions` is absent.
    #[serde(default)]
    pub confirm_dangerous: bool,
    #[serde(default)]
    pub require_two_factor: Option<bool>,
}

/// A role operation's refusal as the API answers it (the page's reasons, as JSON).
impl From<RoleError> for ApiError {
    fn from(e: RoleError) -> Self {
        match e {
            RoleError::NotFound => ApiError::NotFound("no such role".into()),
            RoleError::Locked(why) => ApiError::Forbidden(why.message()),
            RoleError::Unconfirmed(fields) => ApiError::Invalid(fields),
            RoleError::InUse(message) => ApiError::Conflict(message),
            // API keys are not asked for sudo mode (`RecentAuth::NotAsked`).
            RoleError::RecentAuthRequired => {
                ApiError::Forbidden("this change needs a recent authentication")
            }
            RoleError::Op(e) => e.into(),
        }
    }
}

refusal!(
    NotManagingRoles,
    "403",
    "The key may not manage alias roles"
);
refusal!(NoSuchRole, "404", "No such role in the key's account");

/// The key's account, if the key may manage its roles (the Roles tab's rule).
fn managed_account(caller: &ApiCaller) -> Result<User, ApiError> {
    let account = caller.actor.account().clone();
    if !may_manage_roles(&caller.actor, &account) {
        return Err(ApiError::Forbidden(
            "this key's login may not manage alias roles",
        ));
    }
    Ok(account)
}

/// The key's account and the role id `raw`, if the key may manage its roles: 403 is
/// asked first, so a refused key learns nothing about the ids it names.
fn managed_role(caller: &ApiCaller, raw: &str) -> Result<(User, i32), ApiError> {
    let account = managed_account(caller)?;
    let rid = parse_id(raw).map_err(|_| ApiError::NotFound("no such role".into()))?;
    Ok((account, rid))
}

/// The roles of `account` (or only `only`) as the API shows them to `actor`: four
/// queries whatever the number of roles.
fn load(
    c: &mut DbConn,
    actor: &Actor,
    account: &User,
    only: Option<i32>,
) -> Result<Vec<RoleOut>, ApiError> {
    Ok(op::summaries_in(c, actor, account, only)?
        .into_iter()
        .map(|r| RoleOut {
            permissions: permission_keys(r.permissions),
            dangerous: risky(r.permissions)
                .iter()
                .map(|p| p.key.to_string())
                .collect(),
            require_two_factor: r.requires_two_factor,
            alias_users: r.holders,
            locked: r.locked.map(|why| why.message().to_string()),
            created_at: timestamp(r.role.created_at),
            updated_at: timestamp(r.role.updated_at),
            id: r.role.id,
            name: r.role.name,
            description: r.role.description,
        })
        .collect())
}

fn one(c: &mut DbConn, actor: &Actor, account: &User, rid: i32) -> Result<RoleOut, ApiError> {
    load(c, actor, account, Some(rid))?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound("no such role".into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/roles",
    operation_id = "list_roles",
    tag = "roles",
    responses(
        (status = 200, description = "Every alias role of the key's account", body = RoleList),
        (status = 403, description = "The key may not manage alias roles", body = ErrorBody,
            example = json!({"error": "this key's login may not manage alias roles"})),
    ),
)]
pub async fn list(call: ApiCall) -> Result<HttpResponse, ApiError> {
    let items = call
        .read(|c, caller| {
            let account = managed_account(caller)?;
            load(c, &caller.actor, &account, None)
        })
        .await?;
    Ok(json::answer(
        StatusCode::OK,
        &RoleList {
            total: items.len() as i64,
            items,
        },
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/roles/{rid}",
    operation_id = "show_role",
    tag = "roles",
    params(("rid" = i32, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = RoleOut),
        NotManagingRoles,
        (status = 404, description = "No such role in the key's account", body = ErrorBody,
            example = json!({"error": "no such role"})),
    ),
)]
pub async fn show(call: ApiCall, rid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let role = call
        .read(move |c, caller| {
            let (account, rid) = managed_role(caller, &rid)?;
            one(c, &caller.actor, &account, rid)
        })
        .await?;
    Ok(json::answer(StatusCode::OK, &role))
}

#[utoipa::path(
    post,
    path = "/api/v1/roles",
    operation_id = "create_role",
    tag = "roles",
    request_body = CreateRoleRequest,
    responses(
        (status = 201, description = "The role was created", body = RoleOut),
        NotManagingRoles,
        (status = 422, description = "Problems with the input, by field (the Roles tab's messages): \
            the name, the description, unknown permission keys or keys the caller may not grant, \
            or dangerous permissions without confirm_dangerous", body = ErrorBody,
            example = json!({
                "error": "the input has problems; see fields",
                "fields": {"confirm_dangerous": "This role holds dangerous permissions: read the warnings and confirm to save it."}
            })),
    ),
)]
pub async fn create(
    call: ApiCall,
    body: web::Json<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let out = call
        .change(move |c, caller| {
            let account = managed_account(caller)?;
            let input = RoleInput {
                name: body.name,
                description: body.description,
                permissions: body.permissions,
                confirm_dangerous: body.confirm_dangerous,
                require_two_factor: body.require_two_factor,
            };
            let who = caller.audit(account.id, "role.create");
            let saved =
                op::create_in(c, &caller.actor, who, &account, input, RecentAuth::NotAsked)?;
            one(c, &caller.actor, &account, saved.id)
        })
        .await?;
    Ok(json::answer(StatusCode::CREATED, &out))
}

#[utoipa::path(
    patch,
    path = "/api/v1/roles/{rid}",
    operation_id = "update_role",
    tag = "roles",
    params(("rid" = i32, Path, description = "Role id")),
    request_body = UpdateRoleRequest,
    responses(
        (status = 200, description = "The role was saved; its alias users have the new rights from their next request", body = RoleOut),
        (status = 403, description = "The key may not manage alias roles; or this is its own role, \
            the role holds permissions beyond the key's, or an alias user holding it would get rights beyond the key's", body = ErrorBody,
            example = json!({"error": "This role holds permissions you do not hold, so you may not change it."})),
        NoSuchRole,
        (status = 422, description = "Problems with the input, by field (as for POST)", body = ErrorBody,
            example = json!({
                "error": "the input has problems; see fields",
                "fields": {"permissions": "Unknown permissions: servers.fly."}
            })),
    ),
)]
pub async fn update(
    call: ApiCall,
    rid: web::Path<String>,
    body: web::Json<UpdateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let out = call
        .change(move |c, caller| {
            let (account, rid) = managed_role(caller, &rid)?;
            let body = body.into_inner();
            let current = current_role(c, &account, rid)?;
            // A role the caller may edit holds nothing beyond what it may grant but keys
            // the account's kind cannot use; those are dropped, as the editor drops them
            // on a save.
            let kept = current
                .1
                .intersect(grantable(&caller.actor, &account))
                .keys()
                .into_iter()
                .map(String::from)
                .collect();
            let input = RoleInput {
                name: body.name.unwrap_or(current.0.name),
                description: body.description.unwrap_or(current.0.description),
                permissions: body.permissions.unwrap_or(kept),
                confirm_dangerous: body.confirm_dangerous,
                require_two_factor: body.require_two_factor,
            };
            let who = caller.audit(account.id, "role.update");
            op::update_in(
                c,
                &caller.actor,
                who,
                &account,
                rid,
                input,
                RecentAuth::NotAsked,
            )?;
            one(c, &caller.actor, &account, rid)
        })
        .await?;
    Ok(json::answer(StatusCode::OK, &out))
}

/// The role as stored, for the fields a PATCH leaves out. The operation decides whether
/// the caller may change it (403 before any field error).
fn current_role(
    c: &mut DbConn,
    account: &User,
    rid: i32,
) -> Result<(Role, PermissionSet), ApiError> {
    let Some(role) = Role::find_in_account(c, account.id, rid)? else {
        return Err(ApiError::NotFound("no such role".into()));
    };
    let held = PermissionSet::from_known_keys(&role::permissions_of(c, rid)?);
    Ok((role, held))
}

#[utoipa::path(
    delete,
    path = "/api/v1/roles/{rid}",
    operation_id = "delete_role",
    tag = "roles",
    params(("rid" = i32, Path, description = "Role id")),
    responses(
        (status = 204, description = "The role was deleted"),
        (status = 403, description = "The key may not manage alias roles; or this is its own role, or one holding permissions beyond the key's", body = ErrorBody),
        NoSuchRole,
        (status = 409, description = "Alias users still hold the role (the Roles tab answers 409 too): give them another role first", body = ErrorBody,
            example = json!({"error": "Role Operations is in use by ops-anna, ops-ben. Give these alias users another role before deleting it."})),
    ),
)]
pub async fn delete(call: ApiCall, rid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    call.change(move |c, caller| {
        let (account, rid) = managed_role(caller, &rid)?;
        let who = caller.audit(account.id, "role.delete");
        op::delete_in(c, &caller.actor, who, &account, rid)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
