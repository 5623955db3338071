//! Alias-user operations, the same from the Alias Users tab and from the JSON API: create,
//! update (e-mail, expiry, role, disabled), delete, and the server assignments. Each takes
//! the actor, the audit entry its door filled, the alias user as `load` found it and the
//! input as typed; asks `access/` (`may_act_on_alias`, `may_grant_role`, the reach checks,
//! and `access::changes` for the "cover it before and after" rule); writes the change with
//! its audit rows in one transaction; and returns what it did or an `OpError`. The audit
//! rows are built here, not by the doors, so both doors write the same ones.

mod create;
mod delete;
mod servers;
mod update;

pub use create::{check_create_in, create_in, password_hash_of, Checked, CreatedAlias, NewAlias};
pub use delete::delete_in;
pub(super) use delete::remove_in;
pub use servers::{change_servers_in, set_servers_in, ServerAction, ServersNow};
pub use update::{update_in, AliasChanges, Updated};

use super::OpError;
use crate::access::aliases::{
    may_act_on_alias, may_view_alias, role_rights, Refused, TargetRights,
};
use crate::access::changes::{covers, Refusal};
use crate::access::rights::Rights;
use crate::access::{Actor, PermissionSet};
use crate::db::{self, DbConn, DbError, DbPool};
use crate::models::audit::NewAuditEntry;
use crate::models::user::User;
use crate::models::{alias, role};

/// An alias user as the operations (and its page) need it: its account, itself, its role
/// and what is known of its rights as the actor sees them.
#[derive(Clone)]
pub struct Target {
    pub account: User,
    pub alias: User,
    pub role: Option<role::Role>,
    pub rights: TargetRights,
}

/// The alias user `aid` of `account` (an account the door already found visible to the
/// actor), or None when it is missing, another account's, or not the actor's to see: each
/// door answers that as 404, so a foreign id is as absent as a missing one.
pub async fn load(
    pool: &DbPool,
    actor: &Actor,
    account: User,
    aid: i32,
) -> Result<Option<Target>, DbError> {
    let actor = actor.clone();
    db::run(pool, move |c| load_in(c, &actor, account, aid)).await
}

/// `load` on a connection the caller holds (a page that reads everything in one go).
pub fn load_in(
    c: &mut DbConn,
    actor: &Actor,
    account: User,
    aid: i32,
) -> Result<Option<Target>, DbError> {
    let Some(alias) = alias::find_in_account(c, account.id, aid)? else {
        return Ok(None);
    };
    if !may_view_alias(actor, &account, &alias) {
        return Ok(None);
    }
    let role = match alias.role_id {
        Some(rid) => role::Role::find_in_account(c, account.id, rid)?,
        None => None,
    };
    let keys = match &role {
        Some(r) => role::permissions_of(c, r.id)?,
        None => Vec::new(),
    };
    let role_set = PermissionSet::from_known_keys(&keys);
    let covered = covers(
        c,
        &Rights::of_actor(actor),
        &Rights::of_alias(&alias, &account, role_set),
    )?;
    let rights = TargetRights {
        permissions: role_rights(&keys, &account),
        all_servers: alias.all_servers,
        covered,
    };
    Ok(Some(Target {
        account,
        alias,
        role,
        rights,
    }))
}

/// Refuses (403) unless the actor may act on the target: a manager of its account, not
/// the alias user itself, and covering it. Every operation asks first, whatever its door
/// already asked, so no door can forget.
pub fn may_act(actor: &Actor, t: &Target) -> Result<(), OpError> {
    may_act_on_alias(actor, &t.account, &t.alias, t.rights).map_err(|r| {
        OpError::Forbidden(match r {
            Refused::NotManager => "This login may not manage alias users.",
            Refused::Itself => Refusal::Itself.message(),
            Refused::Stronger => Refusal::NotCovered.message(),
        })
    })
}

/// The audit row of one change to `t`: the door's entry (who, from where, which door)
/// with the operation's own action, target and details, so both doors write the same.
pub(super) fn entry(
    who: &NewAuditEntry,
    action: &str,
    t: &Target,
    details: String,
) -> NewAuditEntry {
    let mut e = who.for_account(t.account.id);
    e.action = action.to_string();
    e.target(format!("alias user {}", t.alias.username))
        .details(details)
}
