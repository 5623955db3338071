//! actix-session's `SessionStore`, backed by the `sessions` table. The cookie carries only
//! the random session key; the table keeps the key's SHA-256 and the state, and mirrors
//! the logged-in and impersonating login ids so that ending all sessions of a login is
//! one DELETE that every instance sees.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use crate::db::{self, DbError, DbPool};
use crate::models::{now, session};
use crate::security::token;

/// Session state keys shared by the store, the login and the `Current` extractor.
pub const LOGIN_ID: &str = "login_id";
pub const IMPERSONATOR_ID: &str = "impersonator_id";
pub const CSRF: &str = "csrf";
pub const FLASH: &str = "flash";
/// A new API key waiting, sealed, for the page the creating POST redirects to.
pub const NEW_API_KEY: &str = "new_api_key";
/// Where the session was opened from (set at login; mirrored into the row's columns).
pub const CLIENT_IP: &str = "client_ip";
pub const CLIENT_AGENT: &str = "client_agent";
/// The session's public id (`sessions.public_id`), set when its row is made.
pub const SESSION_ID: &str = "session_id";
/// What an offboarding did, for the alias user page the POST redirects to.
pub const OFFBOARDED: &str = "offboarded";
/// Where "Return" leads when an impersonation ends.
pub const RETURN_TO: &str = "impersonation_return";
/// A login whose password was right but whose second factor is still to come (it is not
/// logged in: `LOGIN_ID` is not set until the factor passes), and since when (Unix time).
pub const PENDING_LOGIN: &str = "two_factor_pending";
pub const PENDING_SINCE: &str = "two_factor_pending_since";
/// When the person behind the session last proved who they are (password, or password
/// and factor; Unix time): "sudo mode" lasts 15 minutes from it.
pub const AUTH_AT: &str = "authenticated_at";
/// A TOTP secret being set up (sealed under the cookie), until a first code confirms it.
pub const TOTP_SETUP: &str = "totp_setup";
/// New recovery codes waiting, sealed, for the page the creating POST redirects to.
pub const NEW_RECOVERY_CODES: &str = "new_recovery_codes";
/// A passkey registration under way (webauthn-rs's state, the name asked for, since
/// when), between its start and its finish. One at a time: a new start replaces it.
pub const PASSKEY_REGISTRATION: &str = "passkey_registration";
/// A passkey assertion under way at the two-factor step (or none): one at a time.
pub const PASSKEY_AUTHENTICATION: &str = "passkey_authentication";

type State = HashMap<String, String>;

/// Idle sessions end after this long (the cookie's state TTL is the same).
pub const IDLE_HOURS: i64 = 12;
/// How stale a session's expiry may get before a request extends it: a page view does not
/// write to the database, except once in this many minutes per session.
pub const EXTEND_EVERY_MINUTES: i64 = 5;

#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
}

impl DbSessionStore {
    pub fn new(pool: DbPool) -> Self {
        DbSessionStore { pool }
    }
}

fn id_in(state: &State, key: &str) -> Option<i32> {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<i32>(v).ok())
}

