//! GET /users/{id}/alias-users/{aid}: the alias user page. Profile, status, role, and its
//! effective access — the permissions it really has (role ∩ parent) and the servers it
//! reaches — so an owner can check the result without impersonating. Also the role
//! change preview: what the alias user would gain and lose.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{load_target, AliasStatus, Target};
use crate::access::actor::account_reach;
use crate::access::aliases::{
    may_act_on_alias, may_change_own_password, may_grant_role, role_rights,
};
use crate::access::keys::{may_manage_keys, Holder, KeyKind};
use crate::access::servers::visible_reach;
use crate::access::{Permission, PermissionSet};
use crate::models::role::{self, Role};
use crate::models::{api_key, now, ssh_key};
use crate::models::{reach::Reach, server::Server};
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::session::OFFBOARDED;
use crate::web::{render, AppError, Current};
use crate::AppState;

/// How many of its servers the page lists.
const SERVERS_SHOWN: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub preview_role: Option<String>,
}

/// What changing to another role would do.
pub struct RoleChange {
    pub role: Role,
    pub gains: Vec<&'static Permission>,
    pub losses: Vec<&'static Permission>,
    pub allowed: bool,
}

#[derive(Template)]
#[template(path = "alias_users/page.html")]
pub struct AliasPage {
    pub chrome: Option<Chrome>,
    pub t: Target,
    pub status: AliasStatus,
    pub is_self: bool,
    pub may_manage: bool,
    pub impersonable: bool,
    pub may_change_own_password: bool,
    pub permissions: Vec<&'static Permission>,
    /// Its servers within the viewer's reach (a page about another login shows the
    /// servers outside the viewer's reach only as a count).
    pub servers: Vec<Server>,
    /// How many servers it reaches, and how many of those the viewer reaches too.
    pub server_total: i64,
    pub visible_total: i64,
    pub roles: Vec<Role>,
    pub preview: Option<RoleChange>,
    pub email: String,
    pub expires_at: String,
    pub errors: FieldErrors,
    /// How many SSH keys and API keys it holds, where the actor may manage them.
    pub ssh_keys: Option<i64>,
    pub api_keys: Option<i64>,
    /// Whether the alias user holds a second factor.
    pub two_factor: bool,
    /// Its sessions, for a manager who may end them.
    pub managed_sessions: Option<crate::routes::sessions::ManagedSessions>,
    /// What the offboarding just done did (shown once, after its redirect).
    pub offboarded: Option<super::offboard::Offboarded>,
}

#[derive(Template)]
#[template(path = "alias_users/role_preview.html")]
pub struct PreviewFragment {
    pub preview: Option<RoleChange>,
}

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let preview_role = query
        .preview_role
        .as_deref()
        .and_then(|r| r.parse::<i32>().ok());
    let mut page = build(&current, &state, t, preview_role, FieldErrors::default()).await?;
    let done = current
        .session
        .get::<super::offboard::Offboarded>(OFFBOARDED)
        .ok()
        .flatten();
    if let Some(done) = done {
        current.session.remove(OFFBOARDED);
        if done.alias_id == page.t.alias.id {
            page.offboarded = Some(done);
        }
    }
    render::page(&page)
}

/// GET .../role-preview?role_id=: the gains and losses fragment (htmx) or the whole page.
pub async fn role_preview(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    if may_act_on_alias(&current.actor, &t.account, &t.alias, t.rights).is_err() {
        return Err(AppError::Forbidden);
    }
    let role_id = query.get("role_id").and_then(|r| r.parse::<i32>().ok());
    let preview = match role_id {
        Some(rid) => change_for(&current, &state, &t, rid).await?,
        None => None,
    };
    if req.headers().contains_key("HX-Request") {
        return render::page(&PreviewFragment { preview });
    }
    let page = build(&current, &state, t, role_id, FieldErrors::default()).await?;
    render::page(&page)
}

