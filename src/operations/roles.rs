//! Alias-role operations, the same from the Roles tab and from the JSON API: creating,
//! saving and deleting a role of an account. Each asks `access::roles` whether the actor
//! manages the account's roles and may touch this role, checks the input (every field
//! problem at once, and only then the dangerous-permission confirmation), and writes the
//! role, its permissions and its audit row in one transaction. A change to an existing
//! role goes through `access::changes::role_change`, so it stands only if the actor still
//! covers every alias user holding the role afterwards. A save that gives holders a risky
//! or admin permission they lacked tells the account owner (`notices::risky_grant`).

use std::collections::HashMap;

use super::notices::{self, By};
use super::OpError;
use crate::access::actor::kind_permissions;
use crate::access::changes::role_change;
use crate::access::roles::{
    check_permissions, grantable, may_edit_role, may_manage_roles, risky, worth_telling,
    RoleRefusal,
};
use crate::access::{Actor, PermissionSet, Tier};
use crate::db::{self, DbConn, DbError};
use crate::domain::{FieldErrors, RoleDescription, RoleName};
use crate::models::audit::NewAuditEntry;
use crate::models::now;
use crate::models::role::{self, name_key, NewRole, Role};
use crate::models::two_factor;
use crate::models::user::User;

/// One role of an account as both doors list it: its permissions, how many alias users
/// hold it, whether it requires two-factor, and why `actor` may not edit it (if not).
#[derive(Debug, Clone)]
pub struct RoleSummary {
    pub role: Role,
    pub permissions: PermissionSet,
    pub holders: i64,
    pub requires_two_factor: bool,
    pub locked: Option<RoleRefusal>,
}

/// The roles of `account` (or only the one `only` names) with what the Roles tab and
/// `GET /api/v1/roles` show of each: four grouped queries whatever the number of roles,
/// on a connection the caller holds (a page view's or an API call's one read).
pub fn summaries_in(
    c: &mut DbConn,
    actor: &Actor,
    account: &User,
    only: Option<i32>,
) -> Result<Vec<RoleSummary>, DbError> {
    let roles = match only {
        Some(rid) => Role::find_in_account(c, account.id, rid)?
            .into_iter()
            .collect(),
        None => Role::list_for_account(c, account.id)?,
    };
    let ids: Vec<i32> = roles.iter().map(|r| r.id).collect();
    let keys = role::permissions_of_many(c, &ids)?;
    let usage: HashMap<i32, i64> = role::usage_counts(c, &ids)?.into_iter().collect();
    let requiring = two_factor::roles_requiring(c, &ids)?;
    let mut keys_by_role: HashMap<i32, Vec<String>> = HashMap::new();
    for (rid, key) in keys {
        keys_by_role.entry(rid).or_default().push(key);
    }
    Ok(roles
        .into_iter()
        .map(|r| {
            let permissions = keys_by_role
                .get(&r.id)
                .map(|k| PermissionSet::from_known_keys(k))
                .unwrap_or_default();
            RoleSummary {
                locked: may_edit_role(actor, account, r.id, permissions).err(),
                holders: usage.get(&r.id).copied().unwrap_or(0),
                requires_two_factor: requiring.contains(&r.id),
                permissions,
                role: r,
            }
        })
        .collect())
}

/// How many holders the editor and the "in use" refusal name.
pub const HOLDERS_SHOWN: i64 = 20;

const NAME_TAKEN: &str = "This account already has a role with this name.";
const MAY_NOT_MANAGE: &str = "This login may not manage alias roles.";

/// A role as a door read it, as typed.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub name: String,
    pub description: String,
    /// Permission keys, as sent (unknown ones are reported, never dropped).
    pub permissions: Vec<String>,
    pub confirm_dangerous: bool,
    /// Require two-factor for the alias users holding it; None keeps the role's setting
    /// (off for a new role).
    pub require_two_factor: Option<bool>,
}

/// Whether the door vouches for a recent authentication ("sudo mode"), which a
/// role with a risky or admin permission needs. A page session knows; an API key has no
/// session to re-authenticate and is not asked (creating the key needed sudo mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentAuth {
    Yes,
    No,
    NotAsked,
}

/// A role that was created or saved.
#[derive(Debug, Clone)]
pub struct SavedRole {
    pub id: i32,
    pub name: String,
    /// How many alias users hold it: their rights changed with it.
    pub holders: i64,
}

/// Why a role operation did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// No such role in the account (404): another account's role is as absent as a
    /// missing one.
    #[error("no such role")]
    NotFound,
    /// The actor may not change this role at all (403): its own role, or one holding
    /// permissions beyond what it may grant (the Roles tab shows it locked).
    #[error("{}", .0.message())]
    Locked(RoleRefusal),
    /// Everything else is valid, but the role holds dangerous permissions and the save did
    /// not confirm them (422, `confirm_dangerous` in the field errors): the page shows the
    /// warnings and the confirm box, the API answers with the message.
    #[error("dangerous permissions need confirm_dangerous")]
    Unconfirmed(FieldErrors),
    /// The role holds a risky or admin permission and the door has no recent
    /// authentication (the page sends the person to /reauth first).
    #[error("a recent authentication is needed")]
    RecentAuthRequired,
    /// The role is held by alias users and cannot be deleted (409), with the message that
    /// names them.
    #[error("{0}")]
    InUse(String),
    /// Refused (403), invalid input by field (422), or the database.
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<DbError> for RoleError {
    fn from(e: DbError) -> Self {
        RoleError::Op(e.into())
    }
}

