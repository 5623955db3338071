//! Statement deadlines for searches. A substring search over a big account is a scan; run
//! fifty at once and every other tenant waits for a connection. `bounded` gives such work
//! a deadline after which the database itself stops it and the caller gets
//! `DbError::Deadline` (the pages answer "this search took too long; narrow it"):
//! - PostgreSQL: `SET LOCAL statement_timeout` inside a read-only transaction, so the
//!   setting ends with the transaction and never leaks to the next user of the connection;
//! - SQLite: a progress handler, installed on every connection the process opens (via
//!   `sqlite3_auto_extension`, as diesel does not lend out its raw handle), that interrupts
//!   the statement once the deadline of the thread running it has passed.

use std::cell::Cell;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;

use super::{DbConn, DbError};

thread_local! {
    /// The deadline of the bounded work this thread runs, if any.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Set when the progress handler stopped a statement for passing the deadline.
    static TRIPPED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` with every statement stopped once `limit` has passed.
pub fn bounded<T, F>(conn: &mut DbConn, limit: Duration, work: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DbError>,
{
    match conn {
        DbConn::Postgres(_) => {
            let ms = limit.as_millis().clamp(1, i32::MAX as u128);
            let mut outcome: Option<Result<T, DbError>> = None;
            let tx = conn.transaction::<(), diesel::result::Error, _>(|c| {
                c.batch_execute(&format!(
                    "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {ms}"
                ))?;
                let r = work(c);
                let failed = r.is_err();
                outcome = Some(r);
                if failed {
                    Err(diesel::result::Error::RollbackTransaction)
                } else {
                    Ok(())
                }
            });
            match (outcome, tx) {
                (Some(Err(e)), _) if is_statement_timeout(&e) => Err(DbError::Deadline),
                (Some(Err(e)), _) => Err(e),
                (Some(Ok(v)), Ok(())) => Ok(v),
                (_, Err(e)) => Err(DbError::from(e)),
                (None, Ok(())) => Err(DbError::Cancelled),
            }
        }
        DbConn::Sqlite(_) => {
            DEADLINE.with(|d| d.set(Some(Instant::now() + limit)));
            TRIPPED.with(|t| t.set(false));
            let r = work(conn);
            DEADLINE.with(|d| d.set(None));
            let tripped = TRIPPED.with(|t| t.replace(false));
            match r {
                Err(DbError::Query(_)) if tripped => Err(DbError::Deadline),
                other => other,
            }
        }
    }
}

/// `bounded` for work inside a transaction the caller holds open (a page's read snapshot):
/// on PostgreSQL the deadline is set for the rest of that transaction (`SET LOCAL`), so
/// the caller's transaction must end soon after; on SQLite it is the same as `bounded`.
pub fn bounded_in_transaction<T, F>(
    conn: &mut DbConn,
    limit: Duration,
    work: F,
) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DbError>,
{
    match conn {
        DbConn::Postgres(_) => {
            let ms = limit.as_millis().clamp(1, i32::MAX as u128);
            conn.batch_execute(&format!("SET LOCAL statement_timeout = {ms}"))?;
            match work(conn) {
                Err(e) if is_statement_timeout(&e) => Err(DbError::Deadline),
                other => other,
            }
        }
        DbConn::Sqlite(_) => bounded(conn, limit, work),
    }
}

fn is_statement_timeout(e: &DbError) -> bool {
    matches!(e, DbError::Query(diesel::result::Error::DatabaseError(_, info))
        if info.message().contains("statement timeout"))
}

/// How many SQLite virtual-machine steps pass between two looks at the clock.
const STEPS_BETWEEN_CHECKS: i32 = 4000;

unsafe extern "C" fn progress(_: *mut std::os::raw::c_void) -> std::os::raw::c_int {
    let passed = DEADLINE.with(|d| d.get().is_some_and(|at| Instant::now() >= at));
    if passed {
        TRIPPED.with(|t| t.set(true));
    }
    std::os::raw::c_int::from(passed)
}

unsafe extern "C" fn on_open(
    db: *mut libsqlite3_sys::sqlite3,
    _err: *mut *mut std::os::raw::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::os::raw::c_int {
    // SAFETY: SQLite calls this with the handle of a connection it has just opened.
    unsafe {
        libsqlite3_sys::sqlite3_progress_handler(
            db,
            STEPS_BETWEEN_CHECKS,
            Some(progress),
            std::ptr::null_mut(),
        )
    };
    libsqlite3_sys::SQLITE_OK
}

/// Registers the progress handler for every SQLite connection opened from now on.
pub fn install_sqlite_progress_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite's auto-extension entry points have.
        let rc = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(on_open)) };
        if rc != libsqlite3_sys::SQLITE_OK {
            log::warn!("SQLite search deadlines are off: sqlite3_auto_extension answered {rc}");
        }
    });
}
