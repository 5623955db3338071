//! The no-escalation rule (docs/ARCHITECTURE.md, "No escalation") applied to every kind of
//! change, each in one named function: does the actor cover every login the change
//! affects, before it and after it?
//!
//! Each function takes the change itself as a closure and runs it between the two checks,
//! inside the caller's transaction: the "after" check reads the state the change really
//! produced, and a refusal rolls the change back (the caller's error type must hold a
//! `ChangeError`). Rows are loaded here only to build `Rights`; the comparison itself is
//! `rights::coverage`, pure and tested on its own.

use diesel::QueryResult;

use super::actor::Actor;
use super::permission_set::PermissionSet;
use super::rights::{coverage, Coverage, ListedCounts, Rights, ServerGrant};
use crate::db::DbConn;
use crate::models::user::User;
use crate::models::{alias, role};

/// The change a rule wraps: it runs on the caller's connection, inside its transaction,
/// between the "before" and the "after" check.
pub trait Change<T, E>: FnOnce(&mut DbConn) -> Result<T, E> {}
impl<T, E, F: FnOnce(&mut DbConn) -> Result<T, E>> Change<T, E> for F {}

/// Why a change was refused (answered 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The target is the actor itself: nobody changes their own rights or standing.
    Itself,
    /// The actor does not cover an affected login, before or after the change.
    NotCovered,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Itself => "You cannot change your own access this way.",
            Refusal::NotCovered => {
                "This login holds, or would hold, rights beyond your own (permissions or servers)."
            }
        }
    }
}

/// A refusal, or the database failing while checking or changing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<Refusal> for ChangeError {
    fn from(r: Refusal) -> Self {
        ChangeError::Refused(r)
    }
}

/// A login's rights as the database holds them now. `None` when it does not exist.
pub fn load_rights(conn: &mut DbConn, login_id: i32) -> QueryResult<Option<(User, Rights)>> {
    let Some(login) = User::find(conn, login_id)? else {
        return Ok(None);
    };
    let rights = rights_of_row(conn, &login)?;
    Ok(Some((login, rights)))
}

fn rights_of_row(conn: &mut DbConn, login: &User) -> QueryResult<Rights> {
    if !login.is_alias() {
        return Ok(Rights::of_account(login));
    }
    let parent = match login.parent_id {
        Some(p) => User::find(conn, p)?,
        None => None,
    };
    let role = match login.role_id {
        Some(r) => PermissionSet::from_known_keys(&role::permissions_of(conn, r)?),
        None => PermissionSet::empty(),
    };
    Ok(Rights::of_login(login, parent.as_ref(), role))
}

/// Settles a coverage that needs counts, by counting `l`'s listed servers.
pub fn settle(conn: &mut DbConn, c: &Coverage, a: &Rights, l: &Rights) -> QueryResult<bool> {
    if !c.needs_counts() {
        return Ok(c.settle(ListedCounts::default()));
    }
    let ServerGrant::Listed { alias: id, parent } = &l.servers else {
        return Ok(false);
    };
    let counts = ListedCounts {
        total: alias::assigned_total(conn, *id)?,
        outside_a: alias::assigned_outside(conn, *id, &parent.reach(), &a.reach())?,
    };
    Ok(c.settle(counts))
}

/// Whether `a` covers the rights `l`, counting `l`'s servers when the shapes cannot tell.
pub fn covers(conn: &mut DbConn, a: &Rights, l: &Rights) -> QueryResult<bool> {
    settle(conn, &coverage(a, l), a, l)
}

/// Whether the actor covers the login `login_id` as it is now (a missing login: no).
pub fn covers_login(conn: &mut DbConn, actor: &Actor, login_id: i32) -> QueryResult<bool> {
    match load_rights(conn, login_id)? {
        Some((_, l)) => covers(conn, &Rights::of_actor(actor), &l),
        None => Ok(false),
    }
}

fn require(conn: &mut DbConn, actor: &Actor, login_id: i32) -> Result<(), ChangeError> {
    if covers_login(conn, actor, login_id)? {
        Ok(())
    } else {
        Err(Refusal::NotCovered.into())
    }
}

/// Nobody changes their own rights or standing.
fn not_itself(actor: &Actor, login_id: i32) -> Result<(), ChangeError> {
    if login_id == actor.login.id {
        Err(Refusal::Itself.into())
    } else {
        Ok(())
    }
}

/// Acting on one login: never oneself, the actor covers it before and after.
fn on_login<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    login_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    not_itself(actor, login_id)?;
    require(conn, actor, login_id)?;
    let out = change(conn)?;
    require(conn, actor, login_id)?;
    Ok(out)
}

/// Editing a regular account's profile, kind, owner or status (POST /users/{id}): the
/// actor covers it before and after, so no edit makes a login stronger than its editor
/// (a customer promoted to reseller or admin holds that tier's permissions). An account's
/// own name and e-mail are the one exception: `own_profile` changes nothing it may do.
pub fn account_change<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    account_id: i32,
    own_profile: bool,
    change: impl Change<T, E>,
) -> Result<T, E> {
    if own_profile && account_id == actor.login.id {
        return change(conn);
    }
    on_login(conn, actor, account_id, change)
}

/// Changing an alias user: its role, servers, "all servers", status, expiry, e-mail or
/// password, or deleting it. Never oneself; covered before and after.
pub fn alias_change<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    alias_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    on_login(conn, actor, alias_id, change)
}

/// Deleting an alias user: never oneself; the actor covers it (there is no "after").
pub fn alias_removal<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    alias_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    not_itself(actor, alias_id)?;
    require(conn, actor, alias_id)?;
    change(conn)
}

/// Removing an account (a cancelled invitation): never oneself; the actor covers it.
pub fn account_removal<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    account_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    alias_removal(conn, actor, account_id, change)
}

/// Creating a login (an account or an alias user), once it is made inside the caller's
/// transaction: the actor must cover it (a role, "all servers" or a kind beyond the
/// actor's own rights are refused, and the creation rolled back with the error).
pub fn new_login(conn: &mut DbConn, actor: &Actor, login_id: i32) -> Result<(), ChangeError> {
    require(conn, actor, login_id)
}

/// Editing (or deleting) a role changes the rights of every alias user holding it: the
/// change stands only if the actor covers each holder afterwards. The actor's own role is
/// refused before anything (`access::roles::may_edit_role`).
pub fn role_change<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    role_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    let out = change(conn)?;
    let a = Rights::of_actor(actor);
    for holder in alias::holding_role(conn, role_id).map_err(ChangeError::from)? {
        not_itself(actor, holder.id)?;
        let l = rights_of_row(conn, &holder).map_err(ChangeError::from)?;
        if !covers(conn, &a, &l).map_err(ChangeError::from)? {
            return Err(ChangeError::from(Refusal::NotCovered).into());
        }
    }
    Ok(out)
}

/// Listing or revoking another login's keys, ending its sessions: its rights do not
/// change, so the actor must cover it now. A login's own credentials are its own.
pub fn credentials_change<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    login_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    if login_id != actor.login.id {
        require(conn, actor, login_id)?;
    }
    change(conn)
}

/// Resetting another login's second factors (a manager's reset): never oneself;
/// the actor covers the login before and after (its rights do not change).
pub fn factors_reset<T, E: From<ChangeError>>(
    conn: &mut DbConn,
    actor: &Actor,
    login_id: i32,
    change: impl Change<T, E>,
) -> Result<T, E> {
    on_login(conn, actor, login_id, change)
}
