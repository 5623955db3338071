//! GET /users/{id}/alias-users/{aid}: the alias user page. Profile, status, role, and its
//! effective access — the permissions it really has (role ∩ parent) and the servers it
//! reaches — so an owner can check the result without impersonating. Also the role
//! change preview: what the alias user would gain and lose.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{acted_on_in, alias_url, load_target_in, AliasStatus, Target};
use crate::access::actor::account_reach;
use crate::access::aliases::{
    may_act_on_alias, may_change_own_password, may_grant_role, role_rights,
};
use crate::access::keys::{may_manage_keys, Holder, KeyKind};
use crate::access::servers::visible_reach;
use crate::access::{Actor, Permission, PermissionSet};
use crate::db::{self, DbConn, DbError};
use crate::models::role::{self, Role};
use crate::models::{api_key, now, ssh_key};
use crate::models::{reach::Reach, server::Server, Page};
use crate::routes::sessions::{managed_in, ManagedSessions};
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::session::OFFBOARDED;
use crate::web::{render, AppError, Current, Visit};
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

pub async fn page(visit: Visit, query: web::Query<PageQuery>) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let preview_role = query
        .preview_role
        .as_deref()
        .and_then(|r| r.parse::<i32>().ok());
    let (current, (t, found)) = visit
        .read(move |c, actor| {
            let t = load_target_in(c, actor, &id, &aid)?;
            let found = read(c, actor, &t, preview_role)?;
            Ok((t, found))
        })
        .await?;
    let mut page = assemble(&current, t, found, FieldErrors::default());
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

/// What the role preview answers: the fragment (htmx), or the whole page with it.
enum Preview {
    Fragment(Option<RoleRows>),
    Page(Box<Found>),
}

/// GET .../role-preview?role_id=: the gains and losses fragment (htmx) or the whole page.
pub async fn role_preview(
    req: HttpRequest,
    visit: Visit,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let role_id = query.get("role_id").and_then(|r| r.parse::<i32>().ok());
    let fragment = req.headers().contains_key("HX-Request");
    let (current, (t, preview)) = visit
        .read(move |c, actor| {
            let t = acted_on_in(c, actor, &id, &aid)?;
            let preview = if fragment {
                let rows = match role_id {
                    Some(rid) => role_rows(c, t.account.id, rid)?,
                    None => None,
                };
                Preview::Fragment(rows)
            } else {
                Preview::Page(Box::new(read(c, actor, &t, role_id)?))
            };
            Ok((t, preview))
        })
        .await?;
    match preview {
        Preview::Fragment(rows) => render::page(&PreviewFragment {
            preview: rows.map(|rows| role_change(&current.actor, &t, rows)),
        }),
        Preview::Page(found) => {
            render::page(&assemble(&current, t, *found, FieldErrors::default()))
        }
    }
}

/// A role of the account and its permission keys.
type RoleRows = (Role, Vec<String>);

/// The role `role_id` of the account, if it is one, with its permissions.
fn role_rows(c: &mut DbConn, account_id: i32, role_id: i32) -> Result<Option<RoleRows>, DbError> {
    let Some(r) = Role::find_in_account(c, account_id, role_id)? else {
        return Ok(None);
    };
    let keys = role::permissions_of(c, r.id)?;
    Ok(Some((r, keys)))
}

/// What changing the alias user to `role` would do, and whether the actor may.
fn role_change(actor: &Actor, t: &Target, (role, keys): RoleRows) -> RoleChange {
    let next = role_rights(&keys, &t.account);
    RoleChange {
        gains: next.minus(t.rights.permissions).iter().collect(),
        losses: t.rights.permissions.minus(next).iter().collect(),
        allowed: may_grant_role(actor, &t.account, &keys),
        role,
    }
}

