//! Operations on one server, the same from a page and from the API.

use super::OpError;
use crate::access::servers::{server_actions, Reachable};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError};
use crate::driver::{self, PowerAction, Requester};
use crate::models::audit::NewAuditEntry;
use crate::models::server::Server;
use crate::models::server_job::{self, ServerJob};

/// The account whose Activity tab records an action on a server: its customer, else its
/// reseller, else the acting login's own account.
pub fn audit_account(actor: &Actor, server: &Server) -> i32 {
    server
        .owner_id
        .or(server.reseller_id)
        .unwrap_or_else(|| actor.account_id())
}

/// Who a driver job is recorded for: the acting login (the impersonator is in the audit).
pub fn requester(actor: &Actor) -> Requester {
    Requester {
        id: actor.login.id,
        name: actor.login.username.clone(),
    }
}

/// May the actor switch this server's power? (Both doors ask before reading their input,
/// so a refused login learns nothing about it; `power` asks again.)
pub fn may_power(actor: &Actor, server: &Reachable) -> Result<(), OpError> {
    if server_actions(actor, server).power {
        Ok(())
    } else {
        Err(OpError::Forbidden("this login may not switch server power"))
    }
}

/// Whether a reinstall runs (driver actions are refused, not queued, meanwhile).
pub fn busy(server: &Server) -> Result<(), OpError> {
    if server.status == "reinstalling" {
        Err(OpError::Busy(format!(
            "{} is being reinstalled; try again when it is done.",
            server.hostname
        )))
    } else {
        Ok(())
    }
}

/// What a power action did.
pub struct PowerDone {
    /// The server after the action (None if it left the actor's reach meanwhile).
    pub server: Option<Server>,
    pub job: Option<ServerJob>,
}

/// Switches the power of a server the actor reaches: checks the permission and that no
/// reinstall runs, asks the driver, and writes one audit row — in the server's account
/// (`audit_account`), action `server.power`, target `server {hostname}`, details the
/// action — in the same transaction.
pub fn power(
    conn: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    action: PowerAction,
) -> Result<PowerDone, OpError> {
    may_power(actor, server)?;
    busy(server)?;
    // The same row from either door: the API's `via_api` flag tells them apart.
    let details = action.as_str();
    let mut audit = who.for_account(audit_account(actor, server));
    audit.action = "server.power".into();
    let audit = audit
        .target(format!("server {}", server.hostname))
        .details(details);
    let by = requester(actor);
    let s: &Server = server;
    let reach = actor.reach.clone();
    db::transaction(conn, |c| {
        driver::for_server(s).power(c, s, action, &by)?;
        audit.insert(c)?;
        let job = server_job::recent(c, s.id, 1)?.into_iter().next();
        let server = Server::find_within(c, &reach, s.id)?;
        Ok::<_, DbError>(PowerDone { server, job })
    })
    .map_err(OpError::from)
}
