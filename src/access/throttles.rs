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
    use crate::access::actor::tests::assert_admins_and_user_managers_only;

    #[test]
    fn admins_and_their_user_managers_may_lift_throttles_nobody_else() {
        assert_admins_and_user_managers_only(may_manage_throttles);
    }
}
