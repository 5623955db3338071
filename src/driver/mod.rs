//! The server-control driver interface: how the panel asks hardware to power a server on
//! or off, reinstall it, boot it into rescue, or open its console. Hardware is out of
//! scope here, so the one driver shipped is `builtin::Recorder`, which only takes its
//! time. A real driver (IPMI, Redfish, a provisioning system's API) implements
//! `ServerControl` and is returned by `for_server`; handlers and the access checks stay as
//! they are. An action never calls the driver itself: it queues a job with its `Command`,
//! and the driver worker (`jobs::driver`) makes the call outside any transaction, then
//! `settle` writes what the answer changes. Layering: routes → driver → models → db.

pub mod builtin;
mod settle;

pub use settle::settle;

use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::models::server::Server;

/// A power action a login may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a job asks the controller, stored with the job (JSON) so that whichever worker
/// claims it can make the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Command {
    Power {
        action: PowerAction,
    },
    /// `restore` is the server's status before, which it gets back if the call fails.
    Reinstall {
        os: String,
        keys: Vec<InstallKey>,
        restore: String,
    },
    /// Into the rescue system (`enter`) or back into the installed OS.
    Rescue {
        enter: bool,
        keys: Vec<InstallKey>,
    },
}

impl Command {
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Power { .. } => "power",
            Command::Reinstall { .. } => "reinstall",
            Command::Rescue { .. } => "rescue",
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a command always serializes")
    }

    pub fn from_json(raw: &str) -> Result<Command, String> {
        serde_json::from_str(raw).map_err(|e| format!("unreadable job command: {e}"))
    }
}

/// How the controller answered a call it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Carried out (power, rescue boot).
    Done,
    /// Under way on the hardware; `refresh` reports when it ends (a reinstall).
    Started,
}

/// What a driver must do. `call` talks to the controller and may take seconds: it runs on
/// a blocking thread with a deadline, never inside a transaction nor holding a pooled
/// connection. `refresh` and the bookkeeping get the caller's connection.
pub trait ServerControl: Send + Sync {
    /// Asks the controller to carry out `command` on `server`; an error is the
    /// controller's refusal in words, shown with the job.
    fn call(&self, server: &Server, command: &Command) -> Result<Answer, String>;

    /// Brings recorded state up to date with the hardware (finished jobs). Answers
    /// whether anything changed.
    fn refresh(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool>;

    /// Whether `refresh` has anything to record, found by reading only: a page view reads
    /// in a read-only snapshot and makes the write only when there is one to make.
    fn due(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool>;

    fn console(&self, server: &Server) -> ConsoleTarget;
}

/// The driver that controls `server`. Today always the built-in recorder; a real
/// installation would pick by the server's management controller here.
pub fn for_server(_server: &Server) -> &'static dyn ServerControl {
    &builtin::Recorder
}
