//! Who may see and manage an account's alias users, and the no-escalation rule for them:
//! a manager grants only what it holds (permissions through roles, servers, "all
//! servers"), never acts on itself, and never acts on a login whose rights are not a
//! subset of its own.

use super::accounts::manages_alias_area;
use super::actor::{account_reach, alias_permissions, Actor};
use super::catalog::Perm;
use super::permission_set::PermissionSet;
use crate::models::reach::Reach;
use crate::models::user::User;

const MANAGE: Perm = Perm::AliasUsersManage;

/// May create alias users on the account and manage them (within the no-escalation rule).
pub fn may_manage_aliases(actor: &Actor, account: &User) -> bool {
    manages_alias_area(actor, account, MANAGE)
}

/// May see the Alias Users tab: its managers, and alias users of the account who may
/// impersonate their siblings (they need the list to pick one).
pub fn may_list_aliases(actor: &Actor, account: &User) -> bool {
    may_manage_aliases(actor, account)
        || (actor.is_alias()
            && actor.account_id() == account.id
            && actor.may(Perm::AliasUsersImpersonate))
}

/// May open an alias user's page: those who may list them, and the alias user itself.
pub fn may_view_alias(actor: &Actor, account: &User, alias: &User) -> bool {
    alias.parent_id == Some(account.id)
        && (actor.login.id == alias.id || may_list_aliases(actor, account))
}

/// What is known about a target alias user when deciding whether one may act on it.
#[derive(Debug, Clone, Copy)]
pub struct TargetRights {
    /// Its effective permissions (role ∩ parent).
    pub permissions: PermissionSet,
    /// It has the "all servers" flag.
    pub all_servers: bool,
    /// Whether the actor covers it (`rights::coverage`, settled with its counts).
    pub covered: bool,
}

/// Why an action on an alias user is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a manager of this account at all.
    NotManager,
    /// The target is the actor itself.
    Itself,
    /// The target holds rights the actor does not.
    Stronger,
}

/// The servers a manager may hand out on this account: the account's servers that the
/// manager itself reaches.
pub fn assignable_reach(actor: &Actor, account: &User) -> Reach {
    account_reach(account).and(actor.reach.clone())
}

/// Whether the actor's reach covers every server of the account (so it may grant "all"):
/// its login's, and through an API key only a key granted all of the login's servers.
pub fn reaches_all_of_account(actor: &Actor) -> bool {
    (!actor.is_alias() || actor.login.all_servers)
        && actor.key.as_ref().is_none_or(|k| k.all_servers)
}

/// May edit, disable, delete, reset or re-assign `target` (an alias user of `account`).
pub fn may_act_on_alias(
    actor: &Actor,
    account: &User,
    target: &User,
    rights: TargetRights,
) -> Result<(), Refused> {
    if !may_manage_aliases(actor, account) || target.parent_id != Some(account.id) {
        return Err(Refused::NotManager);
    }
    if target.id == actor.login.id {
        return Err(Refused::Itself);
    }
    if !rights.covered {
        return Err(Refused::Stronger);
    }
    Ok(())
}

/// May change its own password on its own page: the alias user itself, never while
/// someone impersonates it (a password outlives the impersonation).
pub fn may_change_own_password(actor: &Actor, alias: &User) -> bool {
    actor.login.id == alias.id && !actor.is_impersonating()
}

/// The effective permissions an alias user of `account` would have with a role.
pub fn role_rights(role_keys: &[String], account: &User) -> PermissionSet {
    alias_permissions(role_keys, account)
}

