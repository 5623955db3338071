//! GET /users/{id}/roles/new and GET /users/{id}/roles/{rid}: the role editor. It offers
//! only the permissions the editor may grant, grouped by tier and area in catalog order,
//! with each risky one's warning; a new role starts with the catalog's common ones ticked.
//! The save handler renders the same page again (422) with the input kept.

use actix_web::HttpResponse;
use askama::Template;

use super::managed_account_in;
use crate::access::roles::{grantable, may_edit_role, risk_of};
use crate::access::{PermissionSet, Tier, CATALOG};
use crate::db::DbConn;
use crate::models::role::{self, Role};
use crate::models::user::User;
use crate::routes::users::tabs::AccountTab;
use crate::web::account::parse_id;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};

use crate::operations::roles::HOLDERS_SHOWN;

pub struct PermRow {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub risk: Option<&'static str>,
    pub checked: bool,
}

pub struct AreaGroup {
    pub name: &'static str,
    pub perms: Vec<PermRow>,
}

pub struct TierGroup {
    pub key: &'static str,
    pub label: &'static str,
    pub is_admin: bool,
    pub areas: Vec<AreaGroup>,
}

#[derive(Template)]
#[template(path = "roles/editor.html")]
pub struct EditorPage {
    pub frame: AccountTab,
    /// The role being edited; None for a new one.
    pub role_id: Option<i32>,
    pub title: String,
    pub name: String,
    pub description: String,
    pub tiers: Vec<TierGroup>,
    /// Every risky permission offered, for the summary (shown when ticked).
    pub risky: Vec<PermRow>,
    pub any_risky_checked: bool,
    /// The last save was refused because the risks were not confirmed.
    pub confirm_missing: bool,
    pub confirmed: bool,
    /// "Require two-factor for the alias users holding this role" (ticked by default
    /// when the editor asks to confirm risky permissions).
    pub require_two_factor: bool,
    pub errors: FieldErrors,
    pub holders: Vec<String>,
    pub holder_count: i64,
}

crate::account_tab_page!(EditorPage);

impl EditorPage {
    pub fn action(&self) -> String {
        match self.role_id {
            Some(rid) => format!("/users/{}/roles/{rid}", self.account.id),
            None => format!("/users/{}/roles", self.account.id),
        }
    }

    pub fn more_holders(&self) -> i64 {
        self.holder_count - self.holders.len() as i64
    }
}

fn tier_key(t: Tier) -> &'static str {
    match t {
        Tier::User => "user",
        Tier::Reseller => "reseller",
        Tier::Admin => "admin",
    }
}

/// The permissions `offered`, grouped by tier and then area, each area where the catalog
/// first names it; `checked` decides which boxes are ticked.
pub fn groups(offered: PermissionSet, checked: PermissionSet) -> Vec<TierGroup> {
    let mut tiers: Vec<TierGroup> = Vec::new();
    for p in CATALOG.iter().filter(|p| offered.contains(p.perm)) {
        if tiers.last().is_none_or(|t| t.key != tier_key(p.tier)) {
            tiers.push(TierGroup {
                key: tier_key(p.tier),
                label: p.tier.label(),
                is_admin: p.tier == Tier::Admin,
                areas: Vec::new(),
            });
        }
        let Some(tier) = tiers.last_mut() else {
            continue;
        };
        let row = PermRow {
            key: p.key,
            label: p.label,
            description: p.description,
            risk: risk_of(p),
            checked: checked.contains(p.perm),
        };
        match tier.areas.iter_mut().find(|a| a.name == p.area) {
            Some(area) => area.perms.push(row),
            None => tier.areas.push(AreaGroup {
                name: p.area,
                perms: vec![row],
            }),
        }
    }
    tiers
}

/// What the editor shows besides the permissions.
pub struct EditorInput {
    pub role_id: Option<i32>,
    pub saved_name: Option<String>,
    pub name: String,
    pub description: String,
    pub checked: PermissionSet,
    pub confirm_missing: bool,
    pub confirmed: bool,
    pub require_two_factor: bool,
    pub holders: Vec<String>,
    pub holder_count: i64,
}

pub fn build(
    current: &Current,
    account: User,
    input: EditorInput,
    errors: FieldErrors,
) -> EditorPage {
    let offered = grantable(&current.actor, &account);
    let checked = input.checked.intersect(offered);
    let risky: Vec<PermRow> = offered
        .iter()
        .filter_map(|p| {
            risk_of(p).map(|risk| PermRow {
                key: p.key,
                label: p.label,
                description: p.description,
                risk: Some(risk),
                checked: checked.contains(p.perm),
            })
        })
        .collect();
    let title = match &input.saved_name {
        Some(n) => format!("Edit role {n}"),
        None => "New role".to_string(),
    };
    EditorPage {
        frame: AccountTab::of_login(current, account, "roles"),
        role_id: input.role_id,
        title,
        name: input.name,
        description: input.description,
        tiers: groups(offered, checked),
        any_risky_checked: risky.iter().any(|r| r.checked),
        risky,
        confirm_missing: input.confirm_missing,
        confirmed: input.confirmed,
        require_two_factor: input.require_two_factor,
        errors,
        holders: input.holders,
        holder_count: input.holder_count,
    }
}

pub async fn new_role(visit: Visit) -> Result<HttpResponse, AppError> {
    let id = visit.param("id");
    let (current, account) = visit
        .read(move |c, actor| managed_account_in(c, actor, &id))
        .await?;
    let page = build(
        &current,
        account,
        EditorInput {
            role_id: None,
            saved_name: None,
            name: String::new(),
            description: String::new(),
            checked: PermissionSet::common(),
            confirm_missing: false,
            confirmed: false,
            require_two_factor: false,
            holders: Vec::new(),
            holder_count: 0,
        },
        FieldErrors::default(),
    );
    render::page(&page)
}

/// A role of the account with its stored permissions and holders.
pub type StoredRole = (Role, PermissionSet, Vec<String>, i64);

/// A role of the account with its permissions and the first of its holders, on the
/// request's connection.
pub fn load_role_in(c: &mut DbConn, account_id: i32, rid: i32) -> Result<StoredRole, AppError> {
    let Some(role) = Role::find_in_account(c, account_id, rid)? else {
        return Err(AppError::NotFound);
    };
    let keys = role::permissions_of(c, rid)?;
    let (holders, count) = role::holders(c, rid, HOLDERS_SHOWN)?;
    Ok((role, PermissionSet::from_known_keys(&keys), holders, count))
}

pub async fn existing_role(visit: Visit) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = (visit.param("id"), visit.param("rid"));
    let (current, (account, rid, stored, require_two_factor)) = visit
        .read(move |c, actor| {
            let account = managed_account_in(c, actor, &raw_id)?;
            let rid = parse_id(&raw_rid)?;
            let stored = load_role_in(c, account.id, rid)?;
            may_edit_role(actor, &account, rid, stored.1).map_err(|_| AppError::Forbidden)?;
            let require_two_factor = crate::models::two_factor::role_requires(c, rid)?;
            Ok((account, rid, stored, require_two_factor))
        })
        .await?;
    let (role, perms, holders, holder_count) = stored;
    let page = build(
        &current,
        account,
        EditorInput {
            role_id: Some(rid),
            saved_name: Some(role.name.clone()),
            name: role.name,
            description: role.description,
            checked: perms,
            confirm_missing: false,
            confirmed: false,
            require_two_factor,
            holders,
            holder_count,
        },
        FieldErrors::default(),
    );
    render::page(&page)
}