/// Whether the stored state of a session equals `wanted` apart from the flash message.
fn only_flash_differs(c: &mut db::DbConn, hash: &str, wanted: &State) -> bool {
    let Ok(Some((body, _))) = session::load(c, hash) else {
        return false;
    };
    let Ok(mut stored) = serde_json::from_str::<State>(&body) else {
        return false;
    };
    let mut wanted = wanted.clone();
    stored.remove(FLASH);
    wanted.remove(FLASH);
    stored == wanted
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

fn expiry(ttl: &Duration) -> chrono::NaiveDateTime {
    now() + chrono::Duration::seconds(ttl.whole_seconds())
}

fn new_key() -> SessionKey {
    // 32 random bytes: 43 URL-safe characters, far inside the cookie's limit.
    SessionKey::try_from(token::random_urlsafe(32)).expect("a 43-character key is valid")
}

async fn insert_new(
    pool: &DbPool,
    mut state: State,
    ttl: &Duration,
) -> Result<SessionKey, anyhow::Error> {
    let key = new_key();
    let hash = token::sha256_hex(key.as_ref());
    // The session names itself in its state, so a page can mark "this session" (the
    // cookie is sealed: its value is not the key).
    let public_id = token::random_urlsafe(12);
    state.insert(SESSION_ID.into(), serde_json::to_string(&public_id)?);
    let body = serde_json::to_string(&state)?;
    let (uid, imp) = (id_in(&state, LOGIN_ID), id_in(&state, IMPERSONATOR_ID));
    let expires = expiry(ttl);
    let origin = origin_in(&state);
    // Writes go through `db::transaction` so that SQLite writers queue in-process.
    // Expired rows are swept by the purge task (jobs::purge), not here.
    db::run(pool, move |c| {
        db::transaction(c, |c| {
            session::insert(c, &hash, &public_id, uid, imp, &body, expires, &origin)
                .map_err(DbError::from)
        })
    })
    .await?;
    Ok(key)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = token::sha256_hex(key.as_ref());
        let row = db::run(&self.pool, move |c| {
            let row = session::load(c, &hash).map_err(DbError::from)?;
            // Sliding idle expiry without a write per request: the session middleware only
            // writes a changed state, so an unchanged session is extended here, at most
            // once per EXTEND_EVERY_MINUTES.
            if let Some((_, expires)) = &row {
                let idle = chrono::Duration::hours(IDLE_HOURS);
                let slack = chrono::Duration::minutes(EXTEND_EVERY_MINUTES);
                if *expires < now() + idle - slack {
                    // A database that refuses writes must not make reads fail: the
                    // extension is tried again on a later request.
                    if let Err(e) =
                        db::transaction_relaxed(c, |c| session::touch(c, &hash, now() + idle))
                    {
                        log::warn!("could not extend a session's expiry: {e}");
                    }
                }
            }
            Ok::<_, DbError>(row)
        })
        .await
        .map_err(|e| LoadError::Other(e.into()))?;
        match row {
            None => Ok(None),
            Some((body, _)) => serde_json::from_str(&body)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        insert_new(&self.pool, state, ttl)
            .await
            .map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let hash = token::sha256_hex(key.as_ref());
        let body =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (uid, imp) = (id_in(&state, LOGIN_ID), id_in(&state, IMPERSONATOR_ID));
        let expires = expiry(ttl);
        let wanted = state.clone();
        let updated = db::run(&self.pool, move |c| {
            // A flash message set or taken (most POSTs answer with one, and the next page
            // shows it) need not wait for the disk; anything else in the state does.
            let flash_only = only_flash_differs(c, &hash, &wanted);
            let update = |c: &mut db::DbConn| session::update(c, &hash, uid, imp, &body, expires);
            let written = if flash_only {
                db::transaction_relaxed(c, update)
            } else {
                db::transaction(c, update)
            };
            match written {
                Ok(updated) => Ok(updated),
                // Only a flash message was taken out (a page view): keep the old state,
                // which shows the message once more, rather than fail the page.
                Err(e) if flash_only => {
                    log::warn!("session not updated (the page is served anyway): {e}");
                    Ok(true)
                }
                Err(e) => Err(DbError::from(e)),
            }
        })
        .await
        .map_err(|e| UpdateError::Other(e.into()))?;
        if updated {
            return Ok(key);
        }
        // The session was ended elsewhere (log-out, disable, password change) while this
        // request ran: never bring its login back; start an anonymous one instead.
        let mut anonymous = state;
        anonymous.remove(LOGIN_ID);
        anonymous.remove(IMPERSONATOR_ID);
        insert_new(&self.pool, anonymous, ttl)
            .await
            .map_err(UpdateError::Other)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let hash = token::sha256_hex(key.as_ref());
        let expires = expiry(ttl);
        db::run(&self.pool, move |c| {
            db::transaction_relaxed(c, |c| session::touch(c, &hash, expires)).map_err(DbError::from)
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = token::sha256_hex(key.as_ref());
        db::run(&self.pool, move |c| {
            db::transaction(c, |c| session::delete(c, &hash)).map_err(DbError::from)
        })
        .await?;
        Ok(())
    }
}