/// What the page shows besides the target itself.
pub(super) struct Found {
    servers: Page<Server>,
    server_total: i64,
    roles: Vec<Role>,
    ssh_keys: Option<i64>,
    api_keys: Option<i64>,
    two_factor: bool,
    preview: Option<RoleRows>,
    sessions: Option<ManagedSessions>,
}

/// The page's rows for `t`, as far as the actor may see and manage them.
pub(super) fn read(
    c: &mut DbConn,
    actor: &Actor,
    t: &Target,
    preview_role: Option<i32>,
) -> Result<Found, DbError> {
    let may_manage = may_act_on_alias(actor, &t.account, &t.alias, t.rights).is_ok();
    let reach = if t.alias.all_servers {
        account_reach(&t.account)
    } else {
        Reach::Assigned {
            alias_id: t.alias.id,
            within: Box::new(account_reach(&t.account)),
        }
    };
    let (account_id, alias_id) = (t.account.id, t.alias.id);
    let holder = holder(t);
    let visible = visible_reach(actor, &reach);
    let servers = Server::list_within(c, &visible, "", 1, SERVERS_SHOWN)?;
    let server_total = if visible == reach {
        servers.total
    } else {
        Server::count_within(c, &reach)?
    };
    let roles = if may_manage {
        Role::list_for_account(c, account_id)?
    } else {
        Vec::new()
    };
    let ssh_keys = if may_manage_keys(actor, holder, KeyKind::Ssh).is_ok() {
        Some(ssh_key::count_for(c, alias_id)?)
    } else {
        None
    };
    let api_keys = if may_manage_keys(actor, holder, KeyKind::Api).is_ok() {
        Some(api_key::count_for(c, alias_id)?)
    } else {
        None
    };
    let preview = match preview_role.filter(|_| may_manage) {
        Some(rid) => role_rows(c, account_id, rid)?,
        None => None,
    };
    let sessions = managed_in(c, actor, holder, alias_id, &alias_url(account_id, alias_id))?;
    Ok(Found {
        two_factor: crate::models::two_factor::has_factor(c, alias_id)?,
        servers,
        server_total,
        roles,
        ssh_keys,
        api_keys,
        preview,
        sessions,
    })
}

fn holder(t: &Target) -> Holder<'_> {
    Holder::Alias {
        account: &t.account,
        alias: &t.alias,
        rights: t.rights,
    }
}

/// Builds the page for a request whose `Current` is in hand: the action handlers show a
/// form again with its errors. The same reads as a page view, in a hand-off of their own.
pub async fn build(
    current: &Current,
    state: &AppState,
    t: Target,
    preview_role: Option<i32>,
    errors: FieldErrors,
) -> Result<AliasPage, AppError> {
    let actor = current.actor.clone();
    let (t, found) = state
        .db(move |c| {
            let found = db::read_snapshot(c, |c| read(c, &actor, &t, preview_role))?;
            Ok((t, found))
        })
        .await?;
    Ok(assemble(current, t, found, errors))
}

pub(super) fn assemble(
    current: &Current,
    t: Target,
    found: Found,
    errors: FieldErrors,
) -> AliasPage {
    let actor = &current.actor;
    let Found {
        servers,
        server_total,
        roles,
        ssh_keys,
        api_keys,
        two_factor,
        preview,
        sessions,
    } = found;
    let is_self = actor.login.id == t.alias.id;
    let may_manage = may_act_on_alias(actor, &t.account, &t.alias, t.rights).is_ok();
    let may_log_in =
        crate::access::actor::standing(&t.alias, Some(&t.account), now().date()).is_ok();
    let impersonable = crate::access::impersonation::may_impersonate_alias(
        actor, &t.account, &t.alias, t.rights, may_log_in,
    )
    .is_ok();
    let managed_sessions = sessions;
    let preview = preview.map(|rows| role_change(actor, &t, rows));
    let permissions: Vec<&'static Permission> = t.rights.permissions.iter().collect();
    let _: PermissionSet = t.rights.permissions;
    AliasPage {
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
    }
}
