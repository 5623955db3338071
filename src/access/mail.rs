//! Who may see the mail queue of the installation and send a failed mail again: admins,
//! and admins' alias users holding admin.users. The queue names every tenant's logins
//! (recipients and subjects), so nobody else sees it; no one ever sees the bodies.

use super::actor::Actor;
use super::catalog::Perm;

pub fn may_manage_mail_queue(actor: &Actor) -> bool {
    actor.may(Perm::AdminUsers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};

    #[test]
    fn admins_and_their_user_managers_see_the_mail_queue_nobody_else() {
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
        assert!(may_manage_mail_queue(&admin) && may_manage_mail_queue(&helper));
        assert!(!may_manage_mail_queue(&auditor));
        assert!(!may_manage_mail_queue(&reseller) && !may_manage_mail_queue(&customer));
    }
}
