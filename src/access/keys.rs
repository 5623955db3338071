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
use super::catalog::Perm;
use super::permission_set::PermissionSet;
use super::rights::KeyGrant;
use super::roles::{check_permissions, PermissionProblems};
use super::Actor;
use crate::models::api_key::ApiKey;
use crate::models::user::User;

/// The two kinds of credentials a login holds besides its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ssh,
    Api,
}

impl KeyKind {
    /// The permission that lets a login manage its own keys of this kind.
    pub fn permission(self) -> Perm {
        match self {
            KeyKind::Ssh => Perm::SshKeysManage,
            KeyKind::Api => Perm::ApiKeysManage,
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

/// What is done with keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// See the list, revoke or delete a key.
    Manage,
    /// Create (API key) or add (SSH key) one.
    Create,
}

/// Why key management is refused (both answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The session is impersonating.
    Impersonating,
    /// Neither the holder with the permission nor one of its managers.
    NotAllowed,
    /// Credentials are personal: an API key is created only by its own login.
    NotYours,
}

/// May `actor` see and remove the `kind` keys of `holder` (`KeyAction::Manage`), or add
/// one (`KeyAction::Create`)? The holder itself needs the key permission. Others need it
/// too and must cover the holder (through `account_edit` and
/// `may_act_on_alias`). Credentials are personal: others never create an API key for a
/// login — its secret would be theirs — while SSH keys, public halves that only let the
/// holder's own reinstalls put them on servers the holder reaches, may still be added by
/// a manager who covers the holder.
pub fn may_use_keys(
    actor: &Actor,
    holder: Holder<'_>,
    kind: KeyKind,
    action: KeyAction,
) -> Result<(), KeyRefusal> {
    if actor.is_impersonating() {
        return Err(KeyRefusal::Impersonating);
    }
    let perm = kind.permission();
    let (own, managed) = match holder {
        Holder::Account(account) => {
            if account.is_alias() {
                (false, false)
            } else {
                // Those who may disable the account manage it: an admin (admin.users) or
                // its reseller (customers.manage), each only over a login it covers.
                (
                    actor.login.id == account.id,
                    account_edit(actor, account).status,
                )
            }
        }
        Holder::Alias {
            account,
            alias,
            rights,
        } => {
            if alias.parent_id != Some(account.id) {
                (false, false)
            } else {
                (
                    actor.login.id == alias.id,
                    may_act_on_alias(actor, account, alias, rights).is_ok(),
                )
            }
        }
    };
    if !actor.may(perm) || !(own || managed) {
        return Err(KeyRefusal::NotAllowed);
    }
    if action == KeyAction::Create && kind == KeyKind::Api && !own {
        return Err(KeyRefusal::NotYours);
    }
    Ok(())
}

/// May put its own SSH keys on a server it reinstalls or rescues: never while
/// impersonating (the keys would be the impersonator's, on the target's server).
pub fn may_install_own_keys(actor: &Actor) -> bool {
    !actor.is_impersonating()
}

/// May `actor` see and remove the `kind` keys of `holder`?
pub fn may_manage_keys(actor: &Actor, holder: Holder<'_>, kind: KeyKind) -> Result<(), KeyRefusal> {
    may_use_keys(actor, holder, kind, KeyAction::Manage)
}

/// What a stored API key was granted, for `Actor::with_key`. Stored keys the catalog no
/// longer knows grant nothing.
pub fn grant_of(key: &ApiKey) -> KeyGrant {
    KeyGrant {
        key: key.id,
        permissions: key.permissions.as_deref().map(|text| {
            let keys: Vec<&str> = text.split_whitespace().collect();
            PermissionSet::from_known_keys(&keys)
        }),
        all_servers: key.all_servers,
    }
}

/// The permissions a new key of `actor` (its own login) is granted: none ticked means all
/// of them (`None`, the intersection with the login's current rights still applies);
/// otherwise a subset of what the login holds now. Unknown keys and keys it lacks are
/// refused, never dropped.
pub fn key_permissions<S: AsRef<str>>(
    actor: &Actor,
    requested: &[S],
) -> Result<Option<PermissionSet>, PermissionProblems> {
    if requested.is_empty() {
        return Ok(None);
    }
    check_permissions(requested, actor.permissions).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use crate::access::aliases::tests::rights_for;

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
            rights: rights_for(&with, &account, &["ssh_keys.manage"], false, 0),
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
        let owner = actor(account.clone(), None, &[]);
        let h = |by: &Actor, keys: &[&str]| Holder::Alias {
            account: &account,
            alias: &target,
            rights: rights_for(by, &account, keys, false, 0),
        };
        assert!(may_manage_keys(&owner, h(&owner, &["servers.view"]), KeyKind::Api).is_ok());
        let mut me = alias(3, &account);
        me.all_servers = true;
        let manager = actor(
            me,
            Some(account.clone()),
            &["alias_users.manage", "servers.view", "api_keys.manage"],
        );
        let weaker = h(&manager, &["servers.view"]);
        assert!(may_manage_keys(&manager, weaker, KeyKind::Api).is_ok());
        assert!(
            may_manage_keys(&manager, weaker, KeyKind::Ssh).is_err(),
            "a manager handles only credentials it may hold itself"
        );
        let stronger = h(&manager, &["servers.view", "servers.reinstall"]);
        assert!(may_manage_keys(&manager, stronger, KeyKind::Api).is_err());
        let stranger = actor(user(9, "user"), None, &[]);
        assert!(may_manage_keys(&stranger, h(&stranger, &["servers.view"]), KeyKind::Api).is_err());
    }

    #[test]
    fn only_the_login_itself_creates_its_api_keys() {
        let account = user(1, "user");
        let owner = actor(account.clone(), None, &[]);
        let target = alias(2, &account);
        let h = Holder::Alias {
            account: &account,
            alias: &target,
            rights: rights_for(
                &owner,
                &account,
                &["servers.view", "api_keys.manage"],
                false,
                0,
            ),
        };
        assert_eq!(
            may_use_keys(&owner, h, KeyKind::Api, KeyAction::Create),
            Err(KeyRefusal::NotYours)
        );
        assert!(may_use_keys(&owner, h, KeyKind::Api, KeyAction::Manage).is_ok());
        assert!(may_use_keys(&owner, h, KeyKind::Ssh, KeyAction::Create).is_ok());
        let own = Holder::Account(&account);
        assert!(may_use_keys(&owner, own, KeyKind::Api, KeyAction::Create).is_ok());
        let admin = actor(user(5, "admin"), None, &[]);
        assert_eq!(
            may_use_keys(&admin, own, KeyKind::Api, KeyAction::Create),
            Err(KeyRefusal::NotYours)
        );
        assert!(may_use_keys(&admin, own, KeyKind::Api, KeyAction::Manage).is_ok());
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

    #[test]
    fn a_keys_permissions_are_a_subset_of_its_logins_own_and_none_means_all() {
        let account = user(1, "user");
        let helper = actor(
            alias(2, &account),
            Some(account.clone()),
            &["servers.view", "api_keys.manage"],
        );
        assert_eq!(key_permissions::<&str>(&helper, &[]), Ok(None));
        assert_eq!(
            key_permissions(&helper, &["servers.view"]).unwrap(),
            Some(PermissionSet::of([super::Perm::ServersView]))
        );
        let err = key_permissions(&helper, &["servers.power", "servers.fly"]).unwrap_err();
        assert_eq!(err.not_grantable, ["servers.power"]);
        assert_eq!(err.unknown, ["servers.fly"]);
    }
}