impl From<diesel::result::Error> for RoleError {
    fn from(e: diesel::result::Error) -> Self {
        RoleError::Op(e.into())
    }
}

impl From<crate::access::changes::ChangeError> for RoleError {
    fn from(e: crate::access::changes::ChangeError) -> Self {
        RoleError::Op(e.into())
    }
}

/// An input that passed every check.
struct Valid {
    name: RoleName,
    description: RoleDescription,
    permissions: PermissionSet,
}

/// Checks the input against the Roles tab's rules: name and description, unknown keys
/// and keys the actor may not grant (all reported together, by field), then the
/// confirmation of dangerous permissions.
fn validate(actor: &Actor, account: &User, input: &RoleInput) -> Result<Valid, RoleError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", RoleName::parse(&input.name));
    let description = errors.check("description", RoleDescription::parse(&input.description));
    let permissions = match check_permissions(&input.permissions, grantable(actor, account)) {
        Ok(set) => Some(set),
        Err(problems) => {
            errors.add("permissions", problems.message("You may not grant:"));
            None
        }
    };
    let (Some(name), Some(description), Some(permissions), true) =
        (name, description, permissions, errors.is_empty())
    else {
        return Err(OpError::Invalid(errors).into());
    };
    if !risky(permissions).is_empty() && !input.confirm_dangerous {
        errors.add(
            "confirm_dangerous",
            "This role holds dangerous permissions: read the warnings and confirm to save it.",
        );
        return Err(RoleError::Unconfirmed(errors));
    }
    Ok(Valid {
        name,
        description,
        permissions,
    })
}

/// Sudo mode: a role with a risky or admin permission needs a recent
/// authentication where the door can give one.
fn recent_enough(recent: RecentAuth, valid: &Valid) -> Result<(), RoleError> {
    let admin = valid.permissions.iter().any(|p| p.tier == Tier::Admin);
    if recent == RecentAuth::No && (admin || !risky(valid.permissions).is_empty()) {
        return Err(RoleError::RecentAuthRequired);
    }
    Ok(())
}

fn may_manage(actor: &Actor, account: &User) -> Result<(), RoleError> {
    if may_manage_roles(actor, account) {
        Ok(())
    } else {
        Err(OpError::Forbidden(MAY_NOT_MANAGE).into())
    }
}

fn taken() -> RoleError {
    let mut errors = FieldErrors::default();
    errors.add("name", NAME_TAKEN);
    OpError::Invalid(errors).into()
}

/// A unique-index refusal is a name taken by a concurrent save.
fn taken_if_unique(e: RoleError) -> RoleError {
    match e {
        RoleError::Op(OpError::Db(DbError::Query(q))) if db::is_unique_violation(&q) => taken(),
        other => other,
    }
}

/// A role of `account` with the permissions it holds (known keys only).
fn find(conn: &mut DbConn, account_id: i32, rid: i32) -> Result<(Role, PermissionSet), RoleError> {
    let role = Role::find_in_account(conn, account_id, rid)?.ok_or(RoleError::NotFound)?;
    let held = PermissionSet::from_known_keys(&role::permissions_of(conn, rid)?);
    Ok((role, held))
}

/// Creates a role of `account`. The audit row `role.create` (from `who`) names the role
/// and its permissions.
/// Runs inside the transaction the caller holds.
pub fn create_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
    input: RoleInput,
    recent: RecentAuth,
) -> Result<SavedRole, RoleError> {
    may_manage(actor, account)?;
    let valid = validate(actor, account, &input)?;
    recent_enough(recent, &valid)?;
    let require_two_factor = input.require_two_factor.unwrap_or(false);
    let account_id = account.id;
    let audit = who
        .target(format!("role {}", valid.name.as_str()))
        .details(format!(
            "permissions={}",
            valid.permissions.keys().join(",")
        ));
    (|| {
        let key = name_key(valid.name.as_str());
        if Role::name_taken(c, account_id, &key, None)? {
            return Err(taken());
        }
        let at = now();
        let id = NewRole {
            account_id,
            name: valid.name.as_str(),
            name_key: &key,
            description: valid.description.as_str(),
            created_at: at,
            updated_at: at,
        }
        .insert(c)?;
        role::set_permissions(c, id, &valid.permissions.keys())?;
        two_factor::set_role_requires(c, id, require_two_factor)?;
        audit.insert(c)?;
        Ok(SavedRole {
            id,
            name: valid.name.as_str().to_string(),
            holders: 0,
        })
    })()
    .map_err(taken_if_unique)
}

