//! Who may read an account's Activity (audit log) and Login History. The account itself,
//! admins, and the account's reseller see everything; an alias user with activity.view
//! sees the entries but not other logins' IP addresses; Login History (addresses and user
//! agents of every attempt) is for the account itself, admins and its reseller only.

use super::accounts::may_view_account;
use super::actor::Actor;
use super::catalog::Perm;
use crate::models::user::{Kind, User};

/// Whose IP addresses an activity reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVisibility {
    All,
    /// Only the reader's own.
    OwnOnly,
}

/// The account itself, admins (or their alias users holding admin.users / admin.audit),
/// and its reseller (or the reseller's alias users holding customers.view).
fn oversees(actor: &Actor, account: &User) -> bool {
    if !may_view_account(actor, account) {
        return false;
    }
    // The account's own (a key of it only when granted activity.view).
    (actor.login.id == account.id && actor.may(Perm::ActivityView))
        || actor.may(Perm::AdminUsers)
        || actor.may(Perm::AdminAudit)
        || (actor.may(Perm::CustomersView)
            && account.kind() == Kind::User
            && account.owner_id == Some(actor.account_id()))
}

pub fn may_view_activity(actor: &Actor, account: &User) -> Option<IpVisibility> {
    if oversees(actor, account) {
        Some(IpVisibility::All)
    } else if actor.is_alias() && actor.account_id() == account.id && actor.may(Perm::ActivityView)
    {
        Some(IpVisibility::OwnOnly)
    } else {
        None
    }
}

pub fn may_view_login_history(actor: &Actor, account: &User) -> bool {
    oversees(actor, account)
}

pub fn may_view_global_audit(actor: &Actor) -> bool {
    actor.may(Perm::AdminAudit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    #[test]
    fn owners_admins_and_resellers_see_everything_aliases_with_the_right_no_foreign_ips() {
        let mut account = user(3, "user");
        account.owner_id = Some(2);
        let owner = actor(account.clone(), None, &[]);
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let viewer = actor(
            alias(4, &account),
            Some(account.clone()),
            &["activity.view"],
        );
        let blind = actor(alias(5, &account), Some(account.clone()), &["servers.view"]);
        let stranger = actor(user(6, "user"), None, &[]);
        assert_eq!(may_view_activity(&owner, &account), Some(IpVisibility::All));
        assert_eq!(may_view_activity(&admin, &account), Some(IpVisibility::All));
        assert_eq!(
            may_view_activity(&reseller, &account),
            Some(IpVisibility::All)
        );
        assert_eq!(
            may_view_activity(&viewer, &account),
            Some(IpVisibility::OwnOnly)
        );
        assert_eq!(may_view_activity(&blind, &account), None);
        assert_eq!(may_view_activity(&stranger, &account), None);
        assert!(may_view_login_history(&owner, &account));
        assert!(!may_view_login_history(&viewer, &account));
        assert!(may_view_global_audit(&admin) && !may_view_global_audit(&reseller));
    }
}
