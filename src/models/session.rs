//! Server-side sessions. The cookie carries only a random key; the row, found by the key's
//! SHA-256, holds the state. `user_id` and `impersonator_id` mirror the state so that a
//! log-out, disable or password change can end every session of a login at once, on
//! every instance that shares the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::now;
use crate::db::schema::sessions;
use crate::db::DbConn;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub key_hash: String,
    pub user_id: Option<i32>,
    pub impersonator_id: Option<i32>,
    pub state: String,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub public_id: String,
    pub ip: String,
    pub user_agent: String,
    pub last_seen_at: Option<NaiveDateTime>,
}

/// Where a session was opened from, mirrored from its state when it is written.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// Loads a live session's state and expiry; an expired one is treated as absent.
pub fn load(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<(String, NaiveDateTime)>> {
    sessions::table
        .filter(sessions::key_hash.eq(key_hash))
        .filter(sessions::expires_at.gt(now()))
        .select((sessions::state, sessions::expires_at))
        .first(conn)
        .optional()
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConn,
    key_hash: &str,
    public_id: &str,
    user_id: Option<i32>,
    impersonator_id: Option<i32>,
    state: &str,
    expires_at: NaiveDateTime,
    origin: &Origin,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::public_id.eq(public_id),
            sessions::user_id.eq(user_id),
            sessions::impersonator_id.eq(impersonator_id),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
            sessions::created_at.eq(now()),
            sessions::ip.eq(&origin.ip),
            sessions::user_agent.eq(&origin.user_agent),
            sessions::last_seen_at.eq(Some(now())),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Updates a session's state; answers false when the row is gone (ended elsewhere).
pub fn update(
    conn: &mut DbConn,
    key_hash: &str,
    user_id: Option<i32>,
    impersonator_id: Option<i32>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set((
            sessions::user_id.eq(user_id),
            sessions::impersonator_id.eq(impersonator_id),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(Some(now())),
        ))
        .execute(conn)
        .map(|n| n > 0)
}

/// Extends a session and notes that it was seen now (at most once in a few minutes).
pub fn touch(conn: &mut DbConn, key_hash: &str, expires_at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set((
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(Some(now())),
        ))
        .execute(conn)
        .map(|_| ())
}

/// At most this many sessions are listed per login.
pub const LISTED: i64 = 100;

/// The open sessions of a login, newest first: those it is logged in with (not someone
/// else impersonating it), and those in which it impersonates another login.
pub fn open_of(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(
            sessions::user_id
                .eq(user_id)
                .and(sessions::impersonator_id.is_null())
                .or(sessions::impersonator_id.eq(user_id)),
        )
        .filter(sessions::expires_at.gt(now()))
        .order(sessions::created_at.desc())
        .limit(LISTED)
        .select(SessionRow::as_select())
        .load(conn)
}

/// Ends every session of the login (its own and those it impersonates in) but the one
/// named `keep` (a public id); answers how many ended.
pub fn end_all_except(conn: &mut DbConn, user_id: i32, keep: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(
                sessions::user_id
                    .eq(user_id)
                    .or(sessions::impersonator_id.eq(user_id)),
            )
            .filter(sessions::public_id.ne(keep)),
    )
    .execute(conn)
}

/// Ends the login's session named `public_id` (one of `open_of`); answers whether it did.
pub fn end_one(conn: &mut DbConn, user_id: i32, public_id: &str) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::public_id.eq(public_id))
            .filter(
                sessions::user_id
                    .eq(user_id)
                    .and(sessions::impersonator_id.is_null())
                    .or(sessions::impersonator_id.eq(user_id)),
            ),
    )
    .execute(conn)
    .map(|n| n > 0)
}

pub fn delete(conn: &mut DbConn, key_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session in which `user_id` is logged in or impersonating, except `keep`.
pub fn end_all_of(conn: &mut DbConn, user_id: i32, keep: Option<&str>) -> QueryResult<usize> {
    let mine = sessions::user_id
        .eq(user_id)
        .or(sessions::impersonator_id.eq(user_id));
    match keep {
        Some(k) => diesel::delete(
            sessions::table
                .filter(mine)
                .filter(sessions::key_hash.ne(k)),
        )
        .execute(conn),
        None => diesel::delete(sessions::table.filter(mine)).execute(conn),
    }
}

/// Drops up to `batch` expired rows (the purge task calls it until it answers less), so
/// one statement never holds the write lock for long.
pub fn purge_expired(conn: &mut DbConn, batch: i64) -> QueryResult<usize> {
    let expired = sessions::table
        .filter(sessions::expires_at.le(now()))
        .select(sessions::key_hash)
        .limit(batch)
        .load::<String>(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    diesel::delete(sessions::table.filter(sessions::key_hash.eq_any(expired))).execute(conn)
}

/// Ends the live sessions of `login_id` (as itself or impersonating) beyond its `keep`
/// newest; answers how many ended.
pub fn end_oldest_of(conn: &mut DbConn, login_id: i32, keep: i64) -> QueryResult<usize> {
    let older = sessions::table
        .filter(
            sessions::user_id
                .eq(login_id)
                .and(sessions::impersonator_id.is_null())
                .or(sessions::impersonator_id.eq(login_id)),
        )
        .filter(sessions::expires_at.gt(now()))
        .order((sessions::created_at.desc(), sessions::key_hash.desc()))
        .offset(keep.max(0))
        .select(sessions::key_hash)
        .load::<String>(conn)?;
    if older.is_empty() {
        return Ok(0);
    }
    diesel::delete(sessions::table.filter(sessions::key_hash.eq_any(older))).execute(conn)
}

/// Logged-in sessions that have not expired (the `steward_sessions_open` metric).
pub fn count_open(conn: &mut DbConn) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.is_not_null())
        .filter(sessions::expires_at.gt(now()))
        .count()
        .get_result(conn)
}