/// Saves the role `rid` of `account` with `input` in place of its name, description,
/// permissions (and two-factor setting when given). The audit row `role.update` says
/// what changed. The alias users holding the role get its new rights on their next
/// request, so the save stands only if the actor covers each of them afterwards.
/// Runs inside the transaction the caller holds.
pub fn update_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
    rid: i32,
    input: RoleInput,
    recent: RecentAuth,
) -> Result<SavedRole, RoleError> {
    // Whether the actor may change this role at all is asked before the input is
    // checked, so a refused login learns nothing from field errors.
    may_manage(actor, account)?;
    let account_id = account.id;
    let (role, before) = find(c, account_id, rid)?;
    may_edit_role(actor, account, rid, before).map_err(RoleError::Locked)?;
    let valid = validate(actor, account, &input)?;
    recent_enough(recent, &valid)?;
    let by = By::actor(actor, &who);
    (|| {
        if Role::name_taken(c, account_id, &name_key(valid.name.as_str()), Some(rid))? {
            return Err(taken());
        }
        let audit = who
            .target(format!("role {}", valid.name.as_str()))
            .details(changes(&role, before, &valid));
        let require_two_factor = match input.require_two_factor {
            Some(r) => r,
            None => two_factor::role_requires(c, rid)?,
        };
        // The edit changes every holder's rights: it stands only if the editor covers
        // each of them afterwards (no escalation), else it is rolled back.
        role_change(c, actor, rid, |c| {
            Role::update(
                c,
                rid,
                valid.name.as_str(),
                valid.description.as_str(),
                now(),
            )?;
            role::set_permissions(c, rid, &valid.permissions.keys())?;
            two_factor::set_role_requires(c, rid, require_two_factor)?;
            audit.insert(c)?;
            Ok::<_, RoleError>(())
        })?;
        // Its holders gained what the edit added (as they really act: role ∩ parent);
        // the owner hears of the risky and admin part.
        let gained = valid
            .permissions
            .minus(before)
            .intersect(kind_permissions(account.kind()));
        let (names, holders) = role::holders(c, rid, HOLDERS_SHOWN)?;
        if !worth_telling(gained).is_empty() && holders > 0 {
            let mut logins = names;
            if holders > logins.len() as i64 {
                logins.push(format!("and {} more", holders - logins.len() as i64));
            }
            notices::risky_grant(
                c,
                &by,
                account_id,
                format!("the role {} they hold was edited", valid.name.as_str()),
                logins,
                gained,
            )?;
        }
        Ok(SavedRole {
            id: rid,
            name: valid.name.as_str().to_string(),
            holders,
        })
    })()
    .map_err(taken_if_unique)
}

/// The audit details of a save: a rename, a new description, added and removed keys.
fn changes(role: &Role, before: PermissionSet, valid: &Valid) -> String {
    let mut changes = Vec::new();
    if valid.name.as_str() != role.name {
        changes.push(format!("renamed from {}", role.name));
    }
    if valid.description.as_str() != role.description {
        changes.push("description".to_string());
    }
    let added = valid.permissions.minus(before).keys();
    let removed = before.minus(valid.permissions).keys();
    if !added.is_empty() {
        changes.push(format!("added={}", added.join(",")));
    }
    if !removed.is_empty() {
        changes.push(format!("removed={}", removed.join(",")));
    }
    changes.join("; ")
}

/// Deletes the role `rid` of `account`, which nobody may hold: a role in use is kept and
/// the refusal names its holders. The audit row `role.delete` names the role and the
/// permissions it held; answers the deleted role's name.
/// Runs inside the transaction the caller holds.
pub fn delete_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
    rid: i32,
) -> Result<String, RoleError> {
    may_manage(actor, account)?;
    let (role, held) = find(c, account.id, rid)?;
    may_edit_role(actor, account, rid, held).map_err(RoleError::Locked)?;
    let (holders, count) = role::holders(c, rid, HOLDERS_SHOWN)?;
    if count > 0 {
        return Err(RoleError::InUse(in_use(&role.name, &holders, count)));
    }
    let audit = who
        .target(format!("role {}", role.name))
        .details(format!("permissions={}", held.keys().join(",")));
    // Nobody holds it, so nobody's rights change; asked all the same so that
    // every role change passes the one rule.
    role_change(c, actor, rid, |c| {
        Role::delete(c, rid)?;
        audit.insert(c)?;
        Ok::<_, RoleError>(role.name)
    })
}

fn in_use(role: &str, holders: &[String], count: i64) -> String {
    let mut names = holders.join(", ");
    if count > holders.len() as i64 {
        names.push_str(&format!(" and {} more", count - holders.len() as i64));
    }
    format!(
        "Role {role} is in use by {names}. Give these alias users another role before deleting it."
    )
}

#[cfg(test)]
mod tests {
    use super::in_use;

    #[test]
    fn the_in_use_refusal_names_the_holders_and_counts_the_rest() {
        let names = ["ann".to_string(), "bob".to_string()];
        assert_eq!(
            in_use("Ops", &names, 2),
            "Role Ops is in use by ann, bob. Give these alias users another role before deleting it."
        );
        assert!(in_use("Ops", &names, 5).contains("ann, bob and 3 more."));
    }
}
