//! Deleting an alias user: never oneself, only one the actor covers; its sessions end and
//! its assignments, API keys and SSH keys go with it, with the `alias.delete` row, in one
//! transaction.

use super::{entry, may_act, OpError, Target};
use crate::access::changes::alias_removal;
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::audit::NewAuditEntry;
use crate::models::{alias, session};

/// Deletes the alias user `t` (the door asked for confirmation where it has one).
/// Runs inside the transaction the caller holds.
pub fn delete_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
) -> Result<(), OpError> {
    may_act(actor, t)?;
    let audit = entry(&who, "alias.delete", t, String::new());
    remove_in(c, actor, t.alias.id, audit, |_| Ok(()))
}

/// Deletes the alias user `aid` with the audit row `audit`, once `still` agrees inside the
/// caller's transaction (a cancelled invitation: the alias user must still be invited).
/// The caller has checked `may_act`. The removal itself, under the "cover it" rule: its
/// sessions end, its rows go, the audit row is written.
pub(in crate::operations) fn remove_in<F>(
    c: &mut DbConn,
    actor: &Actor,
    aid: i32,
    audit: NewAuditEntry,
    still: F,
) -> Result<(), OpError>
where
    F: FnOnce(&mut DbConn) -> Result<(), OpError>,
{
    alias_removal(c, actor, aid, |c| {
        still(c)?;
        session::end_all_of(c, aid, None)?;
        alias::delete(c, aid)?;
        audit.insert(c)?;
        Ok::<_, OpError>(())
    })
}
