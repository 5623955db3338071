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
    use crate::access::actor::tests::assert_admins_and_user_managers_only;

    #[test]
    fn admins_and_their_user_managers_see_the_mail_queue_nobody_else() {
        assert_admins_and_user_managers_only(may_manage_mail_queue);
    }
}
