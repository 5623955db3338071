//! GET /users/{id}/alias-users: the Alias Users tab. The danger callout, the table of
//! alias users (pages of 50, searchable), and the create dialog.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{tab_url, AliasStatus};
use crate::access::actor::account_reach;
use crate::access::aliases::{
    may_list_aliases, may_manage_aliases, reaches_all_of_account, role_rights,
};
use crate::access::rights::{coverage, ListedCounts, Rights};
use crate::access::Actor;
use crate::access::PermissionSet;
use crate::db::{DbConn, DbError};
use crate::models::role::{self, Role};
use crate::models::user::User;
use crate::models::{alias, now};
use crate::routes::users::tabs::AccountTab;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

pub const PER_PAGE: i64 = 50;

pub struct Row {
    pub alias: User,
    pub role_name: String,
    pub status: AliasStatus,
    pub servers: String,
    /// Whether it holds a second factor.
    pub two_factor: bool,
    /// The actor may act on this alias user (not itself, not stronger).
    pub actionable: bool,
    /// The actor may impersonate this alias user.
    pub impersonable: bool,
}

/// A role the create dialog offers, with the rights it would give.
pub struct RoleOption {
    pub role: Role,
    pub grantable: bool,
    pub permission_count: usize,
}

/// The create dialog's values, kept when it is shown again.
#[derive(Default)]
pub struct CreateForm {
    pub username: String,
    pub email: String,
    pub role_id: String,
    pub all_servers: bool,
    pub expires_at: String,
    /// "Invite by e-mail instead of setting a password" was ticked.
    pub invite: bool,
}

#[derive(Template)]
#[template(path = "alias_users/tab.html")]
pub struct TabPage {
    pub frame: AccountTab,
    pub rows: Vec<Row>,
    pub q: String,
    pub pager: Pager,
    pub roles: Vec<RoleOption>,
    pub may_grant_all: bool,
    pub may_manage: bool,
    pub form: CreateForm,
    pub errors: FieldErrors,
    pub open_dialog: bool,
    /// The account owner's "require two-factor for my alias users", and who may change it.
    pub require_two_factor: bool,
    pub may_set_policy: bool,
    /// Whether the account owner is told by mail (set by whoever may set the policy).
    pub notify_owner: bool,
}

crate::account_tab_page!(TabPage);

pub async fn page(visit: Visit, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let (q, page_no) = (query.q.clone(), query.page());
    let (current, account, found) = visit
        .read_tab(may_list_aliases, move |c, actor, account| {
            Ok(read(c, actor, account, &q, page_no)?)
        })
        .await?;
    let page = assemble(
        &current,
        account,
        &query,
        found,
        CreateForm::default(),
        FieldErrors::default(),
    );
    render::page(&page)
}

/// What the tab shows, read for one page of the list.
pub struct Found {
    page: crate::models::Page<User>,
    roles: Vec<Role>,
    perms: HashMap<i32, Vec<String>>,
    counts: HashMap<i32, i64>,
    counts_within_actor: HashMap<i32, i64>,
    factors: std::collections::HashSet<i32>,
    policy: bool,
    notify_owner: bool,
}

pub(super) fn read(
    c: &mut DbConn,
    actor: &Actor,
    account: &User,
    q: &str,
    page_no: i64,
) -> Result<Found, DbError> {
    let parent_reach = account_reach(account);
    // A manager that reaches only part of the account (a narrower alias user) also needs
    // each row's count within its own reach; for anyone else the totals serve.
    let narrower =
        (!actor.reach.includes(&parent_reach)).then(|| parent_reach.and(actor.reach.clone()));
    let account_id = account.id;
    let page = alias::list(c, account_id, q, page_no, PER_PAGE)?;
    let ids: Vec<i32> = page.rows.iter().map(|u| u.id).collect();
    let counts = alias::assigned_totals(c, &ids)?;
    let counts_within_actor = match &narrower {
        Some(reach) => alias::assigned_counts(c, &ids, reach)?,
        None => counts.clone(),
    };
    Ok(Found {
        roles: Role::list_for_account(c, account_id)?,
        perms: role::permissions_by_role(c, account_id)?,
        factors: crate::models::two_factor::with_factor_among(c, &ids)?,
        policy: crate::models::two_factor::account_requires_for_aliases(c, account_id)?,
        notify_owner: crate::models::user::notifies_owner(c, account_id)?,
        page,
        counts,
        counts_within_actor,
    })
}

