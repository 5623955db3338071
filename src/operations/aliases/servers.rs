//! The servers an alias user reaches: its assigned list and the "all servers" setting
//! beside it. The Assign Servers dialog sends one action at a time (`change_servers_in`);
//! `PUT /api/v1/alias-users/{aid}/servers` states the whole result (`set_servers_in`), which
//! is carried out as the same actions, each with the audit row the dialog writes for it.
//! Every server named must be one the actor may hand out (the account's, within its own
//! reach); otherwise nothing changes and the answer is 404, as for a missing server.

use super::{entry, may_act, OpError, Target};
use crate::access::actor::account_reach;
use crate::access::aliases::{assignable_reach, reaches_all_of_account};
use crate::access::changes::alias_change;
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::FieldErrors;
use crate::models::alias;
use crate::models::audit::NewAuditEntry;
use crate::models::user::User;
use crate::models::{reach::Reach, server::Server};

/// One action of the Assign Servers dialog (`alias.servers.{key}` in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    /// Assign the servers named.
    Assign,
    /// Unassign the servers named.
    Unassign,
    /// Turn "all servers" on (the assigned list is kept beside it).
    All,
    /// Turn "all servers" off, keeping the assigned list.
    Assigned,
    /// Turn "all servers" off and clear the list.
    None,
}

impl ServerAction {
    pub fn parse(raw: &str) -> Option<ServerAction> {
        Some(match raw {
            "assign" => ServerAction::Assign,
            "unassign" => ServerAction::Unassign,
            "all" => ServerAction::All,
            "assigned" => ServerAction::Assigned,
            "none" => ServerAction::None,
            _ => return None,
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            ServerAction::Assign => "assign",
            ServerAction::Unassign => "unassign",
            ServerAction::All => "all",
            ServerAction::Assigned => "assigned",
            ServerAction::None => "none",
        }
    }
}

/// Where an alias user's servers stand after a change.
#[derive(Debug, Clone)]
pub struct ServersNow {
    pub all_servers: bool,
    /// Its assigned servers within its account, by id (kept while "all servers" is on).
    pub server_ids: Vec<i32>,
}

const ALL_BEYOND: &str = "This login may not grant all servers without reaching them itself.";
const NOT_THERE: &str = "no such server among those this login may assign";

/// One action of the dialog on `t` with the servers it names (`ids`, for assign and
/// unassign; at least one). Writes `alias.servers.{action}` with its summary.
/// Runs inside the transaction the caller holds.
pub fn change_servers_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
    action: ServerAction,
    ids: Vec<i32>,
) -> Result<(), OpError> {
    may_act(actor, t)?;
    let ids = distinct(ids);
    if matches!(action, ServerAction::Assign | ServerAction::Unassign) && ids.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("server_id", "Tick at least one server first.");
        return Err(OpError::Invalid(errors));
    }
    if action == ServerAction::All && !reaches_all_of_account(actor) {
        return Err(OpError::Forbidden(ALL_BEYOND));
    }
    let reach = assignable_reach(actor, &t.account);
    let base = entry(&who, "", t, String::new());
    let aid = t.alias.id;
    within_reach(c, &reach, &ids)?;
    alias_change(c, actor, aid, |c| step(c, &base, aid, action, &ids))
}