/// May give an alias user of `account` a role with these keys (only what one holds).
pub fn may_grant_role(actor: &Actor, account: &User, role_keys: &[String]) -> bool {
    role_rights(role_keys, account).is_subset_of(actor.permissions)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    /// What is known of a target alias user with these permissions and servers, as the
    /// actor `by` sees it (`outside`: how many of its servers lie outside `by`'s reach).
    pub(crate) fn rights_for(
        by: &Actor,
        parent: &User,
        keys: &[&str],
        all: bool,
        outside: i64,
    ) -> TargetRights {
        use crate::access::rights::{coverage, ListedCounts, Rights};
        let mut target = alias(99, parent);
        target.all_servers = all;
        let role = PermissionSet::parse_keys(keys).unwrap();
        let l = Rights::of_alias(&target, parent, role);
        let counts = ListedCounts {
            total: outside + 1,
            outside_a: outside,
        };
        TargetRights {
            permissions: role.intersect(crate::access::actor::kind_permissions(parent.kind())),
            all_servers: all,
            covered: coverage(&Rights::of_actor(by), &l).settle(counts),
        }
    }

    #[test]
    fn the_owner_acts_on_its_alias_users_but_not_on_another_accounts() {
        let account = user(1, "user");
        let owner = actor(account.clone(), None, &[]);
        let target = alias(2, &account);
        assert_eq!(
            may_act_on_alias(
                &owner,
                &account,
                &target,
                rights_for(&owner, &account, &["servers.view"], true, 0)
            ),
            Ok(())
        );
        let other = user(9, "user");
        let foreign = alias(3, &other);
        assert_eq!(
            may_act_on_alias(
                &owner,
                &account,
                &foreign,
                rights_for(&owner, &account, &[], false, 0)
            ),
            Err(Refused::NotManager)
        );
    }

    #[test]
    fn an_alias_manager_never_acts_on_itself_or_on_a_stronger_alias() {
        let account = user(1, "user");
        let mut me = alias(2, &account);
        me.all_servers = false;
        let manager = actor(
            me.clone(),
            Some(account.clone()),
            &["alias_users.manage", "servers.view"],
        );
        assert_eq!(
            may_act_on_alias(
                &manager,
                &account,
                &me,
                rights_for(&manager, &account, &["servers.view"], false, 0)
            ),
            Err(Refused::Itself)
        );
        let other = alias(3, &account);
        assert_eq!(
            may_act_on_alias(
                &manager,
                &account,
                &other,
                rights_for(&manager, &account, &["servers.view"], false, 0)
            ),
            Ok(())
        );
        assert_eq!(
            may_act_on_alias(
                &manager,
                &account,
                &other,
                rights_for(
                    &manager,
                    &account,
                    &["servers.view", "servers.power"],
                    false,
                    0
                )
            ),
            Err(Refused::Stronger),
            "more permissions"
        );
        assert_eq!(
            may_act_on_alias(
                &manager,
                &account,
                &other,
                rights_for(&manager, &account, &["servers.view"], true, 0)
            ),
            Err(Refused::Stronger),
            "all servers"
        );
        assert_eq!(
            may_act_on_alias(
                &manager,
                &account,
                &other,
                rights_for(&manager, &account, &["servers.view"], false, 2)
            ),
            Err(Refused::Stronger),
            "servers it cannot reach"
        );
    }

    #[test]
    fn an_alias_without_the_manage_permission_manages_nothing() {
        let account = user(1, "user");
        let viewer = actor(alias(2, &account), Some(account.clone()), &["servers.view"]);
        assert!(!may_manage_aliases(&viewer, &account));
        let other = alias(3, &account);
        assert!(!may_view_alias(&viewer, &account, &other));
        assert!(may_view_alias(&viewer, &account, &viewer.login.clone()));
    }

    #[test]
    fn roles_are_granted_only_within_the_granters_rights() {
        let account = user(1, "user");
        let manager = actor(
            alias(2, &account),
            Some(account.clone()),
            &["alias_users.manage", "servers.view"],
        );
        let keys = |ks: &[&str]| ks.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(may_grant_role(&manager, &account, &keys(&["servers.view"])));
        assert!(!may_grant_role(
            &manager,
            &account,
            &keys(&["servers.view", "servers.reinstall"])
        ));
        // Keys the parent lacks grant nothing, so they do not count against the granter.
        assert!(may_grant_role(
            &manager,
            &account,
            &keys(&["servers.view", "admin.users"])
        ));
    }

    #[test]
    fn a_key_limited_to_chosen_servers_does_not_reach_all_of_the_account() {
        use crate::access::rights::KeyGrant;
        let account = user(1, "user");
        let owner = actor(account.clone(), None, &[]);
        let key = |all_servers| KeyGrant {
            key: 7,
            permissions: None,
            all_servers,
        };
        assert!(reaches_all_of_account(&owner));
        assert!(reaches_all_of_account(&owner.clone().with_key(key(true))));
        assert!(!reaches_all_of_account(&owner.with_key(key(false))));
    }

    #[test]
    fn assignable_servers_are_the_accounts_within_the_managers_reach() {
        let account = user(1, "user");
        let owner = actor(account.clone(), None, &[]);
        assert_eq!(assignable_reach(&owner, &account), Reach::Owner(1));
        let admin = actor(user(5, "admin"), None, &[]);
        assert_eq!(assignable_reach(&admin, &account), Reach::Owner(1));
        let manager = actor(
            alias(2, &account),
            Some(account.clone()),
            &["alias_users.manage"],
        );
        assert!(!reaches_all_of_account(&manager));
        assert_eq!(
            assignable_reach(&manager, &account),
            Reach::Both(
                Box::new(Reach::Owner(1)),
                Box::new(Reach::Assigned {
                    alias_id: 2,
                    within: Box::new(Reach::Owner(1))
                })
            )
        );
    }
}
