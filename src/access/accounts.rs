//! Who may see, create and edit regular accounts (Manage Users and the Account Details
//! tab). Admins (admin.users) reach every account, resellers (customers.view / .manage)
//! their own customers, and every login its own account. Editing another login also
//! needs its rights to be a subset of the editor's own: no one edits a stronger login.

use super::actor::Actor;
use super::catalog::Perm;
use super::rights::{coverage, covers_account, Coverage, Rights};
use crate::models::user::{Kind, User};

/// Which accounts a login may list on Manage Users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountList {
    Everyone,
    CustomersOf(i32),
}

pub fn account_list(actor: &Actor) -> Option<AccountList> {
    if actor.may(Perm::AdminUsers) {
        Some(AccountList::Everyone)
    } else if actor.may(Perm::CustomersView) || actor.may(Perm::CustomersManage) {
        Some(AccountList::CustomersOf(actor.account_id()))
    } else {
        None
    }
}

fn is_customer_of_actor(actor: &Actor, target: &User) -> bool {
    target.owner_id == Some(actor.account_id()) && target.kind() == Kind::User
}

/// May see the account's detail page (which tabs show is decided per tab).
pub fn may_view_account(actor: &Actor, target: &User) -> bool {
    if target.is_alias() {
        return false;
    }
    actor.account_id() == target.id
        || actor.may(Perm::AdminUsers)
        || ((actor.may(Perm::CustomersView) || actor.may(Perm::CustomersManage))
            && is_customer_of_actor(actor, target))
}

/// Whether `actor` manages the alias environment of `account` (its alias users or alias
/// roles) through the permission `perm` ("alias_users.manage" or "alias_roles.manage"):
/// the account itself; an admin (admin.users); the account's reseller (customers.manage);
/// or an alias user of the account holding `perm`. Managers other than the account itself
/// must hold every right of the account (no one manages a stronger login's environment).
pub fn manages_alias_area(actor: &Actor, account: &User, perm: Perm) -> bool {
    if account.is_alias() || !may_view_account(actor, account) {
        return false;
    }
    // The account itself holds every permission of its tier, unless it acts through an
    // API key that was granted less: then the key's grant decides, as for anyone.
    if actor.login.id == account.id || (actor.is_alias() && actor.account_id() == account.id) {
        return actor.may(perm);
    }
    if !covers_account(actor, account) {
        return false;
    }
    actor.may(Perm::AdminUsers)
        || (actor.may(Perm::CustomersManage) && is_customer_of_actor(actor, account))
}

/// What an edit of the Account Details form may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountEdit {
    /// Name and e-mail.
    pub profile: bool,
    /// Disable / enable the account.
    pub status: bool,
    /// Kind and owner (admins only).
    pub kind_and_owner: bool,
    /// Change the password with the current one (the login itself, not impersonated).
    pub own_password: bool,
}

impl AccountEdit {
    pub fn any(&self) -> bool {
        self.profile || self.status || self.kind_and_owner || self.own_password
    }
}

pub fn account_edit(actor: &Actor, target: &User) -> AccountEdit {
    if !may_view_account(actor, target) {
        return AccountEdit::default();
    }
    let is_self = actor.login.id == target.id;
    if is_self {
        return AccountEdit {
            profile: true,
            status: false,
            kind_and_owner: false,
            own_password: !actor.is_impersonating(),
        };
    }
    // Nobody edits a login with rights beyond their own; that the edit leaves
    // it covered too is `changes::account_change`'s to check.
    if !covers_account(actor, target) {
        return AccountEdit::default();
    }
    if actor.may(Perm::AdminUsers) {
        AccountEdit {
            profile: true,
            status: true,
            kind_and_owner: true,
            own_password: false,
        }
    } else if actor.may(Perm::CustomersManage) && is_customer_of_actor(actor, target) {
        AccountEdit {
            profile: true,
            status: true,
            kind_and_owner: false,
            own_password: false,
        }
    } else {
        AccountEdit::default()
    }
}

/// Which accounts a login may create on Manage Users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCreation {
    /// Any kind, any owner (admins).
    Any,
    /// Customer accounts owned by this account (resellers).
    CustomersOf(i32),
}

pub fn account_creation(actor: &Actor) -> Option<AccountCreation> {
    if actor.may(Perm::AdminUsers) {
        Some(AccountCreation::Any)
    } else if actor.may(Perm::CustomersManage) {
        Some(AccountCreation::CustomersOf(actor.account_id()))
    } else {
        None
    }
}

/// Why an account may not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCreation {
    /// Beyond the creator's rights, or not its to create (403).
    Forbidden,
    /// The owner cannot own an account of that kind (422 next to the owner).
    OwnerDoesNotFit,
}

/// Whether the creator may make an account of `kind` owned by `owner`: it must cover the
/// new account (no escalation), and the owner must fit the kind.
pub fn may_create(
    creation: AccountCreation,
    actor: &Actor,
    kind: Kind,
    owner: Option<&User>,
) -> Result<(), NoCreation> {
    if kind == Kind::Alias {
        return Err(NoCreation::OwnerDoesNotFit);
    }
    if !covers_new_account(actor, kind, owner) {
        return Err(NoCreation::Forbidden);
    }
    let fits = match creation {
        AccountCreation::Any => match kind {
            Kind::User => owner.is_some_and(|o| matches!(o.kind(), Kind::Admin | Kind::Reseller)),
            Kind::Reseller => owner.is_some_and(|o| o.kind() == Kind::Admin),
            Kind::Admin => owner.is_none(),
            Kind::Alias => false,
        },
        AccountCreation::CustomersOf(id) => {
            if kind != Kind::User || owner.is_none_or(|o| o.id != id) {
                return Err(NoCreation::Forbidden);
            }
            true
        }
    };
    if !fits {
        return Err(NoCreation::OwnerDoesNotFit);
    }
    Ok(())
}

