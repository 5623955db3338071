//! The purge task: every `Limits::purge_interval`, one instance of the installation
//! removes what has outlived its purpose:
//! - expired sessions (a session row only ends by log-out or expiry; expired rows are dead);
//! - login attempts older than the throttle window plus the Login History retention
//!   (`STEWARD_LOGIN_HISTORY_DAYS`, default 90);
//! - audit entries older than `STEWARD_AUDIT_DAYS`, when set (by default the log is kept
//!   forever);
//! - heartbeats of instances silent for a day;
//! - sent and failed mails older than `MAIL_DAYS` (queued ones are never purged).
//!
//! On PostgreSQL the run is claimed with a transaction-level advisory lock, so when several
//! instances share the database only one purges at a time; on SQLite the write lock already
//! serializes it. Deletes go in batches, each its own short transaction, so the purge never
//! holds the write lock long enough to stall a page.

use std::time::Duration;

use diesel::prelude::*;

use crate::db::{self, DbConn, DbError, DbPool};
use crate::models::{audit, login_attempt, now, outbox, session};

/// Rows removed per statement.
const BATCH: i64 = 5000;
/// Sent and failed mails are kept this many days for the admin page, then removed.
pub const MAIL_DAYS: i64 = 30;
/// The advisory lock key that names "the purge" on PostgreSQL.
const LOCK_KEY: i64 = 0x5354_4557_5055_5247; // "STEWPURG"

#[derive(Debug, Clone)]
pub struct Retention {
    pub every: Duration,
    /// Login attempts are kept this long (the throttle window plus Login History).
    pub login_attempts: chrono::Duration,
    pub audit: Option<chrono::Duration>,
}

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub login_attempts: usize,
    pub audit: usize,
    pub mail: usize,
    /// False when another instance held the claim.
    pub ran: bool,
}

/// Starts the task on the current runtime; it runs first after one interval.
pub fn start(pool: DbPool, retention: Retention) {
    tokio::spawn(async move {
        loop {
            actix_web::rt::time::sleep(retention.every).await;
            let r = retention.clone();
            match db::run(&pool, move |c| run_once(c, &r)).await {
                Ok(p) if p.sessions + p.login_attempts + p.audit + p.mail > 0 => log::info!(
                    "purge: {} expired sessions, {} old login attempts, {} old audit entries, {} old mails",
                    p.sessions,
                    p.login_attempts,
                    p.audit,
                    p.mail
                ),
                Ok(_) => {}
                Err(e) => log::warn!("purge failed (tried again next interval): {e}"),
            }
        }
    });
}

/// One purge run, if this instance gets the claim.
pub fn run_once(c: &mut DbConn, retention: &Retention) -> Result<Purged, DbError> {
    if !claim(c)? {
        return Ok(Purged::default());
    }
    let result = purge(c, retention);
    release(c);
    result
}

fn purge(c: &mut DbConn, retention: &Retention) -> Result<Purged, DbError> {
    let mut purged = Purged {
        ran: true,
        ..Purged::default()
    };
    purged.sessions = in_batches(c, |c| session::purge_expired(c, BATCH))?;
    let cutoff = now() - retention.login_attempts;
    purged.login_attempts = in_batches(c, |c| login_attempt::purge_before(c, cutoff, BATCH))?;
    if let Some(keep) = retention.audit {
        let cutoff = now() - keep;
        purged.audit = in_batches(c, |c| audit::purge_before(c, cutoff, BATCH))?;
    }
    let cutoff = now() - chrono::Duration::days(MAIL_DAYS);
    purged.mail = in_batches(c, |c| outbox::purge_before(c, cutoff, BATCH))?;
    db::transaction(c, |c| db::probe::purge_stale(c).map_err(DbError::from))?;
    Ok(purged)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    claimed: bool,
}

/// On PostgreSQL, a session-level advisory lock held for the run: another instance that
/// tries meanwhile is refused at once (try-lock never waits) and skips this round.
fn claim(c: &mut DbConn) -> Result<bool, DbError> {
    let DbConn::Postgres(pg) = c else {
        return Ok(true);
    };
    let q = format!("SELECT pg_try_advisory_lock({LOCK_KEY}) AS claimed");
    Ok(diesel::sql_query(q).get_result::<Claimed>(pg)?.claimed)
}

fn release(c: &mut DbConn) {
    if let DbConn::Postgres(pg) = c {
        let q = format!("SELECT pg_advisory_unlock({LOCK_KEY}) AS claimed");
        if let Err(e) = diesel::sql_query(q).get_result::<Claimed>(pg) {
            // The lock ends with the connection at the latest.
            log::warn!("purge: could not release its claim: {e}");
        }
    }
}

fn in_batches(
    c: &mut DbConn,
    mut step: impl FnMut(&mut DbConn) -> QueryResult<usize>,
) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let n = db::transaction(c, &mut step).map_err(DbError::from)?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}