/// Makes the alias user's servers what the caller states: "all servers" on or off, and,
/// when `ids` is given, exactly those servers assigned (of those within the actor's
/// reach; `None` keeps the list). Carried out as the dialog's actions — `all` or
/// `assigned` for the setting, then `unassign` and `assign` for the list's difference, or
/// `none` when both end up empty — so each writes the row the dialog writes; a statement
/// that changes nothing writes nothing.
/// Runs inside the transaction the caller holds.
pub fn set_servers_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
    all: bool,
    ids: Option<Vec<i32>>,
) -> Result<ServersNow, OpError> {
    may_act(actor, t)?;
    if all && !reaches_all_of_account(actor) {
        return Err(OpError::Forbidden(ALL_BEYOND));
    }
    let ids = ids.map(distinct);
    let reach = assignable_reach(actor, &t.account);
    let account = account_reach(&t.account);
    let base = entry(&who, "", t, String::new());
    let aid = t.alias.id;
    within_reach(c, &reach, ids.as_deref().unwrap_or_default())?;
    alias_change(c, actor, aid, |c| {
        let was_all = User::find(c, aid)?.is_some_and(|a| a.all_servers);
        let current = alias::assigned_within(c, aid, &reach)?;
        let mut steps: Vec<(ServerAction, Vec<i32>)> = Vec::new();
        match &ids {
            Some(list) if !all && list.is_empty() => {
                if was_all || !current.is_empty() {
                    steps.push((ServerAction::None, Vec::new()));
                }
            }
            _ => {
                if all && !was_all {
                    steps.push((ServerAction::All, Vec::new()));
                }
                if !all && was_all {
                    steps.push((ServerAction::Assigned, Vec::new()));
                }
                if let Some(list) = &ids {
                    let gone = minus(&current, list);
                    let new = minus(list, &current);
                    if !gone.is_empty() {
                        steps.push((ServerAction::Unassign, gone));
                    }
                    if !new.is_empty() {
                        steps.push((ServerAction::Assign, new));
                    }
                }
            }
        }
        for (action, ids) in steps {
            step(c, &base, aid, action, &ids)?;
        }
        Ok::<_, OpError>(ServersNow {
            all_servers: User::find(c, aid)?.is_some_and(|a| a.all_servers),
            server_ids: alias::assigned_within(c, aid, &account)?,
        })
    })
}

/// Refuses (404, nothing changed) unless every id is a server the actor may hand out: a
/// foreign id is as absent as a missing one.
fn within_reach(c: &mut DbConn, reach: &Reach, ids: &[i32]) -> Result<(), OpError> {
    if !ids.is_empty() && alias::count_within(c, reach, ids)? != ids.len() as i64 {
        return Err(OpError::NotFound(NOT_THERE));
    }
    Ok(())
}

/// Carries out one action and writes its audit row.
fn step(
    c: &mut DbConn,
    base: &NewAuditEntry,
    aid: i32,
    action: ServerAction,
    ids: &[i32],
) -> Result<(), OpError> {
    let details = match action {
        ServerAction::Assign => {
            alias::assign(c, aid, ids)?;
            summary(c, ids)?
        }
        ServerAction::Unassign => {
            alias::unassign(c, aid, ids)?;
            summary(c, ids)?
        }
        ServerAction::All => {
            alias::set_all_servers(c, aid, true)?;
            "all servers of the account".to_string()
        }
        ServerAction::Assigned => {
            alias::set_all_servers(c, aid, false)?;
            "only its assigned servers; the list is kept".to_string()
        }
        ServerAction::None => {
            alias::set_all_servers(c, aid, false)?;
            alias::unassign_all(c, aid)?;
            "no servers".to_string()
        }
    };
    let mut row = base.clone().details(details);
    row.action = format!("alias.servers.{}", action.key());
    row.insert(c)?;
    Ok(())
}

/// Hostnames named in a bulk audit row; the rest are counted.
const NAMED_IN_AUDIT: usize = 5;

/// One audit row for a bulk change: the count and the first few hostnames, whatever the
/// size of the change (10,000 ids made a 57 KB row).
fn summary(c: &mut DbConn, ids: &[i32]) -> Result<String, diesel::result::Error> {
    let named = Server::hostnames(c, &ids[..ids.len().min(NAMED_IN_AUDIT)])?;
    let n = ids.len();
    let mut s = format!(
        "{n} server{}: {}",
        if n == 1 { "" } else { "s" },
        named.join(", ")
    );
    if n > named.len() {
        s.push_str(&format!(" and {} more", n - named.len()));
    }
    Ok(s)
}

/// The ids once each, in the order given.
fn distinct(ids: Vec<i32>) -> Vec<i32> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

/// The ids of `a` that are not in `b`, in `a`'s order.
fn minus(a: &[i32], b: &[i32]) -> Vec<i32> {
    let b: std::collections::HashSet<i32> = b.iter().copied().collect();
    a.iter().copied().filter(|id| !b.contains(id)).collect()
}
