//! Who may see and write an account's alias roles, and which permissions a role written by
//! a given login may hold. The same rule as for alias users decides who manages roles
//! (`manages_alias_area` with `alias_roles.manage`); what they may put in a role is bounded
//! by `grantable`: what the editor holds itself, within what the account's kind can use.
//! Admin-tier permissions are therefore only offered to a login that holds them.
//!
//! Editing an existing role is decided on its *resulting* rights: an editor may only save
//! (or delete) a role whose permissions (those the account can use) are within its own
//! grantable set, and never the role it holds itself. A role that already holds more than
//! the editor may grant is refused as a whole (403) rather than silently narrowed, so a
//! weaker manager can neither widen nor quietly strip a stronger role.

use super::accounts::manages_alias_area;
use super::actor::{kind_permissions, Actor};
use super::catalog::Perm;
use super::catalog::{Permission, Tier};
use super::permission_set::PermissionSet;
use crate::models::user::User;

/// The permission that lets an alias user manage its account's roles.
pub const MANAGE: Perm = Perm::AliasRolesManage;

/// May see the Roles tab of `account` and open its editor (the same people who write roles).
pub fn may_manage_roles(actor: &Actor, account: &User) -> bool {
    manages_alias_area(actor, account, MANAGE)
}

/// The permissions `actor` may put into a role of `account`: what it holds itself, within
/// what the account's kind can use at all (a role cannot give an alias more than its parent).
pub fn grantable(actor: &Actor, account: &User) -> PermissionSet {
    actor
        .permissions
        .intersect(kind_permissions(account.kind()))
}

/// Why an existing role may not be edited or deleted by this login (both answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleRefusal {
    /// The login holds this role itself: it would change its own rights.
    OwnRole,
    /// The role holds permissions the login may not grant.
    BeyondEditor,
}

impl RoleRefusal {
    pub fn message(self) -> &'static str {
        match self {
            RoleRefusal::OwnRole => "This is your own role: nobody changes their own rights.",
            RoleRefusal::BeyondEditor => {
                "This role holds permissions you do not hold, so you may not change it."
            }
        }
    }
}

/// Whether `actor` may edit or delete the role `role_id` of `account`, which holds
/// `role_permissions`. Assumes `may_manage_roles` already holds.
pub fn may_edit_role(
    actor: &Actor,
    account: &User,
    role_id: i32,
    role_permissions: PermissionSet,
) -> Result<(), RoleRefusal> {
    if actor.is_alias() && actor.login.role_id == Some(role_id) {
        return Err(RoleRefusal::OwnRole);
    }
    // Keys the account's kind cannot use are inert (the alias never gets them), so they
    // neither block an edit nor survive it.
    let effective = role_permissions.intersect(kind_permissions(account.kind()));
    if !effective.is_subset_of(grantable(actor, account)) {
        return Err(RoleRefusal::BeyondEditor);
    }
    Ok(())
}

/// What is wrong with a submitted permission list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PermissionProblems {
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
    /// Known keys this editor may not grant (it lacks them, or the account cannot use them).
    pub not_grantable: Vec<&'static str>,
}

impl PermissionProblems {
    /// The message shown next to the permissions field: the unknown keys, then the
    /// ungrantable ones after `refused` ("You may not grant:").
    pub fn message(&self, refused: &str) -> String {
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            parts.push(format!("Unknown permissions: {}.", self.unknown.join(", ")));
        }
        if !self.not_grantable.is_empty() {
            parts.push(format!("{refused} {}.", self.not_grantable.join(", ")));
        }
        parts.join(" ")
    }
}

/// Checks submitted keys against the catalog and the editor's grantable set. Nothing is
/// dropped: every unknown or ungrantable key is reported.
pub fn check_permissions<S: AsRef<str>>(
    keys: &[S],
    grantable: PermissionSet,
) -> Result<PermissionSet, PermissionProblems> {
    let (set, unknown) = match PermissionSet::parse_keys(keys) {
        Ok(set) => (set, Vec::new()),
        Err(unknown) => (PermissionSet::from_known_keys(keys), unknown),
    };
    let not_grantable = set.minus(grantable).keys();
    if unknown.is_empty() && not_grantable.is_empty() {
        Ok(set)
    } else {
        let mut unknown = unknown;
        unknown.sort();
        unknown.dedup();
        Err(PermissionProblems {
            unknown,
            not_grantable,
        })
    }
}

/// The warning to show for a permission: user and reseller tiers only (an admin granting
/// admin permissions is assumed to know what they do).
pub fn risk_of(p: &Permission) -> Option<&'static str> {
    match p.tier {
        Tier::Admin => None,
        Tier::User | Tier::Reseller => p.risk,
    }
}

/// The risky permissions of a set, in catalog order: saving them needs a confirmation.
pub fn risky(set: PermissionSet) -> Vec<&'static Permission> {
    set.iter().filter(|p| risk_of(p).is_some()).collect()
}

