//! Sessions in the `sessions` table. The cookie carries only the random session key; the
//! table keeps the key's SHA-256 and the state, and mirrors the logged-in and impersonating
//! login ids so that ending all sessions of a login is one DELETE that every instance sees.
//! Reads are plain functions on a connection (the middleware makes them part of its one
//! load); writes are one short transaction each.

use crate::db::{self, DbConn, DbError, DbPool};
use crate::models::{now, session};
use crate::security::token;

use super::{State, CLIENT_AGENT, CLIENT_IP, FLASH, IMPERSONATOR_ID, LOGIN_ID, SESSION_ID};

/// Idle sessions end after this long.
pub const IDLE_HOURS: i64 = 12;
/// How stale a session's expiry may get before a request extends it: a page view does not
/// write to the database, except once in this many minutes per session.
pub const EXTEND_EVERY_MINUTES: i64 = 5;

/// The key's form in the table: a stolen copy of the table opens no session.
pub fn hash_of(key: &str) -> String {
    token::sha256_hex(key)
}

/// A live session's state, or `None` when there is no such session (ended, expired, or a
/// state that no longer reads, which is treated as no session at all). A session whose
/// expiry has gone stale also comes back with `stale`, for `extend`.
pub fn read(c: &mut DbConn, hash: &str) -> Result<Option<(State, bool)>, DbError> {
    let Some((body, expires)) = session::load(c, hash)? else {
        return Ok(None);
    };
    let Ok(state) = serde_json::from_str::<State>(&body) else {
        log::warn!("a session's stored state did not read; it is treated as absent");
        return Ok(None);
    };
    let idle = chrono::Duration::hours(IDLE_HOURS);
    let slack = chrono::Duration::minutes(EXTEND_EVERY_MINUTES);
    Ok(Some((state, expires < now() + idle - slack)))
}

/// Sliding idle expiry without a write per request: at most once per
/// `EXTEND_EVERY_MINUTES`, and without waiting for the disk (losing it costs nothing).
/// A database that refuses writes must not make reads fail: the next request tries again.
pub fn extend(c: &mut DbConn, hash: &str) {
    let until = now() + chrono::Duration::hours(IDLE_HOURS);
    if let Err(e) = db::transaction_relaxed(c, |c| session::touch(c, hash, until)) {
        log::warn!("could not extend a session's expiry: {e}");
    }
}

/// A new session key: 32 random bytes, 43 URL-safe characters, far inside a cookie's limit.
pub fn new_key() -> String {
    token::random_urlsafe(32)
}

/// Stores a new session under `key` (one chosen during the request, whose CSRF token a
/// page may already carry) or a fresh one, and answers its key.
pub async fn insert_new(
    pool: &DbPool,
    mut state: State,
    key: Option<String>,
) -> Result<String, DbError> {
    let key = key.unwrap_or_else(new_key);
    let hash = hash_of(&key);
    // The session names itself in its state, so a page can mark "this session" (the
    // cookie is signed and holds the key, which the table never shows).
    let public_id = token::random_urlsafe(12);
    state.insert(SESSION_ID.into(), json(&public_id));
    let body = json(&state);
    let (uid, imp) = (id_in(&state, LOGIN_ID), id_in(&state, IMPERSONATOR_ID));
    let origin = origin_in(&state);
    let expires = expiry();
    // Writes go through `db::transaction` so that SQLite writers queue in-process.
    // Expired rows are swept by the purge task (jobs::purge), not here.
    pool.tx(move |c| {
        Ok(session::insert(
            c, &hash, &public_id, uid, imp, &body, expires, &origin,
        )?)
    })
    .await?;
    Ok(key)
}

/// Writes a changed state under its key. Taking out a flash message an older panel stored
/// in the session need not wait for the disk (messages now travel in their own cookie);
/// anything else does.
/// Answers a new key when the session had been ended elsewhere (log-out, disable, password
/// change) while this request ran: its login is never brought back, and the browser gets
/// an anonymous session instead.
pub async fn update(
    pool: &DbPool,
    key: String,
    state: State,
    loaded: &State,
) -> Result<Option<String>, DbError> {
    let flash_only = only_flash_differs(loaded, &state);
    let hash = hash_of(&key);
    let body = json(&state);
    let (uid, imp) = (id_in(&state, LOGIN_ID), id_in(&state, IMPERSONATOR_ID));
    let expires = expiry();
    let updated = pool
        .db(move |c| {
            let update = |c: &mut DbConn| session::update(c, &hash, uid, imp, &body, expires);
            let written = if flash_only {
                db::transaction_relaxed(c, update)
            } else {
                db::transaction(c, update)
            };
            match written {
                Ok(updated) => Ok(updated),
                // Only a flash message was taken out (a page view): keep the old state, which
                // shows the message once more, rather than fail the page.
                Err(e) if flash_only => {
                    log::warn!("session not updated (the page is served anyway): {e}");
                    Ok(true)
                }
                Err(e) => Err(DbError::from(e)),
            }
        })
        .await?;
    if updated {
        return Ok(None);
    }
    let mut anonymous = state;
    anonymous.remove(LOGIN_ID);
    anonymous.remove(IMPERSONATOR_ID);
    insert_new(pool, anonymous, None).await.map(Some)
}

/// Ends a session.
pub async fn delete(pool: &DbPool, key: &str) -> Result<(), DbError> {
    let hash = hash_of(key);
    pool.tx(move |c| Ok(session::delete(c, &hash)?)).await
}

/// Whether two states differ in nothing but the flash message.
fn only_flash_differs(before: &State, after: &State) -> bool {
    let others = |s: &State| {
        s.iter()
            .filter(|(k, _)| k.as_str() != FLASH)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    others(before) == others(after)
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Strings and maps of strings always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

fn id_in(state: &State, key: &str) -> Option<i32> {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<i32>(v).ok())
}

fn text_in(state: &State, key: &str) -> String {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .unwrap_or_default()
}

fn origin_in(state: &State) -> session::Origin {
    session::Origin {
        ip: text_in(state, CLIENT_IP),
        user_agent: text_in(state, CLIENT_AGENT),
    }
}

fn expiry() -> chrono::NaiveDateTime {
    now() + chrono::Duration::hours(IDLE_HOURS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pairs: &[(&str, &str)]) -> State {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_change_of_the_flash_alone_is_told_apart_from_any_other_change() {
        let before = state(&[(LOGIN_ID, "7"), (FLASH, "{\"a\":1}")]);
        assert!(only_flash_differs(&before, &state(&[(LOGIN_ID, "7")])));
        assert!(only_flash_differs(
            &state(&[(LOGIN_ID, "7")]),
            &state(&[(LOGIN_ID, "7"), (FLASH, "x")])
        ));
        assert!(!only_flash_differs(&before, &state(&[(LOGIN_ID, "8")])));
        assert!(!only_flash_differs(
            &before,
            &state(&[(LOGIN_ID, "7"), (FLASH, "x"), (CLIENT_IP, "\"1\"")])
        ));
    }
}
