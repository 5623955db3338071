//! Changing an alias user: its e-mail and expiry (the page's profile form), its role, and
//! disabling or enabling it. The page sends one of these at a time; `PATCH
//! /api/v1/alias-users/{aid}` may send several, which are all checked before any is
//! applied, then applied in one transaction under one `alias_change`, each with the audit
//! row its page action writes.

use super::{entry, may_act, OpError, Target};
use crate::access::aliases::{may_grant_role, role_rights};
use crate::access::changes::alias_change;
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::{Email, Expiry, FieldErrors};
use crate::models::audit::NewAuditEntry;
use crate::models::role::{self, Role};
use crate::models::{alias, now, session};
use crate::operations::notices::{self, By};

/// What a door asks to change, as typed; `None` leaves a thing as it is.
#[derive(Debug, Clone, Default)]
pub struct AliasChanges {
    pub email: Option<String>,
    /// The last day it may log in (YYYY-MM-DD), or empty for never.
    pub expires_at: Option<String>,
    /// One of the account's roles, by id.
    pub role_id: Option<String>,
    pub disabled: Option<bool>,
}

/// What an update did.
#[derive(Debug, Clone, Default)]
pub struct Updated {
    /// The name of the role it holds now, when the role was changed.
    pub role_name: Option<String>,
}

const CHOOSE_ROLE: &str = "Choose one of this account's roles.";

/// Applies `changes` to the alias user `t`. Every problem of the input is reported at once
/// (422) before anything is written; a role with rights the actor does not hold is refused
/// (403). Writes, in one transaction and in this order: `alias.update` (details
/// `expires=…`) for the e-mail or expiry, `alias.role` (the old and new role and the
/// permissions gained and lost), and `alias.disable` (ending its sessions) or
/// `alias.enable`. A new role with a risky or admin permission the old one lacked tells
/// the account owner (`notices::risky_grant`).
/// Runs inside the transaction the caller holds.
pub fn update_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
    changes: AliasChanges,
) -> Result<Updated, OpError> {
    may_act(actor, t)?;
    let mut errors = FieldErrors::default();
    let email = changes
        .email
        .as_deref()
        .map(|raw| errors.check("email", Email::parse(raw)));
    let expires = changes.expires_at.as_deref().map(|raw| {
        errors
            .check("expires_at", Expiry::parse(raw, now().date()))
            .map(Expiry::date)
    });
    let role_id = match changes.role_id.as_deref() {
        None => None,
        Some(raw) => match raw.trim().parse::<i32>() {
            Ok(rid) => Some(rid),
            Err(_) => {
                errors.add("role_id", CHOOSE_ROLE);
                None
            }
        },
    };
    let account_id = t.account.id;
    let new_role = match role_id {
        None => None,
        Some(rid) => {
            let found = match Role::find_in_account(c, account_id, rid)? {
                Some(r) => {
                    let keys = role::permissions_of(c, r.id)?;
                    Some((r, keys))
                }
                None => None,
            };
            if found.is_none() {
                errors.add("role_id", CHOOSE_ROLE);
            }
            found
        }
    };
    if !errors.is_empty() {
        return Err(OpError::Invalid(errors));
    }
    if let Some((_, keys)) = &new_role {
        if !may_grant_role(actor, &t.account, keys) {
            return Err(OpError::Forbidden(
                "This login may not grant a role with rights it does not hold itself.",
            ));
        }
    }

    // Every row is built before anything is written: a refusal inside the change writes
    // none.
    let mut rows = Vec::new();
    let profile = match (email, expires) {
        (None, None) => None,
        (email, expires) => {
            // Parsed above without errors, so each given value is there.
            let email = email
                .flatten()
                .map_or_else(|| t.alias.email.clone(), |e: Email| e.as_str().to_string());
            let expires = expires.map_or(t.alias.expires_on, Option::flatten);
            rows.push(entry(
                &who,
                "alias.update",
                t,
                format!(
                    "expires={}",
                    expires.map_or_else(|| "never".into(), |d| d.to_string())
                ),
            ));
            Some((email, expires))
        }
    };
    let role_name = new_role.as_ref().map(|(r, _)| r.name.clone());
    // What the new role adds to what it may do: the owner hears of the risky and admin part.
    let mut grant = None;
    let new_role_id = match &new_role {
        Some((r, keys)) => {
            rows.push(entry(&who, "alias.role", t, role_details(t, &r.name, keys)));
            grant = Some((
                format!(
                    "its role was changed from {} to {}",
                    t.role.as_ref().map_or("none", |r| r.name.as_str()),
                    r.name
                ),
                role_rights(keys, &t.account).minus(t.rights.permissions),
            ));
            Some(r.id)
        }
        None => None,
    };
    let by = By::actor(actor, &who);
    let (account_id, username) = (t.account.id, t.alias.username.clone());
    if let Some(disabled) = changes.disabled {
        let action = if disabled {
            "alias.disable"
        } else {
            "alias.enable"
        };
        rows.push(entry(&who, action, t, String::new()));
    }

    let aid = t.alias.id;
    let disabled = changes.disabled;
    alias_change(c, actor, aid, |c| {
        if let Some((email, expires)) = &profile {
            alias::set_profile(c, aid, email, *expires)?;
        }
        if let Some(rid) = new_role_id {
            alias::set_role(c, aid, rid)?;
        }
        if let Some(disabled) = disabled {
            alias::set_disabled(c, aid, disabled)?;
            // A disabled login is logged out at once, everywhere.
            if disabled {
                session::end_all_of(c, aid, None)?;
            }
        }
        for row in &rows {
            row.insert(c)?;
        }
        if let Some((how, gained)) = grant {
            notices::risky_grant(c, &by, account_id, how, vec![username], gained)?;
        }
        Ok::<_, OpError>(())
    })?;
    Ok(Updated { role_name })
}

/// The details of `alias.role`: the role before and after, and the permissions the alias
/// user gains and loses by it (role ∩ parent, as it will really act).
fn role_details(t: &Target, new_name: &str, keys: &[String]) -> String {
    let next = role_rights(keys, &t.account);
    let gains = next.minus(t.rights.permissions).keys().join(", ");
    let losses = t.rights.permissions.minus(next).keys().join(", ");
    let or_nothing = |s: &str| {
        if s.is_empty() {
            "nothing".to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "role {} -> {}; gains: {}; loses: {}",
        t.role.as_ref().map_or("none", |r| r.name.as_str()),
        new_name,
        or_nothing(&gains),
        or_nothing(&losses),
    )
}
