//! The session middleware. Before the request: the cookie's key, then one hand-off to a
//! blocking thread that reads, on one pooled connection and in one read transaction, the
//! session's state and (when it names a login) the acting login's rows (`web::acting`),
//! which `Current` then judges without going back to the database. After the request:
//! what changed is written (a new session, a changed state, a new key, or an end), and
//! nothing is written for a session that did not change. A database that cannot load or
//! save the session answers the honest 503 page rather than an empty 500 that would throw
//! away the page the handler rendered.
//!
//! Requests that never use a session (static files, health checks, the JSON API, which
//! takes only bearer keys) skip it: a browser's cookie on them costs no database work.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};

use super::cookie::CookieSettings;
use super::store;
use super::{Session, State, Status, IMPERSONATOR_ID, LOGIN_ID};
use crate::db::{self, DbError, DbPool};
use crate::web::acting::Acting;
use crate::web::error::{unavailable_page, AppError};

/// What the middleware needs, registered as app data by the server.
#[derive(Clone)]
pub struct Sessions {
    pub pool: DbPool,
    pub cookie: CookieSettings,
}

/// The acting login's rows, read with the session, for `Current` to take; with the ids it
/// was read for, so a session whose login changed since is never judged on old rows.
pub struct Preloaded {
    pub login_id: i32,
    pub impersonator_id: Option<i32>,
    pub acting: Acting,
}

/// What one load found.
struct Loaded {
    state: State,
    acting: Option<Preloaded>,
}

fn uses_sessions(path: &str) -> bool {
    !(path.starts_with("/static/")
        || path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz")
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let sessions = req.app_data::<web::Data<Sessions>>().cloned();
    let Some(sessions) = sessions.filter(|_| uses_sessions(req.path())) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let mut key = sessions.cookie.key_of(&req);
    let loaded = match &key {
        Some(k) => match load(&sessions.pool, k).await {
            Ok(loaded) => loaded,
            Err(e) => {
                log::warn!("a session could not be loaded: {e}");
                let (http_req, _) = req.into_parts();
                let res = AppError::from(e).error_response();
                return Ok(ServiceResponse::new(http_req, res));
            }
        },
        None => None,
    };
    let before = match loaded {
        Some(Loaded { state, acting }) => {
            if let Some(acting) = acting {
                req.extensions_mut().insert(acting);
            }
            state
        }
        // No row behind the cookie (ended, expired): a fresh session, as if none was sent.
        None => {
            key = None;
            State::new()
        }
    };
    Session::attach(&req, before.clone());

    let mut res = next.call(req).await?.map_into_boxed_body();
    let (status, after) = Session::take_changes(res.request());
    match save(&sessions, key, status, after, &before).await {
        Ok(Cookie::Keep) => {}
        Ok(Cookie::Set(k)) => sessions.cookie.set(res.headers_mut(), k),
        Ok(Cookie::Remove) => sessions.cookie.remove(res.headers_mut()),
        Err(e) => {
            log::warn!("the session could not be saved: {e}");
            let (http_req, _) = res.into_parts();
            return Ok(ServiceResponse::new(http_req, unavailable_page()));
        }
    }
    Ok(res)
}

/// Reads the session behind `key` and, when it names a login, that login's rows: one
/// blocking hand-off, one connection, one consistent snapshot. A session due for a longer
/// expiry gets it on the same connection, after the snapshot.
async fn load(pool: &DbPool, key: &str) -> Result<Option<Loaded>, DbError> {
    let hash = store::hash_of(key);
    let today = crate::models::now().date();
    pool.db(move |c| {
        let read = db::read_snapshot(c, |c| -> Result<_, DbError> {
            let Some((state, stale)) = store::read(c, &hash)? else {
                return Ok(None);
            };
            let id = |k: &str| state.get(k).and_then(|v| serde_json::from_str(v).ok());
            let acting = match id(LOGIN_ID) {
                Some(login_id) => {
                    let impersonator_id = id(IMPERSONATOR_ID);
                    Some(Preloaded {
                        login_id,
                        impersonator_id,
                        acting: Acting::load(c, login_id, impersonator_id, today)?,
                    })
                }
                None => None,
            };
            Ok(Some((Loaded { state, acting }, stale)))
        })?;
        Ok(read.map(|(loaded, stale)| {
            if stale {
                store::extend(c, &hash);
            }
            loaded
        }))
    })
    .await
}

/// What the browser's cookie needs after the save.
enum Cookie {
    Keep,
    Set(String),
    Remove,
}

async fn save(
    sessions: &Sessions,
    key: Option<String>,
    status: Status,
    after: State,
    before: &State,
) -> Result<Cookie, DbError> {
    let pool = &sessions.pool;
    Ok(match (key, status) {
        // A visitor's empty session is never stored: a stranger gets no row to hold.
        (None, _) if after.is_empty() => Cookie::Keep,
        (None, Status::Purged) => Cookie::Keep,
        (None, _) => Cookie::Set(store::insert_new(pool, after).await?),
        (Some(_), Status::Unchanged) => Cookie::Keep,
        (Some(k), Status::Changed) => match store::update(pool, k, after, before).await? {
            None => Cookie::Keep,
            Some(new_key) => Cookie::Set(new_key),
        },
        (Some(k), Status::Purged) => {
            store::delete(pool, &k).await?;
            Cookie::Remove
        }
        (Some(k), Status::Renewed) => {
            store::delete(pool, &k).await?;
            Cookie::Set(store::insert_new(pool, after).await?)
        }
    })
}
