//! Who may see and manage a login's SSH keys and API keys, and who may use the JSON API's
//! parts. A login manages its own keys when it holds the key permission
//! (`ssh_keys.manage`, `api_keys.manage`); an account's keys are also managed by those who
//! manage the account (an admin with admin.users, its reseller with customers.manage,
//! never a weaker login), and an alias user's keys by those who may act on it
//! (`aliases::may_act_on_alias`) and hold the key permission themselves. Keys are never
//! seen, created or removed while impersonating: a key outlives the impersonation and
//! would carry the target's rights to the impersonator.

use super::accounts::account_edit;
use super::aliases::{may_act_on_alias, TargetRights};
use super::Actor;
use crate::models::user::User;

/// The two kinds of credentials a login holds besides its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ssh,
    Api,
}

impl KeyKind {
    /// The permission that lets a login manage its own keys of this kind.
    pub fn permission(self) -> &'static str {
        match self {
            KeyKind::Ssh => "ssh_keys.manage",
            KeyKind::Api => "api_keys.manage",
        }
    }
}

/// Whose keys are asked about.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// A regular account's own keys.
    Account(&'a User),
    /// An alias user's own keys, with what it may do (for the no-stronger rule).
    Alias {
        account: &'a User,
        alias: &'a User,
        rights: TargetRights,
    },
}

/// Why key management is refused (both answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The session is impersonating.
    Impersonating,
    /// Neither the holder with the permission nor one of its managers.
    NotAllowed,
}

/// May `actor` see, create and remove the `kind` keys of `holder`?
pub fn may_manage_keys(actor: &Actor, holder: Holder<'_>, kind: KeyKind) -> Result<(), KeyRefusal> {
    if actor.is_impersonating() {
        return Err(KeyRefusal::Impersonating);
    }
    let perm = kind.permission();
    let allowed = match holder {
        Holder::Account(account) => {
            if account.is_alias() {
                false
            } else if actor.login.id == account.id {
                actor.may(perm)
            } else {
                // Those who may disable the account manage it: an admin (admin.users) or
                // its reseller (customers.manage), each only over a login no stronger than
                // itself; holding the account's rights implies holding `perm`.
                actor.may(perm) && account_edit(actor, account).status
            }
        }
        Holder::Alias {
            account,
            alias,
            rights,
        } => {
            if alias.parent_id != Some(account.id) {
                false
            } else if actor.login.id == alias.id {
                actor.may(perm)
            } else {
                actor.may(perm) && may_act_on_alias(actor, account, alias, rights).is_ok()
            }
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(KeyRefusal::NotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use crate::access::aliases::tests::rights;

    #[test]
    fn an_account_manages_its_own_keys_and_so_do_its_admin_and_reseller() {
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mut account = user(3, "user");
        account.owner_id = Some(2);
        let owner = actor(account.clone(), None, &[]);
        let other_reseller = actor(user(4, "reseller"), None, &[]);
        let stranger = actor(user(5, "user"), None, &[]);
        let its_alias = actor(
            alias(6, &account),
            Some(account.clone()),
            &["ssh_keys.manage", "api_keys.manage"],
        );
        for kind in [KeyKind::Ssh, KeyKind::Api] {
            for (who, ok) in [
                (&admin, true),
                (&reseller, true),
                (&owner, true),
                (&other_reseller, false),
                (&stranger, false),
                (&its_alias, false),
            ] {
                assert_eq!(
                    may_manage_keys(who, Holder::Account(&account), kind).is_ok(),
                    ok,
                    "{} {kind:?}",
                    who.login.username
                );
            }
        }
    }

    #[test]
    fn nobody_manages_the_keys_of_a_stronger_account() {
        let parent = user(1, "admin");
        let helper = actor(alias(2, &parent), Some(parent), &["admin.users"]);
        let customer = user(3, "user");
        assert_eq!(
            may_manage_keys(&helper, Holder::Account(&customer), KeyKind::Ssh),
            Err(KeyRefusal::NotAllowed),
            "the helper lacks the user tier, ssh_keys.manage included"
        );
        let reseller = actor(user(4, "reseller"), None, &[]);
        let admin = user(5, "admin");
        assert!(may_manage_keys(&reseller, Holder::Account(&admin), KeyKind::Api).is_err());
    }

    #[test]
    fn an_alias_user_manages_its_own_keys_only_with_the_permission() {
        let account = user(1, "user");
        let holder = alias(2, &account);
        let with = actor(holder.clone(), Some(account.clone()), &["ssh_keys.manage"]);
        let h = Holder::Alias {
            account: &account,
            alias: &holder,
            rights: rights(&["ssh_keys.manage"], false, 0),
        };
        assert!(may_manage_keys(&with, h, KeyKind::Ssh).is_ok());
        assert_eq!(
            may_manage_keys(&with, h, KeyKind::Api),
            Err(KeyRefusal::NotAllowed)
        );
    }

    #[test]
    fn an_alias_users_keys_are_managed_by_those_who_may_act_on_it() {
        let account = user(1, "user");
        let target = alias(2, &account);
        let h = Holder::Alias {
            account: &account,
            alias: &target,
            rights: rights(&["servers.view"], false, 0),
        };
        let owner = actor(account.clone(), None, &[]);
        assert!(may_manage_keys(&owner, h, KeyKind::Api).is_ok());
        let manager = actor(
            alias(3, &account),
            Some(account.clone()),
            &["alias_users.manage", "servers.view", "api_keys.manage"],
        );
        assert!(may_manage_keys(&manager, h, KeyKind::Api).is_ok());
        assert!(
            may_manage_keys(&manager, h, KeyKind::Ssh).is_err(),
            "a manager hands out only credentials it may hold itself"
        );
        let stronger = Holder::Alias {
            account: &account,
            alias: &target,
            rights: rights(&["servers.view", "servers.reinstall"], false, 0),
        };
        assert!(may_manage_keys(&manager, stronger, KeyKind::Api).is_err());
        let other = user(9, "user");
        let stranger = actor(other, None, &[]);
        assert!(may_manage_keys(&stranger, h, KeyKind::Api).is_err());
    }

    #[test]
    fn keys_are_out_of_reach_while_impersonating() {
        let account = user(3, "user");
        let mut as_target = actor(account.clone(), None, &[]);
        as_target.impersonator = Some(user(1, "admin"));
        for kind in [KeyKind::Ssh, KeyKind::Api] {
            assert_eq!(
                may_manage_keys(&as_target, Holder::Account(&account), kind),
                Err(KeyRefusal::Impersonating)
            );
        }
    }
}
