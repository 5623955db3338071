//! The session middleware. Before the request: the cookie's key, and nothing read. The
//! session is read by whatever needs it first: the `Session` or `Current` extractor, or a
//! handler's `Visit::read`/`Visit::change`, which reads the session, the acting login's
//! rows and the page's own rows (or makes its change) in one hand-off to a blocking
//! thread. Nothing in front of the handler needs the state: the CSRF token is derived
//! from the key (`CookieSettings::csrf_token`) and the per-login limit finds the login in
//! the table of known sessions. A load reads, on one pooled connection and
//! in one read transaction, the session's state and (when it names a login) the acting
//! login's rows (`web::acting`), which `Current` then judges without going back to the
//! database. After the request: what changed is written (a new session, a changed state, a
//! new key, or an end), and nothing is written for a session that did not change or was
//! never loaded. A flash message is not a change: it travels in its own cookie. A database that cannot load or save the session answers the honest 503
//! page rather than an empty 500 that would throw away the page the handler rendered.
//!
//! Requests that never use a session (static files, health checks, the JSON API, which
//! takes only bearer keys) skip it: a browser's cookie on them costs no database work.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::cookie::CookieSettings;
use super::known::KnownSessions;
use super::store;
use super::{FlashCookie, Session, State, Status, IMPERSONATOR_ID, LOGIN_ID};
use crate::db::{self, DbConn, DbError, DbPool};
use crate::web::acting::Acting;
use crate::web::error::unavailable_page;

/// What the middleware needs, registered as app data by the server.
#[derive(Clone)]
pub struct Sessions {
    pub pool: DbPool,
    pub cookie: CookieSettings,
    /// Which login each recently loaded session acts for, so the per-login limit can
    /// count a page view whose session is not loaded yet.
    pub known: KnownSessions,
}

/// The acting login's rows, read with the session, for `Current` to take; with the ids it
/// was read for, so a session whose login changed since is never judged on old rows.
pub struct Preloaded {
    pub login_id: i32,
    pub impersonator_id: Option<i32>,
    pub acting: Acting,
}

/// What one load found.
pub struct Loaded {
    pub state: State,
    pub acting: Option<Preloaded>,
    /// The person behind the session (the impersonator while impersonating), if logged in.
    pub person: Option<i32>,
}

/// The request's session before its handler: the cookie's key, whether the state behind
/// it has been read yet, and the state as read (what the save compares against).
pub(super) struct Slot {
    pub key: Option<String>,
    pub loaded: bool,
    pub before: State,
}

pub(super) type SharedSlot = Rc<RefCell<Slot>>;

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
    let key = sessions.cookie.key_of(&req);
    // A visitor without a cookie has nothing to load: its (empty) session is ready.
    let slot: SharedSlot = Rc::new(RefCell::new(Slot {
        loaded: key.is_none(),
        key,
        before: State::new(),
    }));
    Session::attach(&req, slot.borrow().key.clone(), sessions.cookie.clone());
    req.extensions_mut().insert(slot.clone());

    let mut res = next.call(req).await?.map_into_boxed_body();
    match Session::flash_changes(res.request()) {
        FlashCookie::Keep => {}
        FlashCookie::Set(flash) => sessions.cookie.set_flash(res.headers_mut(), &flash),
        FlashCookie::Remove => sessions.cookie.remove_flash(res.headers_mut()),
    }
    let (status, after, next_key) = Session::take_changes(res.request());
    let Slot {
        key,
        loaded,
        before,
    } = std::mem::replace(
        &mut *slot.borrow_mut(),
        Slot {
            key: None,
            loaded: false,
            before: State::new(),
        },
    );
    if !loaded {
        // Nothing read, so nothing can have changed: a handler that writes to its session
        // takes `Session` or `Current`, which load it first.
        if status != Status::Unchanged {
            log::error!("a session was changed without being loaded; the change is dropped");
        }
        return Ok(res);
    }
    let person = person_in(&after);
    match save(&sessions, key, status, after, &before, next_key).await {
        Ok(Cookie::Keep) => {}
        Ok(Cookie::Set(k)) => {
            // A session stored under a new key (a login) is known from its first request,
            // before anything reads it: the per-login limit counts its requests at once.
            if let Some(person) = person {
                sessions.known.remember(&k, person);
            }
            sessions.cookie.set(res.headers_mut(), k)
        }
        Ok(Cookie::Remove) => sessions.cookie.remove(res.headers_mut()),
        Err(e) => {
            log::warn!("the session could not be saved: {e}");
            let (http_req, _) = res.into_parts();
            return Ok(ServiceResponse::new(http_req, unavailable_page()));
        }
    }
    Ok(res)
}

