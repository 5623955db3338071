//! The server-control driver interface: how the panel asks hardware to power a server on
//! or off, reinstall it, boot it into rescue, or open its console. Hardware is out of
//! scope here, so the one driver shipped is `builtin::Recorder`, which records state and
//! jobs in the database. A real driver (IPMI, Redfish, a provisioning system's API)
//! implements `ServerControl` and is returned by `for_server`; handlers and the access
//! checks stay as they are. Layering: routes → driver → models → db.

pub mod builtin;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::domain::OsChoice;
use crate::models::server::Server;

/// A power action a login may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    On,
    Off,
    Reset,
}

impl PowerAction {
    pub fn parse(raw: &str) -> Option<PowerAction> {
        match raw.trim() {
            "on" => Some(PowerAction::On),
            "off" => Some(PowerAction::Off),
            "reset" => Some(PowerAction::Reset),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::On => "on",
            PowerAction::Off => "off",
            PowerAction::Reset => "reset",
        }
    }
}

/// Who asked for a job (kept by name too, in case the login is deleted later).
#[derive(Debug, Clone)]
pub struct Requester {
    pub id: i32,
    pub name: String,
}

/// An SSH public key to put on the server (root's authorized_keys) by a reinstall or
/// the rescue system.
#[derive(Debug, Clone)]
pub struct InstallKey {
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// What a job that installs keys did, naming the keys by name and fingerprint (never the
/// key itself), for job details and audit rows.
pub fn describe_keys(what: &str, keys: &[InstallKey]) -> String {
    if keys.is_empty() {
        return what.to_string();
    }
    let names: Vec<String> = keys
        .iter()
        .map(|k| format!("{} ({})", k.name, k.fingerprint))
        .collect();
    format!("{what}; SSH keys: {}", names.join(", "))
}

/// Where a console session would connect.
#[derive(Debug, Clone)]
pub struct ConsoleTarget {
    pub protocol: &'static str,
    pub endpoint: String,
    pub note: &'static str,
}

/// What a driver must do. Every method gets the connection of the caller's transaction,
/// so the driver's bookkeeping commits (or rolls back) with the audit entry.
pub trait ServerControl: Send + Sync {
    fn power(
        &self,
        conn: &mut DbConn,
        server: &Server,
        action: PowerAction,
        by: &Requester,
    ) -> QueryResult<()>;

    /// Starts a reinstall; the server is "reinstalling" until the job ends.
    fn reinstall(
        &self,
        conn: &mut DbConn,
        server: &Server,
        os: OsChoice,
        keys: &[InstallKey],
        by: &Requester,
    ) -> QueryResult<()>;

    /// Boots the rescue system (`enter`) or back into the installed OS.
    fn rescue(
        &self,
        conn: &mut DbConn,
        server: &Server,
        enter: bool,
        keys: &[InstallKey],
        by: &Requester,
    ) -> QueryResult<()>;

    /// Brings recorded state up to date with the hardware (finished jobs). Answers
    /// whether anything changed.
    fn refresh(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool>;

    fn console(&self, server: &Server) -> ConsoleTarget;
}

/// The driver that controls `server`. Today always the built-in recorder; a real
/// installation would pick by the server's management controller here.
pub fn for_server(_server: &Server) -> &'static dyn ServerControl {
    &builtin::Recorder
}