/// Whether the actor would cover a new account of `kind` owned by `owner`: its tier's
/// permissions on all of its servers, now and later.
pub fn covers_new_account(actor: &Actor, kind: Kind, owner: Option<&User>) -> bool {
    let mut new = actor.login.clone();
    new.id = 0;
    new.kind = kind.as_str().to_string();
    new.owner_id = owner.map(|o| o.id);
    new.parent_id = None;
    new.role_id = None;
    coverage(&Rights::of_actor(actor), &Rights::of_account(&new)) == Coverage::Covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    #[test]
    fn admins_see_everyone_resellers_their_customers_users_nobody() {
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let customer = actor(user(3, "user"), None, &[]);
        assert_eq!(account_list(&admin), Some(AccountList::Everyone));
        assert_eq!(account_list(&reseller), Some(AccountList::CustomersOf(2)));
        assert_eq!(account_list(&customer), None);
    }

    #[test]
    fn a_reseller_reaches_its_own_customers_only() {
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mut mine = user(3, "user");
        mine.owner_id = Some(2);
        let mut theirs = user(4, "user");
        theirs.owner_id = Some(9);
        assert!(may_view_account(&reseller, &mine));
        assert!(!may_view_account(&reseller, &theirs));
        assert!(account_edit(&reseller, &mine).status);
        assert!(!account_edit(&reseller, &mine).kind_and_owner);
        assert!(!account_edit(&reseller, &theirs).any());
    }

    #[test]
    fn nobody_edits_a_login_stronger_than_themselves() {
        let parent = user(1, "admin");
        let helper = actor(
            alias(5, &parent),
            Some(parent),
            &["admin.users", "servers.view"],
        );
        let other_admin = user(6, "admin");
        let customer = user(7, "user");
        assert!(may_view_account(&helper, &other_admin));
        assert!(!account_edit(&helper, &other_admin).any());
        assert!(
            !account_edit(&helper, &customer).any(),
            "user tier is not within its rights"
        );
    }

    #[test]
    fn a_login_edits_its_own_profile_but_not_its_status() {
        let me = actor(user(3, "user"), None, &[]);
        let edit = account_edit(&me, &user(3, "user"));
        assert!(edit.profile && edit.own_password && !edit.status && !edit.kind_and_owner);
    }

    #[test]
    fn the_alias_area_is_managed_by_owner_admin_reseller_and_entitled_aliases() {
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mut account = user(3, "user");
        account.owner_id = Some(2);
        let owner = actor(account.clone(), None, &[]);
        let manager = actor(
            alias(4, &account),
            Some(account.clone()),
            &["alias_roles.manage"],
        );
        let viewer = actor(alias(5, &account), Some(account.clone()), &["servers.view"]);
        let stranger = actor(user(6, "user"), None, &[]);
        for (who, expect) in [
            (&admin, true),
            (&reseller, true),
            (&owner, true),
            (&manager, true),
            (&viewer, false),
            (&stranger, false),
        ] {
            assert_eq!(
                manages_alias_area(who, &account, Perm::AliasRolesManage),
                expect,
                "{}",
                who.login.username
            );
        }
        assert!(!manages_alias_area(
            &manager,
            &account,
            Perm::AliasUsersManage
        ));
    }

    #[test]
    fn resellers_create_only_their_own_customers() {
        let reseller = actor(user(2, "reseller"), None, &[]);
        let c = account_creation(&reseller).unwrap();
        let me = user(2, "reseller");
        let other = user(8, "reseller");
        assert_eq!(may_create(c, &reseller, Kind::User, Some(&me)), Ok(()));
        for (kind, owner) in [
            (Kind::User, Some(&other)),
            (Kind::Reseller, Some(&me)),
            (Kind::Admin, None),
        ] {
            assert_eq!(
                may_create(c, &reseller, kind, owner),
                Err(NoCreation::Forbidden)
            );
        }
    }

    #[test]
    fn an_admins_helper_creates_only_what_it_covers() {
        let parent = user(1, "admin");
        let mut me = alias(5, &parent);
        me.all_servers = true;
        let user_tier: Vec<&str> = crate::access::CATALOG
            .iter()
            .filter(|p| p.tier == crate::access::Tier::User)
            .map(|p| p.key)
            .collect();
        let helper = actor(
            me,
            Some(parent.clone()),
            &[&user_tier[..], &["admin.users"]].concat(),
        );
        let c = account_creation(&helper).unwrap();
        assert_eq!(may_create(c, &helper, Kind::User, Some(&parent)), Ok(()));
        assert_eq!(
            may_create(c, &helper, Kind::Reseller, Some(&parent)),
            Err(NoCreation::Forbidden)
        );
        assert_eq!(
            may_create(c, &helper, Kind::Admin, None),
            Err(NoCreation::Forbidden)
        );
    }
}