/// The request's session key: the cookie's, until a load finds no live session behind it.
pub(super) fn cookie_key(req: &HttpRequest) -> Option<String> {
    let ext = req.extensions();
    let slot = ext.get::<SharedSlot>()?.borrow();
    slot.key.clone()
}

/// The session key of a request whose session has not been read yet.
pub(super) fn pending_key(req: &HttpRequest) -> Option<String> {
    let ext = req.extensions();
    let slot = ext.get::<SharedSlot>()?.borrow();
    (!slot.loaded).then(|| slot.key.clone()).flatten()
}

/// Reads the session behind `hash` and, when it names a login, that login's rows: one
/// connection, one consistent snapshot. A session due for a longer expiry gets it on the
/// same connection, after the snapshot. `None`: no live session has that key.
pub fn load_in(c: &mut DbConn, hash: &str) -> Result<Option<Loaded>, DbError> {
    let read = db::read_snapshot(c, |c| snapshot(c, hash))?;
    Ok(read.map(|(loaded, stale)| {
        if stale {
            store::extend(c, hash);
        }
        loaded
    }))
}

/// `load_in`'s reads, for a caller that has its snapshot open already (and extends a
/// stale session itself, with `store::extend`, once the snapshot is over).
pub fn snapshot(c: &mut DbConn, hash: &str) -> Result<Option<(Loaded, bool)>, DbError> {
    let Some((state, stale)) = store::read(c, hash)? else {
        return Ok(None);
    };
    let id = |k: &str| state.get(k).and_then(|v| serde_json::from_str(v).ok());
    let login_id: Option<i32> = id(LOGIN_ID);
    let person = person_in(&state);
    let acting = match login_id {
        Some(login_id) => {
            let impersonator_id = id(IMPERSONATOR_ID);
            let today = crate::models::now().date();
            Some(Preloaded {
                login_id,
                impersonator_id,
                acting: Acting::load(c, login_id, impersonator_id, today)?,
            })
        }
        None => None,
    };
    Ok(Some((
        Loaded {
            state,
            acting,
            person,
        },
        stale,
    )))
}

/// The person behind a session's state: the impersonator while impersonating, else the
/// login, if any.
fn person_in(state: &State) -> Option<i32> {
    let id = |k: &str| state.get(k).and_then(|v| serde_json::from_str(v).ok());
    id(IMPERSONATOR_ID).or_else(|| id(LOGIN_ID))
}

/// Puts what a load found in place for the request: the state into its `Session`, the
/// acting login's rows for `Current`, and the login into the table of known sessions. A
/// key with no live session behind it (ended, expired) becomes a fresh session, as if no
/// cookie had been sent.
pub(super) fn put_in_place(
    ext: &mut actix_web::dev::Extensions,
    sessions: &Sessions,
    loaded: Option<Loaded>,
) {
    let Some(slot) = ext.get::<SharedSlot>().cloned() else {
        return;
    };
    let mut slot = slot.borrow_mut();
    slot.loaded = true;
    match loaded {
        Some(Loaded {
            state,
            acting,
            person,
        }) => {
            if let (Some(key), Some(person)) = (&slot.key, person) {
                sessions.known.remember(key, person);
            }
            if let Some(acting) = acting {
                ext.insert(acting);
            }
            slot.before = state.clone();
            Session::of(ext).replace_state(state);
        }
        None => {
            slot.key = None;
            Session::of(ext).forget_key();
        }
    }
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
    next_key: Option<String>,
) -> Result<Cookie, DbError> {
    let pool = &sessions.pool;
    Ok(match (key, status) {
        // A visitor's empty session is never stored: a stranger gets no row to hold.
        (None, _) if after.is_empty() => Cookie::Keep,
        (None, Status::Purged) => Cookie::Keep,
        (None, _) => Cookie::Set(store::insert_new(pool, after, next_key).await?),
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
            Cookie::Set(store::insert_new(pool, after, next_key).await?)
        }
    })
}