async fn change_for(
    current: &Current,
    state: &AppState,
    t: &Target,
    role_id: i32,
) -> Result<Option<RoleChange>, AppError> {
    let account_id = t.account.id;
    let found = state
        .db(move |c| {
            let r = Role::find_in_account(c, account_id, role_id)?;
            let keys = match &r {
                Some(r) => role::permissions_of(c, r.id)?,
                None => Vec::new(),
            };
            Ok(r.map(|r| (r, keys)))
        })
        .await?;
    Ok(found.map(|(role, keys)| {
        let next = role_rights(&keys, &t.account);
        RoleChange {
            gains: next.minus(t.rights.permissions).iter().collect(),
            losses: t.rights.permissions.minus(next).iter().collect(),
            allowed: may_grant_role(&current.actor, &t.account, &keys),
            role,
        }
    }))
}

/// Builds the page; the action handlers reuse it to show a form again with errors.
pub async fn build(
    current: &Current,
    state: &AppState,
    t: Target,
    preview_role: Option<i32>,
    errors: FieldErrors,
) -> Result<AliasPage, AppError> {
    let actor = &current.actor;
    let is_self = actor.login.id == t.alias.id;
    let may_manage = may_act_on_alias(actor, &t.account, &t.alias, t.rights).is_ok();
    let may_log_in =
        crate::access::actor::standing(&t.alias, Some(&t.account), now().date()).is_ok();
    let impersonable = crate::access::impersonation::may_impersonate_alias(
        actor, &t.account, &t.alias, t.rights, may_log_in,
    )
    .is_ok();
    let reach = if t.alias.all_servers {
        account_reach(&t.account)
    } else {
        Reach::Assigned {
            alias_id: t.alias.id,
            within: Box::new(account_reach(&t.account)),
        }
    };
    let account_id = t.account.id;
    let holder = Holder::Alias {
        account: &t.account,
        alias: &t.alias,
        rights: t.rights,
    };
    let may_ssh = may_manage_keys(actor, holder, KeyKind::Ssh).is_ok();
    let may_api = may_manage_keys(actor, holder, KeyKind::Api).is_ok();
    let alias_id = t.alias.id;
    let visible = visible_reach(actor, &reach);
    let (servers, server_total, roles, ssh_keys, api_keys, two_factor) = state
        .db(move |c| {
            let servers = Server::list_within(c, &visible, "", 1, SERVERS_SHOWN)?;
            let total = if visible == reach {
                servers.total
            } else {
                Server::count_within(c, &reach)?
            };
            let roles = if may_manage {
                Role::list_for_account(c, account_id)?
            } else {
                Vec::new()
            };
            let ssh = if may_ssh {
                Some(ssh_key::count_for(c, alias_id)?)
            } else {
                None
            };
            let api = if may_api {
                Some(api_key::count_for(c, alias_id)?)
            } else {
                None
            };
            let two_factor = crate::models::two_factor::has_factor(c, alias_id)?;
            Ok((servers, total, roles, ssh, api, two_factor))
        })
        .await?;
    let preview = match preview_role.filter(|_| may_manage) {
        Some(rid) => change_for(current, state, &t, rid).await?,
        None => None,
    };
    let managed_sessions = crate::routes::sessions::managed(
        state,
        actor,
        holder,
        alias_id,
        &crate::routes::alias_users::alias_url(account_id, alias_id),
    )
    .await?;
    let permissions: Vec<&'static Permission> = t.rights.permissions.iter().collect();
    let _: PermissionSet = t.rights.permissions;
    Ok(AliasPage {
        chrome: Some(current.chrome(if is_self { "account" } else { "users" })),
        status: AliasStatus::of(&t.alias, now().date()),
        is_self,
        may_manage,
        impersonable,
        may_change_own_password: may_change_own_password(actor, &t.alias),
        permissions,
        server_total,
        visible_total: servers.total,
        servers: servers.rows,
        roles,
        preview,
        email: t.alias.email.clone(),
        expires_at: t
            .alias
            .expires_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        errors,
        ssh_keys,
        api_keys,
        two_factor,
        managed_sessions,
        offboarded: None,
        t,
    })
}
