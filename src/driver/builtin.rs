//! The built-in driver: no hardware behind it. Every call is accepted after the simulated
//! latency (`STEWARD_DRIVER_DELAY_MS`); power and rescue are then done, and a reinstall is
//! under way: the driver treats it as finished `REINSTALL_SECONDS` after it was asked for,
//! and `refresh` (called when a server page is shown; a page view asks `due` first) then
//! finishes the job, records the new OS and sets the server active again, which is how a
//! real driver would report a provisioning system's completion.

use chrono::Duration;
use diesel::prelude::*;

use super::{Answer, Command, ConsoleTarget, ServerControl};
use crate::db::schema::servers;
use crate::db::DbConn;
use crate::models::now;
use crate::models::server::Server;
use crate::models::server_job;

/// How long a simulated reinstall takes.
pub const REINSTALL_SECONDS: i64 = 30;

/// `STEWARD_DRIVER_DELAY_MS`: how long each call takes, as a real controller's round trip
/// would; 0 (the default) answers at once. It lets tests and benchmarks act like a slow
/// management controller (graceful shutdown, a call cut by SIGKILL, load).
fn simulated_latency() {
    static DELAY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ms = *DELAY.get_or_init(|| {
        std::env::var("STEWARD_DRIVER_DELAY_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

pub struct Recorder;

/// The OS a finished reinstall job installed: from its command, or for jobs queued before
/// commands were stored, the detail's first part (`describe_keys` puts the keys after ";").
fn installed_os(job: &server_job::ServerJob) -> String {
    match Command::from_json(&job.command) {
        Ok(Command::Reinstall { os, .. }) => os,
        _ => job.detail.split(';').next().unwrap_or_default().to_string(),
    }
}

/// Whether a running reinstall job has taken its time by `at`.
fn finished(job: &server_job::ServerJob, at: chrono::NaiveDateTime) -> bool {
    at - job.created_at >= Duration::seconds(REINSTALL_SECONDS)
}

impl ServerControl for Recorder {
    fn call(&self, _server: &Server, command: &Command) -> Result<Answer, String> {
        simulated_latency();
        Ok(match command {
            Command::Power { .. } | Command::Rescue { .. } => Answer::Done,
            Command::Reinstall { .. } => Answer::Started,
        })
    }

    fn refresh(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool> {
        if server.status != "reinstalling" {
            return Ok(false);
        }
        let at = now();
        let mut changed = false;
        for job in server_job::running(conn, server.id, "reinstall")? {
            if !finished(&job, at) {
                continue;
            }
            server_job::finish(conn, job.id, at)?;
            diesel::update(servers::table.find(server.id))
                .set((
                    servers::os.eq(installed_os(&job)),
                    servers::status.eq("active"),
                    servers::power_state.eq("on"),
                    servers::updated_at.eq(at),
                ))
                .execute(conn)?;
            changed = true;
        }
        Ok(changed)
    }

    fn due(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool> {
        if server.status != "reinstalling" {
            return Ok(false);
        }
        let at = now();
        Ok(server_job::running(conn, server.id, "reinstall")?
            .iter()
            .any(|job| finished(job, at)))
    }

    fn console(&self, server: &Server) -> ConsoleTarget {
        ConsoleTarget {
            protocol: "KVM over IP (HTML5)",
            endpoint: format!("bmc.{}", server.hostname),
            note: "The built-in driver has no hardware behind it, so no session is opened. \
                   A real driver (IPMI, Redfish) would open the management controller's \
                   remote console here.",
        }
    }
}
