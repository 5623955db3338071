//! Who may end a login's sessions. A login ends its own (one, or all others) on its
//! Security page, but not while someone impersonates it: the sessions are the person's,
//! not the impersonator's. Others end all of a login's sessions only when they may manage
//! it — an account's admin or reseller (`account_edit(..).status`), an alias user's
//! managers (`may_act_on_alias`) — and cover it, which `changes::credentials_change`
//! checks again inside the transaction, on the rows as they are when the sessions end.

use super::accounts::account_edit;
use super::aliases::may_act_on_alias;
use super::keys::Holder;
use super::Actor;

/// May the actor end its own sessions?
pub fn may_end_own_sessions(actor: &Actor) -> bool {
    !actor.is_impersonating()
}

/// May the actor see and end every session of `holder` (never itself this way)?
pub fn may_end_sessions_of(actor: &Actor, holder: Holder<'_>) -> bool {
    if actor.is_impersonating() {
        return false;
    }
    match holder {
        Holder::Account(account) => {
            !account.is_alias()
                && actor.login.id != account.id
                && account_edit(actor, account).status
        }
        Holder::Alias {
            account,
            alias,
            rights,
        } => {
            alias.parent_id == Some(account.id)
                && actor.login.id != alias.id
                && may_act_on_alias(actor, account, alias, rights).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use crate::access::aliases::tests::rights_for;

    #[test]
    fn managers_end_the_sessions_of_logins_they_manage_and_nobody_ends_its_own_this_way() {
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mut account = user(3, "user");
        account.owner_id = Some(2);
        let owner = actor(account.clone(), None, &[]);
        let stranger = actor(user(5, "user"), None, &[]);
        for (who, ok) in [
            (&admin, true),
            (&reseller, true),
            (&owner, false),
            (&stranger, false),
        ] {
            assert_eq!(
                may_end_sessions_of(who, Holder::Account(&account)),
                ok,
                "{}",
                who.login.username
            );
        }
        let a = alias(6, &account);
        let h = Holder::Alias {
            account: &account,
            alias: &a,
            rights: rights_for(&owner, &account, &["servers.view"], false, 0),
        };
        assert!(may_end_sessions_of(&owner, h));
        assert!(!may_end_sessions_of(&stranger, h));
        assert!(may_end_own_sessions(&owner));
    }
}
