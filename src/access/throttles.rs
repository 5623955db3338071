//! Who may see the login throttles of the installation and lift one: admins, and admins'
//! alias users holding admin.users (the right to manage every login, whose lock-outs
//! these are). Resellers and customers never see other tenants' addresses.

use super::actor::Actor;
use super::catalog::Perm;

pub fn may_manage_throttles(actor: &Actor) -> bool {
    actor.may(Perm::AdminUsers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    #[test]
    fn admins_and_their_user_managers_may_lift_throttles_nobody_else() {
        let admin_account = user(1, "admin");
        let admin = actor(admin_account.clone(), None, &[]);
        let helper = actor(
            alias(2, &admin_account),
            Some(admin_account.clone()),
            &["admin.users"],
        );
        let auditor = actor(
            alias(3, &admin_account),
            Some(admin_account.clone()),
            &["admin.audit"],
        );
        let reseller = actor(user(4, "reseller"), None, &[]);
        let customer = actor(user(5, "user"), None, &[]);
        assert!(may_manage_throttles(&admin) && may_manage_throttles(&helper));
        assert!(!may_manage_throttles(&auditor));
        assert!(!may_manage_throttles(&reseller) && !may_manage_throttles(&customer));
    }
}
