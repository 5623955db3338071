//! Who may see, create and edit regular accounts (Manage Users and the Account Details
//! tab). Admins (admin.users) reach every account, resellers (customers.view / .manage)
//! their own customers, and every login its own account. Editing another login also
//! needs its rights to be a subset of the editor's own: no one edits a stronger login.

use super::actor::{kind_permissions, Actor};
use crate::models::user::{Kind, User};

/// Which accounts a login may list on Manage Users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountList {
    Everyone,
    CustomersOf(i32),
}

pub fn account_list(actor: &Actor) -> Option<AccountList> {
    if actor.may("admin.users") {
        Some(AccountList::Everyone)
    } else if actor.may("customers.view") || actor.may("customers.manage") {
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
        || actor.may("admin.users")
        || ((actor.may("customers.view") || actor.may("customers.manage"))
            && is_customer_of_actor(actor, target))
}

/// Whether `actor` manages the alias environment of `account` (its alias users or alias
/// roles) through the permission `perm` ("alias_users.manage" or "alias_roles.manage"):
/// the account itself; an admin (admin.users); the account's reseller (customers.manage);
/// or an alias user of the account holding `perm`. Managers other than the account itself
/// must hold every right of the account (no one manages a stronger login's environment).
pub fn manages_alias_area(actor: &Actor, account: &User, perm: &str) -> bool {
    if account.is_alias() || !may_view_account(actor, account) {
        return false;
    }
    if actor.login.id == account.id {
        return true;
    }
    if actor.is_alias() && actor.account_id() == account.id {
        return actor.may(perm);
    }
    let stronger = !kind_permissions(account.kind()).is_subset_of(actor.permissions);
    if stronger {
        return false;
    }
    actor.may("admin.users")
        || (actor.may("customers.manage") && is_customer_of_actor(actor, account))
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
    // Nobody edits a login with rights beyond their own.
    if !kind_permissions(target.kind()).is_subset_of(actor.permissions) {
        return AccountEdit::default();
    }
    if actor.may("admin.users") {
        AccountEdit {
            profile: true,
            status: true,
            kind_and_owner: true,
            own_password: false,
        }
    } else if actor.may("customers.manage") && is_customer_of_actor(actor, target) {
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
    if actor.may("admin.users") {
        Some(AccountCreation::Any)
    } else if actor.may("customers.manage") {
        Some(AccountCreation::CustomersOf(actor.account_id()))
    } else {
        None
    }
}

/// Whether the creator may make an account of `kind` owned by `owner`.
pub fn may_create(
    creation: AccountCreation,
    actor: &Actor,
    kind: Kind,
    owner: Option<&User>,
) -> bool {
    if !kind_permissions(kind).is_subset_of(actor.permissions) || kind == Kind::Alias {
        return false;
    }
    match creation {
        AccountCreation::Any => match kind {
            Kind::User => owner.is_some_and(|o| matches!(o.kind(), Kind::Admin | Kind::Reseller)),
            Kind::Reseller => owner.is_some_and(|o| o.kind() == Kind::Admin),
            Kind::Admin => owner.is_none(),
            Kind::Alias => false,
        },
        AccountCreation::CustomersOf(id) => kind == Kind::User && owner.is_some_and(|o| o.id == id),
    }
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
                manages_alias_area(who, &account, "alias_roles.manage"),
                expect,
                "{}",
                who.login.username
            );
        }
        assert!(!manages_alias_area(
            &manager,
            &account,
            "alias_users.manage"
        ));
    }

    #[test]
    fn resellers_create_only_their_own_customers() {
        let reseller = actor(user(2, "reseller"), None, &[]);
        let c = account_creation(&reseller).unwrap();
        let me = user(2, "reseller");
        let other = user(8, "reseller");
        assert!(may_create(c, &reseller, Kind::User, Some(&me)));
        assert!(!may_create(c, &reseller, Kind::User, Some(&other)));
        assert!(!may_create(c, &reseller, Kind::Reseller, Some(&me)));
        assert!(!may_create(c, &reseller, Kind::Admin, None));
    }
}
