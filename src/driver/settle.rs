//! What a controller's answer changes, written by the worker that made the call: the job's
//! outcome, and the server's recorded state (power, rescue, the status a failed reinstall
//! had before), in one transaction. Nothing is written when the claim is no longer the
//! worker's (its lease ran out and another took the job up).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Answer, Command, PowerAction};
use crate::db::schema::servers;
use crate::db::{self, DbConn};
use crate::models::server_job::{self, ServerJob, DONE, FAILED, RUNNING};

/// Records the answer to `job`'s call; answers the job's new status, or None when the
/// claim was lost.
pub fn settle(
    conn: &mut DbConn,
    job: &ServerJob,
    answer: Result<Answer, String>,
    now: NaiveDateTime,
) -> QueryResult<Option<&'static str>> {
    let command = Command::from_json(&job.command);
    let answer = command.as_ref().map_err(Clone::clone).and(answer);
    let (status, outcome) = match &answer {
        Ok(Answer::Done) => (DONE, "done".to_string()),
        Ok(Answer::Started) => (RUNNING, "started".to_string()),
        Err(why) => (FAILED, why.clone()),
    };
    db::transaction(conn, |c| {
        if !server_job::record_outcome(c, job, status, &outcome, now)? {
            return Ok(None);
        }
        let server = servers::table.find(job.server_id);
        match (command, answer) {
            (Ok(Command::Power { action }), Ok(_)) => {
                let power = if action == PowerAction::Off {
                    "off"
                } else {
                    "on"
                };
                diesel::update(server)
                    .set((servers::power_state.eq(power), servers::updated_at.eq(now)))
                    .execute(c)?;
            }
            (Ok(Command::Rescue { enter, .. }), Ok(_)) => {
                diesel::update(server)
                    .set((
                        servers::power_state.eq("on"),
                        servers::status.eq(if enter { "rescue" } else { "active" }),
                        servers::updated_at.eq(now),
                    ))
                    .execute(c)?;
            }
            (Ok(Command::Reinstall { os, .. }), Ok(Answer::Done)) => {
                diesel::update(server)
                    .set((
                        servers::os.eq(os),
                        servers::power_state.eq("on"),
                        servers::status.eq("active"),
                        servers::updated_at.eq(now),
                    ))
                    .execute(c)?;
            }
            (Ok(Command::Reinstall { .. }), Ok(Answer::Started)) => {
                diesel::update(server)
                    .set((servers::power_state.eq("on"), servers::updated_at.eq(now)))
                    .execute(c)?;
            }
            // The server was marked "reinstalling" when the job was queued: a refused or
            // unanswered call gives it back the status it had.
            (Ok(Command::Reinstall { restore, .. }), Err(_)) => {
                diesel::update(server.filter(servers::status.eq("reinstalling")))
                    .set((servers::status.eq(restore), servers::updated_at.eq(now)))
                    .execute(c)?;
            }
            // Failed power and rescue calls changed nothing on the hardware (and an
            // unreadable command has an error as its answer too).
            _ => {}
        }
        Ok(Some(status))
    })
}
