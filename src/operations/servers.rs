//! Operations on one server, the same from a page and from the API: power, rename,
//! reverse DNS, reinstall and rescue. The door resolves what the request names (the server
//! within the actor's reach, the address among the server's, the actor's own SSH keys:
//! 404 when absent); the operation decides (403 without the permission, 409 while a
//! reinstall runs, 422 for bad input) and writes the change with its audit row — in the
//! server's account, target `server {hostname}` — inside the door's transaction, so the
//! two stand or fall together. Power, reinstall and
//! rescue do not call the driver: they queue its job (`driver::Command`) in that
//! transaction, and the driver worker makes the call outside it, so a slow controller
//! never holds the database (SQLite's one writer least of all).

use super::OpError;
use crate::access::keys::may_install_own_keys;
use crate::access::servers::{server_actions, Reachable};
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::{DnsName, FieldErrors, OsChoice, ShortText};
use crate::driver::{self, Command, InstallKey, PowerAction, Requester};
use crate::models::audit::NewAuditEntry;
use crate::models::server::Server;
use crate::models::server_ip;
use crate::models::server_job::NewServerJob;

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

/// A queued driver job, by id: the worker calls the controller for it.
pub type JobId = i32;

/// Queues `command` for `server` with its audit row, and (for a reinstall) marks the
/// server "reinstalling" at once, so that a second action is refused while it is queued.
/// Inside a transaction the caller holds.
fn queue_in(
    c: &mut DbConn,
    actor: &Actor,
    audit: NewAuditEntry,
    server: &Server,
    command: Command,
    detail: &str,
) -> Result<JobId, OpError> {
    let by = requester(actor);
    let at = crate::models::now();
    // `busy` looked at the server as the door loaded it; here, under the write, the
    // check holds for two actions racing: the second waits for the first's commit,
    // finds the server reinstalling and is refused.
    let free = match command {
        Command::Reinstall { .. } => Server::start_reinstalling(c, server.id, at)?,
        _ => !Server::is_reinstalling(c, server.id)?,
    };
    if !free {
        return Err(OpError::Busy(format!(
            "{} is being reinstalled; try again when it is done.",
            server.hostname
        )));
    }
    let job = NewServerJob {
        server_id: server.id,
        kind: command.kind(),
        detail,
        command: &command.to_json(),
        requested_by: Some(by.id),
        requested_by_name: &by.name,
    }
    .queue(c, at)?;
    audit.insert(c)?;
    Ok(job)
}

/// Switches the power of a server the actor reaches: checks the permission and that no
/// reinstall runs, and queues the driver's job with one audit row — in the server's
/// account (`audit_account`), action `server.power`, target `server {hostname}`, details
/// the action — inside the door's transaction.
pub fn power_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    action: PowerAction,
) -> Result<JobId, OpError> {
    may_power(actor, server)?;
    busy(server)?;
    // The same row from either door: the API's `via_api` flag tells them apart.
    let audit = entry(actor, who, server, "server.power").details(action.as_str());
    queue_in(
        c,
        actor,
        audit,
        server,
        Command::Power { action },
        action.as_str(),
    )
}

/// The audit row of an action on `server`: in the server's account, named after it.
fn entry(actor: &Actor, who: NewAuditEntry, server: &Server, action: &str) -> NewAuditEntry {
    let mut audit = who.for_account(audit_account(actor, server));
    audit.action = action.into();
    audit.target(format!("server {}", server.hostname))
}

fn allowed(may: bool, refusal: &'static str) -> Result<(), OpError> {
    if may {
        Ok(())
    } else {
        Err(OpError::Forbidden(refusal))
    }
}

fn invalid(field: &str, message: String) -> OpError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    OpError::Invalid(errors)
}

/// Gives the server a display name (up to 100 characters): `server.rename`, details
/// "old → new".
pub fn rename_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    raw_name: &str,
) -> Result<(), OpError> {
    allowed(
        server_actions(actor, server).rename,
        "this login may not rename this server",
    )?;
    let name = ShortText::parse(raw_name, 100, true).map_err(|m| invalid("name", m))?;
    let audit = entry(actor, who, server, "server.rename").details(format!(
        "{} → {}",
        server.name,
        name.as_str()
    ));
    Server::rename(c, server.id, name.as_str())?;
    audit.insert(c)?;
    Ok(())
}

/// Sets the reverse DNS name of `ip`, one of the server's addresses (the door found it
/// among them): `server.rdns`, details "ip → hostname". Answers the hostname as stored.
pub fn set_rdns_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    ip: &str,
    raw_hostname: &str,
) -> Result<String, OpError> {
    allowed(
        server_actions(actor, server).rdns,
        "this login may not set reverse DNS on this server",
    )?;
    let hostname = DnsName::parse(raw_hostname).map_err(|m| invalid("hostname", m))?;
    let audit =
        entry(actor, who, server, "server.rdns").details(format!("{ip} → {}", hostname.as_str()));
    server_ip::set_rdns(c, server.id, ip, hostname.as_str())?;
    audit.insert(c)?;
    Ok(hostname.as_str().to_string())
}

/// The operating system a reinstall form chose (the door asks before its confirmation
/// page, so a bad choice is reported before anyone types the hostname).
pub fn chosen_os(raw: &str) -> Result<OsChoice, OpError> {
    OsChoice::parse(raw).map_err(|m| invalid("os", m))
}

/// Keys to install are the actor's own, and never while impersonating.
fn may_install(actor: &Actor, keys: &[InstallKey]) -> Result<(), OpError> {
    allowed(
        keys.is_empty() || may_install_own_keys(actor),
        "SSH keys are not installed while impersonating",
    )
}

/// Wipes the server and installs `os` with `keys` for root: `server.reinstall`, details
/// the OS and the keys by name and fingerprint. Refused while a reinstall runs; the
/// server is "reinstalling" from the moment the job is queued.
pub fn reinstall_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    os: OsChoice,
    keys: &[InstallKey],
) -> Result<JobId, OpError> {
    allowed(
        server_actions(actor, server).reinstall,
        "this login may not reinstall this server",
    )?;
    may_install(actor, keys)?;
    busy(server)?;
    let detail = driver::describe_keys(os.key, keys);
    let audit = entry(actor, who, server, "server.reinstall").details(detail.clone());
    let command = Command::Reinstall {
        os: os.key.to_string(),
        keys: keys.to_vec(),
        restore: server.status.clone(),
    };
    queue_in(c, actor, audit, server, command, &detail)
}

/// Boots the rescue system with `keys` (`enter`, audit `server.rescue`) or back into the
/// installed OS (`server.rescue_exit`). Refused while a reinstall runs.
pub fn rescue_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    server: &Reachable,
    enter: bool,
    keys: &[InstallKey],
) -> Result<JobId, OpError> {
    allowed(
        server_actions(actor, server).rescue,
        "this login may not use the rescue system of this server",
    )?;
    may_install(actor, keys)?;
    busy(server)?;
    let action = if enter {
        "server.rescue"
    } else {
        "server.rescue_exit"
    };
    let audit = entry(actor, who, server, action)
        .details(driver::describe_keys("", keys).trim_start_matches("; "));
    let detail = if enter {
        driver::describe_keys("boot rescue", keys)
    } else {
        "boot installed OS".to_string()
    };
    let command = Command::Rescue {
        enter,
        keys: keys.to_vec(),
    };
    queue_in(c, actor, audit, server, command, &detail)
}