/// The permissions of a set worth telling the account owner about when they are granted
/// (by mail): the risky ones and every admin permission.
pub fn worth_telling(set: PermissionSet) -> PermissionSet {
    PermissionSet::of(
        set.iter()
            .filter(|p| p.tier == Tier::Admin || risk_of(p).is_some())
            .map(|p| p.perm),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    fn set(keys: &[&str]) -> PermissionSet {
        PermissionSet::parse_keys(keys).unwrap()
    }

    #[test]
    fn a_customer_grants_user_permissions_only() {
        let account = user(3, "user");
        let owner = actor(account.clone(), None, &[]);
        let g = grantable(&owner, &account);
        assert!(g.contains(Perm::ServersReinstall));
        assert!(!g.contains(Perm::CustomersManage));
        assert!(!g.contains(Perm::AdminUsers));
    }

    #[test]
    fn admin_permissions_are_grantable_only_in_an_admins_own_environment() {
        let admin_account = user(1, "admin");
        let admin = actor(admin_account.clone(), None, &[]);
        assert!(grantable(&admin, &admin_account).contains(Perm::AdminUsers));
        let mut customer = user(3, "user");
        customer.owner_id = Some(1);
        assert!(!grantable(&admin, &customer).contains(Perm::AdminUsers));
        let reseller = user(2, "reseller");
        assert!(grantable(&admin, &reseller).contains(Perm::CustomersManage));
        assert!(!grantable(&admin, &reseller).contains(Perm::AdminUsers));
    }

    #[test]
    fn an_alias_manager_is_bounded_by_its_own_rights() {
        let account = user(3, "user");
        let manager = actor(
            alias(4, &account),
            Some(account.clone()),
            &["alias_roles.manage", "servers.view"],
        );
        assert!(may_manage_roles(&manager, &account));
        assert_eq!(
            grantable(&manager, &account).keys(),
            ["servers.view", "alias_roles.manage"]
        );
        let err = check_permissions(
            &["servers.view", "servers.reinstall"],
            grantable(&manager, &account),
        )
        .unwrap_err();
        assert_eq!(err.not_grantable, ["servers.reinstall"]);
        assert!(err.unknown.is_empty());
    }

    #[test]
    fn unknown_and_ungrantable_keys_are_all_reported() {
        let g = set(&["servers.view"]);
        let err = check_permissions(
            &["servers.fly", "admin.users", "servers.view", "servers.fly"],
            g,
        )
        .unwrap_err();
        assert_eq!(err.unknown, ["servers.fly"]);
        assert_eq!(err.not_grantable, ["admin.users"]);
        assert_eq!(check_permissions(&["servers.view"], g).unwrap(), g);
        assert!(check_permissions::<&str>(&[], g).unwrap().is_empty());
    }

    #[test]
    fn nobody_edits_the_role_they_hold() {
        let account = user(3, "user");
        let mut me = alias(4, &account);
        me.role_id = Some(9);
        let manager = actor(
            me,
            Some(account.clone()),
            &["alias_roles.manage", "servers.view"],
        );
        assert_eq!(
            may_edit_role(&manager, &account, 9, set(&["servers.view"])),
            Err(RoleRefusal::OwnRole)
        );
        assert_eq!(
            may_edit_role(&manager, &account, 10, set(&["servers.view"])),
            Ok(())
        );
    }

    #[test]
    fn a_role_holding_more_than_the_editor_may_grant_is_not_editable_by_it() {
        let account = user(3, "user");
        let manager = actor(
            alias(4, &account),
            Some(account.clone()),
            &["alias_roles.manage", "servers.view"],
        );
        assert_eq!(
            may_edit_role(
                &manager,
                &account,
                10,
                set(&["servers.view", "servers.reinstall"])
            ),
            Err(RoleRefusal::BeyondEditor)
        );
        // The account itself holds every user permission and may edit it.
        let owner = actor(account.clone(), None, &[]);
        assert_eq!(
            may_edit_role(
                &owner,
                &account,
                10,
                set(&["servers.view", "servers.reinstall"])
            ),
            Ok(())
        );
        // Keys the account's kind cannot use are inert and do not block the owner.
        assert_eq!(
            may_edit_role(&owner, &account, 10, set(&["customers.manage"])),
            Ok(())
        );
    }

    #[test]
    fn only_user_and_reseller_permissions_carry_a_risk_warning() {
        let r = risky(set(&[
            "servers.view",
            "servers.reinstall",
            "customers.assign_servers",
            "admin.settings",
        ]));
        let keys: Vec<_> = r.iter().map(|p| p.key).collect();
        assert_eq!(keys, ["servers.reinstall", "customers.assign_servers"]);
        assert!(risky(PermissionSet::common()).is_empty());
    }
}
