//! Impersonation: who may act as whom. Admins (admin.impersonate) any non-admin
//! account and any alias user; resellers (customers.impersonate) their customers and
//! those customers' alias users; every account owner (alias_users.impersonate) its own
//! alias users; an alias user with alias_users.impersonate its siblings whose rights are a
//! subset of its own — never itself, never its parent. Disabled or expired logins cannot
//! be impersonated, and there is no nesting: one returns first.

use super::actor::Actor;
use super::aliases::TargetRights;
use super::catalog::Perm;
use super::rights::covers_account;
use crate::models::user::{Kind, User};

/// Why impersonation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoImpersonation {
    /// Already impersonating: return first.
    Nested,
    /// The target is the actor itself.
    Itself,
    /// The target may not log in (disabled, expired, parent disabled).
    TargetCannotLogIn,
    /// Not within the actor's rights.
    NotAllowed,
}

/// May the actor impersonate the regular account `target`? `target_may_log_in` says
/// whether the target's standing allows it to act today.
pub fn may_impersonate_account(
    actor: &Actor,
    target: &User,
    target_may_log_in: bool,
) -> Result<(), NoImpersonation> {
    common(actor, target, target_may_log_in)?;
    if target.is_alias() || target.kind() == Kind::Admin {
        return Err(NoImpersonation::NotAllowed);
    }
    if !covers_account(actor, target) {
        return Err(NoImpersonation::NotAllowed);
    }
    let admin = actor.may(Perm::AdminImpersonate);
    let reseller = actor.may(Perm::CustomersImpersonate)
        && target.kind() == Kind::User
        && target.owner_id == Some(actor.account_id());
    if admin || reseller {
        Ok(())
    } else {
        Err(NoImpersonation::NotAllowed)
    }
}

/// May the actor impersonate the alias user `target` of `parent`?
pub fn may_impersonate_alias(
    actor: &Actor,
    parent: &User,
    target: &User,
    rights: TargetRights,
    target_may_log_in: bool,
) -> Result<(), NoImpersonation> {
    common(actor, target, target_may_log_in)?;
    // Covering includes the servers: a narrower login never acts as a wider one.
    if target.parent_id != Some(parent.id) || !rights.covered {
        return Err(NoImpersonation::NotAllowed);
    }
    if actor.may(Perm::AdminImpersonate) {
        return Ok(());
    }
    let own_account = actor.account_id() == parent.id;
    if own_account && !actor.is_alias() {
        // The account owner and its own alias users (alias_users.impersonate is in every
        // regular account's rights).
        return if actor.may(Perm::AliasUsersImpersonate) {
            Ok(())
        } else {
            Err(NoImpersonation::NotAllowed)
        };
    }
    if own_account && actor.is_alias() {
        // A sibling (covered, so its servers are all within the actor's reach too).
        return if actor.may(Perm::AliasUsersImpersonate) {
            Ok(())
        } else {
            Err(NoImpersonation::NotAllowed)
        };
    }
    let customers_alias = actor.may(Perm::CustomersImpersonate)
        && parent.kind() == Kind::User
        && parent.owner_id == Some(actor.account_id());
    if customers_alias {
        Ok(())
    } else {
        Err(NoImpersonation::NotAllowed)
    }
}

/// Checked on every request of an impersonation: the real login must still be allowed to
/// act as the target, and still cover it (`covered`: `changes::covers_login`, servers
/// included). A customer moved to another reseller, a role narrowed or widened, a server
/// assigned to the target or unassigned from the impersonator all end it.
pub fn still_may_impersonate(impersonator: &Actor, target: &Actor, covered: bool) -> bool {
    if !covered {
        return false;
    }
    match &target.parent {
        None => may_impersonate_account(impersonator, &target.login, true).is_ok(),
        Some(parent) => {
            super::accounts::may_view_account(impersonator, parent)
                && (impersonator.may(Perm::AdminImpersonate)
                    || (impersonator.account_id() == parent.id
                        && impersonator.may(Perm::AliasUsersImpersonate))
                    || (impersonator.may(Perm::CustomersImpersonate)
                        && parent.owner_id == Some(impersonator.account_id())))
        }
    }
}

