//! The built-in driver: no hardware, only bookkeeping. Power actions take effect at once
//! and are recorded as finished jobs. A reinstall is a running job that the driver treats
//! as done `REINSTALL_SECONDS` after it started: `refresh` (called whenever a server page
//! is viewed) then finishes the job, records the new OS and sets the server active again,
//! which is how a real driver would report a provisioning system's completion.

use chrono::Duration;
use diesel::prelude::*;

use super::{describe_keys, ConsoleTarget, InstallKey, PowerAction, Requester, ServerControl};
use crate::db::schema::servers;
use crate::db::DbConn;
use crate::domain::OsChoice;
use crate::models::now;
use crate::models::server::Server;
use crate::models::server_job::{self, NewServerJob, DONE, RUNNING};

/// How long a simulated reinstall takes.
pub const REINSTALL_SECONDS: i64 = 30;

/// `STEWARD_DRIVER_DELAY_MS` (SPEC §5): how long each power, reinstall or rescue call
/// takes, as a real controller's round trip would; 0 (the default) answers at once. It
/// lets tests and benchmarks hold requests in flight (graceful shutdown, load).
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

fn record(
    conn: &mut DbConn,
    server: &Server,
    kind: &str,
    detail: &str,
    finished: bool,
    by: &Requester,
) -> QueryResult<i32> {
    let at = now();
    NewServerJob {
        server_id: server.id,
        kind,
        detail,
        status: if finished { DONE } else { RUNNING },
        requested_by: Some(by.id),
        requested_by_name: &by.name,
        created_at: at,
        finished_at: finished.then_some(at),
    }
    .insert(conn)
}

fn set_state(conn: &mut DbConn, id: i32, power: &str, status: &str) -> QueryResult<()> {
    diesel::update(servers::table.find(id))
        .set((
            servers::power_state.eq(power),
            servers::status.eq(status),
            servers::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

impl ServerControl for Recorder {
    fn power(
        &self,
        conn: &mut DbConn,
        server: &Server,
        action: PowerAction,
        by: &Requester,
    ) -> QueryResult<()> {
        simulated_latency();
        let power = match action {
            PowerAction::Off => "off",
            PowerAction::On | PowerAction::Reset => "on",
        };
        set_state(conn, server.id, power, &server.status)?;
        record(conn, server, "power", action.as_str(), true, by).map(|_| ())
    }

    fn reinstall(
        &self,
        conn: &mut DbConn,
        server: &Server,
        os: OsChoice,
        keys: &[InstallKey],
        by: &Requester,
    ) -> QueryResult<()> {
        simulated_latency();
        set_state(conn, server.id, "on", "reinstalling")?;
        let detail = describe_keys(os.key, keys);
        record(conn, server, "reinstall", &detail, false, by).map(|_| ())
    }

    fn rescue(
        &self,
        conn: &mut DbConn,
        server: &Server,
        enter: bool,
        keys: &[InstallKey],
        by: &Requester,
    ) -> QueryResult<()> {
        simulated_latency();
        set_state(
            conn,
            server.id,
            "on",
            if enter { "rescue" } else { "active" },
        )?;
        let detail = if enter {
            describe_keys("boot rescue", keys)
        } else {
            "boot installed OS".to_string()
        };
        record(conn, server, "rescue", &detail, true, by).map(|_| ())
    }

    fn refresh(&self, conn: &mut DbConn, server: &Server) -> QueryResult<bool> {
        if server.status != "reinstalling" {
            return Ok(false);
        }
        let at = now();
        let mut changed = false;
        for job in server_job::running(conn, server.id, "reinstall")? {
            if at - job.created_at < Duration::seconds(REINSTALL_SECONDS) {
                continue;
            }
            server_job::finish(conn, job.id, at)?;
            diesel::update(servers::table.find(server.id))
                .set((
                    servers::os.eq(&job.detail),
                    servers::status.eq("active"),
                    servers::power_state.eq("on"),
                    servers::updated_at.eq(at),
                ))
                .execute(conn)?;
            changed = true;
        }
        Ok(changed)
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
