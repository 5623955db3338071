//! Power actions as the built-in server-control driver carries them out: the new power
//! state is written on the server row and the action is recorded as a finished job. This
//! is the one function the JSON API calls; when the server-control driver interface lands,
//! this is where the call to it goes (callers need not change).

use diesel::prelude::*;

use super::now;
use crate::db::schema::{server_jobs, servers};
use crate::db::DbConn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    On,
    Off,
    Reset,
}

impl PowerAction {
    pub fn parse(s: &str) -> Option<PowerAction> {
        match s {
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

    /// The power state after the action (a reset leaves a server running).
    pub fn resulting_state(self) -> &'static str {
        match self {
            PowerAction::On | PowerAction::Reset => "on",
            PowerAction::Off => "off",
        }
    }
}

/// A recorded job.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = server_jobs)]
pub struct Job {
    pub id: i32,
    pub server_id: i32,
    pub kind: String,
    pub detail: String,
    pub status: String,
}

/// Carries out `action` on the server and records it; call inside the transaction that
/// also writes the audit row.
pub fn apply(
    conn: &mut DbConn,
    server_id: i32,
    action: PowerAction,
    requested_by: i32,
    requested_by_name: &str,
) -> QueryResult<Job> {
    let at = now();
    diesel::update(servers::table.find(server_id))
        .set((
            servers::power_state.eq(action.resulting_state()),
            servers::updated_at.eq(at),
        ))
        .execute(conn)?;
    let id = crate::insert_returning_id!(
        conn,
        server_jobs::table,
        (
            server_jobs::server_id.eq(server_id),
            server_jobs::kind.eq("power"),
            server_jobs::detail.eq(action.as_str()),
            server_jobs::status.eq("done"),
            server_jobs::requested_by.eq(Some(requested_by)),
            server_jobs::requested_by_name.eq(requested_by_name),
            server_jobs::created_at.eq(at),
            server_jobs::finished_at.eq(Some(at)),
        ),
        server_jobs::id
    )?;
    Ok(Job {
        id,
        server_id,
        kind: "power".into(),
        detail: action.as_str().into(),
        status: "done".into(),
    })
}