fn common(actor: &Actor, target: &User, target_may_log_in: bool) -> Result<(), NoImpersonation> {
    if actor.is_impersonating() {
        return Err(NoImpersonation::Nested);
    }
    if actor.login.id == target.id {
        return Err(NoImpersonation::Itself);
    }
    if !target_may_log_in {
        return Err(NoImpersonation::TargetCannotLogIn);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use crate::access::aliases::tests::rights_for;

    #[test]
    fn admins_impersonate_any_non_admin_account_but_no_admin() {
        let admin = actor(user(1, "admin"), None, &[]);
        assert_eq!(
            may_impersonate_account(&admin, &user(2, "reseller"), true),
            Ok(())
        );
        assert_eq!(
            may_impersonate_account(&admin, &user(3, "user"), true),
            Ok(())
        );
        assert_eq!(
            may_impersonate_account(&admin, &user(4, "admin"), true),
            Err(NoImpersonation::NotAllowed)
        );
        assert_eq!(
            may_impersonate_account(&admin, &user(3, "user"), false),
            Err(NoImpersonation::TargetCannotLogIn)
        );
        assert_eq!(
            may_impersonate_account(&admin, &user(1, "admin"), true),
            Err(NoImpersonation::Itself)
        );
    }

    #[test]
    fn resellers_impersonate_their_own_customers_and_their_alias_users_only() {
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mut mine = user(3, "user");
        mine.owner_id = Some(2);
        let mut theirs = user(4, "user");
        theirs.owner_id = Some(9);
        assert_eq!(may_impersonate_account(&reseller, &mine, true), Ok(()));
        assert_eq!(
            may_impersonate_account(&reseller, &theirs, true),
            Err(NoImpersonation::NotAllowed)
        );
        assert_eq!(
            may_impersonate_alias(
                &reseller,
                &mine,
                &alias(5, &mine),
                rights_for(&reseller, &mine, &["servers.view"], false, 0),
                true
            ),
            Ok(())
        );
        assert_eq!(
            may_impersonate_alias(
                &reseller,
                &theirs,
                &alias(6, &theirs),
                rights_for(&reseller, &theirs, &["servers.view"], false, 0),
                true
            ),
            Err(NoImpersonation::NotAllowed)
        );
    }

    #[test]
    fn an_owner_impersonates_its_alias_users_and_an_alias_only_weaker_siblings() {
        let account = user(1, "user");
        let owner = actor(account.clone(), None, &[]);
        let a = alias(2, &account);
        assert_eq!(
            may_impersonate_alias(
                &owner,
                &account,
                &a,
                rights_for(&owner, &account, &["servers.view"], false, 0),
                true
            ),
            Ok(())
        );

        let sib = actor(
            alias(3, &account),
            Some(account.clone()),
            &["alias_users.impersonate", "servers.view"],
        );
        assert_eq!(
            may_impersonate_alias(
                &sib,
                &account,
                &a,
                rights_for(&sib, &account, &["servers.view"], false, 0),
                true
            ),
            Ok(())
        );
        assert_eq!(
            may_impersonate_alias(
                &sib,
                &account,
                &a,
                rights_for(&sib, &account, &["servers.view", "servers.power"], false, 0),
                true
            ),
            Err(NoImpersonation::NotAllowed)
        );
        assert_eq!(
            may_impersonate_alias(
                &sib,
                &account,
                &sib.login.clone(),
                rights_for(&sib, &account, &["servers.view"], false, 0),
                true
            ),
            Err(NoImpersonation::Itself)
        );
        // Never its parent.
        assert_eq!(
            may_impersonate_account(&sib, &account, true),
            Err(NoImpersonation::NotAllowed)
        );
        let plain = actor(alias(4, &account), Some(account.clone()), &["servers.view"]);
        assert_eq!(
            may_impersonate_alias(
                &plain,
                &account,
                &a,
                rights_for(&plain, &account, &[], false, 0),
                true
            ),
            Err(NoImpersonation::NotAllowed)
        );
    }

    #[test]
    fn no_one_impersonates_while_impersonating() {
        let mut admin = actor(user(1, "admin"), None, &[]);
        admin.impersonator = Some(user(9, "admin"));
        assert_eq!(
            may_impersonate_account(&admin, &user(3, "user"), true),
            Err(NoImpersonation::Nested)
        );
    }
}