/// Builds the tab for a request whose `Current` is in hand: the create handler shows the
/// dialog again with its errors.
pub async fn build(
    current: &Current,
    state: &AppState,
    account: User,
    query: &ListQuery,
    form: CreateForm,
    errors: FieldErrors,
) -> Result<TabPage, AppError> {
    let actor = current.actor.clone();
    let (q, page_no) = (query.q.clone(), query.page());
    let (account, found) = state
        .db(move |c| {
            let found = read(c, &actor, &account, &q, page_no)?;
            Ok((account, found))
        })
        .await?;
    Ok(assemble(current, account, query, found, form, errors))
}

pub(super) fn assemble(
    current: &Current,
    account: User,
    query: &ListQuery,
    found: Found,
    form: CreateForm,
    errors: FieldErrors,
) -> TabPage {
    let actor = &current.actor;
    let Found {
        page,
        roles,
        perms,
        counts,
        counts_within_actor,
        factors,
        policy,
        notify_owner,
    } = found;
    let today = now().date();
    let actor_rights = Rights::of_actor(actor);
    let rights_of = |role_id: Option<i32>| -> PermissionSet {
        let keys = role_id
            .and_then(|r| perms.get(&r))
            .cloned()
            .unwrap_or_default();
        role_rights(&keys, &account)
    };
    let role_names: HashMap<i32, String> = roles.iter().map(|r| (r.id, r.name.clone())).collect();
    let rows = page
        .rows
        .iter()
        .map(|a| {
            let assigned = counts.get(&a.id).copied().unwrap_or(0);
            let outside = assigned - counts_within_actor.get(&a.id).copied().unwrap_or(0);
            let permissions = rights_of(a.role_id);
            let counts = ListedCounts {
                total: assigned,
                outside_a: outside,
            };
            let rights = crate::access::aliases::TargetRights {
                permissions,
                all_servers: a.all_servers,
                covered: coverage(&actor_rights, &Rights::of_alias(a, &account, permissions))
                    .settle(counts),
            };
            let may_log_in = AliasStatus::of(a, today) == AliasStatus::Active;
            Row {
                impersonable: crate::access::impersonation::may_impersonate_alias(
                    actor, &account, a, rights, may_log_in,
                )
                .is_ok(),
                role_name: a
                    .role_id
                    .and_then(|r| role_names.get(&r).cloned())
                    .unwrap_or_default(),
                status: AliasStatus::of(a, today),
                two_factor: factors.contains(&a.id),
                servers: if a.all_servers {
                    "All servers".into()
                } else {
                    format!("{assigned} server{}", if assigned == 1 { "" } else { "s" })
                },
                actionable: crate::access::aliases::may_act_on_alias(actor, &account, a, rights)
                    .is_ok(),
                alias: a.clone(),
            }
        })
        .collect();
    let roles = roles
        .into_iter()
        .map(|r| {
            let rights = rights_of(Some(r.id));
            RoleOption {
                grantable: rights.is_subset_of(actor.permissions),
                permission_count: rights.len(),
                role: r,
            }
        })
        .collect();
    let pager = Pager::new(
        &tab_url(account.id),
        &query.q,
        page.page,
        page.pages(),
        page.total,
    );
    let open_dialog = !errors.is_empty() || query.add.is_some();
    TabPage {
        may_grant_all: reaches_all_of_account(actor),
        may_manage: may_manage_aliases(actor, &account),
        require_two_factor: policy,
        notify_owner,
        may_set_policy: crate::access::two_factor::may_set_policy(actor, &account),
        rows,
        q: query.q.clone(),
        pager,
        roles,
        form,
        errors,
        open_dialog,
        frame: AccountTab::new(current, account, "alias-users"),
    }
}
