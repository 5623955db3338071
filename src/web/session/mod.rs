//! The panel's sessions, owned here end to end: the signed cookie that carries a random
//! key (`cookie`), the `sessions` table that keeps the state under the key's SHA-256
//! (`store`), and the middleware that loads a session once per request and writes it back
//! only when it changed (`middleware`). The load is also where the acting login's rights
//! are read: the session row and the login, its parent, role, reach and second factor come
//! from one pooled connection in one read transaction, so a page costs one hand-off to a
//! blocking thread before its own queries instead of two, and the rights it checks are
//! those of the same moment as the session that names them.
//!
//! `Session` keeps the interface handlers already knew (get, insert, remove, purge,
//! renew): values are JSON strings under string keys, as they are stored.

mod cookie;
mod known;
mod middleware;
mod store;

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::{Extensions, ServiceRequest};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::web::chrome::Flash;

pub use cookie::CookieSettings;
pub use middleware::{middleware, Loaded, Preloaded, Sessions};
pub use store::{EXTEND_EVERY_MINUTES, IDLE_HOURS};

/// Session state keys shared by the store, the login and the `Current` extractor.
pub const LOGIN_ID: &str = "login_id";
pub const IMPERSONATOR_ID: &str = "impersonator_id";
/// Where sessions stored before the flash cookie kept their message: such a message is
/// still shown once.
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

/// The stored form of a session: JSON values under string keys.
pub type State = HashMap<String, String>;

/// What a request did to its session, which decides what the middleware writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing to write.
    #[default]
    Unchanged,
    /// The state changed: it is written under the same key.
    Changed,
    /// The session ends: its row is deleted and the cookie removed.
    Purged,
    /// A new key for the same state (after a login or a change of who acts), so a key
    /// seen before it can no longer be used.
    Renewed,
}

#[derive(Default, Debug)]
struct Inner {
    state: State,
    status: Status,
    /// The key a renewed or new session will be stored under, chosen when it is renewed
    /// or when a page first needs its CSRF token.
    next_key: Option<String>,
    /// The key the session is stored under now (none for a new one), and the settings
    /// that make its CSRF token.
    key: Option<String>,
    cookie: Option<CookieSettings>,
    /// The flash message the request's cookie brought, whether a page took it, and the one
    /// the request leaves for the next page: they travel in their own cookie, so neither
    /// is a change to the stored session.
    flash_in: Option<Flash>,
    /// Whether the request came with a flash cookie at all (one that did not open is
    /// removed too).
    flash_cookie: bool,
    flash_taken: bool,
    flash_out: Option<Flash>,
}

/// What the browser's flash cookie needs after the request.
#[derive(Debug)]
pub(super) enum FlashCookie {
    Keep,
    Set(Flash),
    Remove,
}

/// The session of the current request. Cheap to clone: every clone is the same session.
#[derive(Clone)]
pub struct Session(Rc<RefCell<Inner>>);

impl Session {
    /// The value under `key`, if there is one and it reads as a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        match self.0.borrow().state.get(key) {
            Some(value) => serde_json::from_str(value).map(Some),
            None => Ok(None),
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.borrow().state.contains_key(key)
    }

    /// Stores `value` under `key`. A purged session stays empty.
    pub fn insert<T: Serialize>(
        &self,
        key: impl Into<String>,
        value: T,
    ) -> Result<(), serde_json::Error> {
        let value = serde_json::to_string(&value)?;
        let mut inner = self.0.borrow_mut();
        if inner.status != Status::Purged {
            inner.mark_changed();
            inner.state.insert(key.into(), value);
        }
        Ok(())
    }

    /// Takes the value under `key` out, as stored.
    pub fn remove(&self, key: &str) -> Option<String> {
        let mut inner = self.0.borrow_mut();
        if inner.status == Status::Purged {
            return None;
        }
        inner.mark_changed();
        inner.state.remove(key)
    }

    /// Takes the value under `key` out as a `T`; the stored text when it does not read.
    pub fn remove_as<T: DeserializeOwned>(&self, key: &str) -> Option<Result<T, String>> {
        self.remove(key)
            .map(|value| serde_json::from_str(&value).map_err(|_| value))
    }

    /// Ends the session: nothing is kept, and nothing inserted afterwards is.
    pub fn purge(&self) {
        let mut inner = self.0.borrow_mut();
        inner.status = Status::Purged;
        inner.state.clear();
    }

    /// Keeps the state under a new key.
    pub fn renew(&self) {
        let mut inner = self.0.borrow_mut();
        if inner.status != Status::Purged {
            inner.status = Status::Renewed;
            inner.next_key = Some(store::new_key());
        }
    }

    /// The session of a request, made empty on first use.
    fn of(extensions: &mut Extensions) -> Session {
        if let Some(inner) = extensions.get::<Rc<RefCell<Inner>>>() {
            return Session(inner.clone());
        }
        let inner = Rc::new(RefCell::new(Inner::default()));
        extensions.insert(inner.clone());
        Session(inner)
    }

    /// Makes the request's session, stored under `key` (if any), not read yet, with the
    /// flash message the request's cookie brought.
    fn attach(req: &ServiceRequest, key: Option<String>, cookie: CookieSettings) {
        let (flash_cookie, flash) = cookie.flash_of(req);
        let session = Session::of(&mut req.extensions_mut());
        let mut inner = session.0.borrow_mut();
        inner.key = key;
        inner.cookie = Some(cookie);
        inner.flash_in = flash;
        inner.flash_cookie = flash_cookie;
    }

    /// Leaves a message for the next page the browser shows (also after a log-out).
    pub fn set_flash(&self, flash: Flash) {
        self.0.borrow_mut().flash_out = Some(flash);
    }

    /// The message left for this page, if any; once taken, the browser forgets it. A
    /// message stored in the session by an older panel is taken out of it (a change).
    pub fn take_flash(&self) -> Option<Flash> {
        let mut inner = self.0.borrow_mut();
        inner.flash_taken = true;
        let from_cookie = inner.flash_in.take();
        drop(inner);
        from_cookie.or_else(|| {
            if self.contains_key(FLASH) {
                self.remove_as::<Flash>(FLASH).and_then(Result::ok)
            } else {
                None
            }
        })
    }

    /// What the request did to its flash cookie.
    pub(super) fn flash_changes(req: &HttpRequest) -> FlashCookie {
        let Some(inner) = req.extensions().get::<Rc<RefCell<Inner>>>().cloned() else {
            return FlashCookie::Keep;
        };
        let mut inner = inner.borrow_mut();
        match (inner.flash_out.take(), inner.flash_taken) {
            (Some(flash), _) => FlashCookie::Set(flash),
            (None, true) if inner.flash_cookie => FlashCookie::Remove,
            (None, _) => FlashCookie::Keep,
        }
    }

    /// The CSRF token its pages give their forms (`CookieSettings::csrf_token`): made from
    /// the key the session is stored under, or will be once renewed or new.
    pub fn csrf_token(&self) -> String {
        let mut inner = self.0.borrow_mut();
        let key = match (&inner.key, inner.status) {
            (Some(key), status) if status != Status::Renewed => key.clone(),
            _ => inner.next_key.get_or_insert_with(store::new_key).clone(),
        };
        inner
            .cookie
            .as_ref()
            .map(|c| c.csrf_token(&key))
            .unwrap_or_default()
    }

    /// A key with no live session behind it: the session is new, as if no cookie came.
    fn forget_key(&self) {
        self.0.borrow_mut().key = None;
    }

    fn replace_state(&self, state: State) {
        self.0.borrow_mut().state = state;
    }

    /// What the request did: its status, the state to write, and the key chosen for a
    /// renewed or new session.
    fn take_changes(req: &HttpRequest) -> (Status, State, Option<String>) {
        match req.extensions().get::<Rc<RefCell<Inner>>>() {
            Some(inner) => {
                let mut inner = inner.borrow_mut();
                let state = std::mem::take(&mut inner.state);
                (inner.status, state, inner.next_key.take())
            }
            None => (Status::Unchanged, State::new(), None),
        }
    }
}

impl Inner {
    fn mark_changed(&mut self) {
        if self.status != Status::Renewed {
            self.status = Status::Changed;
        }
    }
}

/// `req.get_session()` on handlers' requests and on middleware's.
pub trait SessionExt {
    fn get_session(&self) -> Session;
}

impl SessionExt for HttpRequest {
    fn get_session(&self) -> Session {
        Session::of(&mut self.extensions_mut())
    }
}

impl SessionExt for ServiceRequest {
    fn get_session(&self) -> Session {
        Session::of(&mut self.extensions_mut())
    }
}

/// Reads the request's session now if nobody has yet (a page view's session waits for
/// its first user): one hand-off.
pub async fn ensure_loaded(req: &HttpRequest) -> Result<(), crate::web::AppError> {
    let Some(key) = middleware::pending_key(req) else {
        return Ok(());
    };
    let sessions = sessions_of(req)?;
    let hash = store::hash_of(&key);
    let loaded = sessions
        .pool
        .db(move |c| middleware::load_in(c, &hash))
        .await?;
    settle(req, loaded);
    Ok(())
}

/// The token a state-changing request must carry, from its cookie's key alone: `None`
/// for a request without a session cookie (the login form's stateless token applies).
pub fn expected_csrf(req: &ServiceRequest) -> Option<String> {
    let sessions = req.app_data::<web::Data<Sessions>>()?;
    let key = middleware::cookie_key(req.request())?;
    Some(sessions.cookie.csrf_token(&key))
}

/// A page view's session still to be read, for a handler that reads it together with
/// its own rows (`web::page`): the key's hash in the table.
pub fn pending(req: &HttpRequest) -> Option<String> {
    middleware::pending_key(req).map(|k| store::hash_of(&k))
}

/// The reads of a session and its login, for a caller that holds a read snapshot open;
/// `true` with it when the session's expiry is due to be extended (`extend`, after the
/// snapshot).
pub fn read_in_snapshot(
    c: &mut crate::db::DbConn,
    hash: &str,
) -> Result<Option<(Loaded, bool)>, crate::db::DbError> {
    middleware::snapshot(c, hash)
}

/// Extends a session's idle expiry (outside any snapshot).
pub fn extend(c: &mut crate::db::DbConn, hash: &str) {
    store::extend(c, hash)
}

/// Puts what a load found in place for the request's handlers and its save.
pub fn settle(req: &HttpRequest, loaded: Option<Loaded>) {
    if let Ok(sessions) = sessions_of(req) {
        middleware::put_in_place(&mut req.extensions_mut(), &sessions, loaded);
    }
}

/// The session cookie's value as the browser sent it, under the name the panel gives it
/// (`__Host-` over https): what a secret waiting in the session for the next page is
/// sealed under, so that the database alone never opens it.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    let sessions = req.app_data::<web::Data<Sessions>>()?;
    req.cookie(&sessions.cookie.name)
        .map(|c| c.value().to_string())
}

fn sessions_of(req: &HttpRequest) -> Result<web::Data<Sessions>, crate::web::AppError> {
    req.app_data::<web::Data<Sessions>>()
        .cloned()
        .ok_or_else(|| crate::web::AppError::Unexpected(anyhow::anyhow!("no sessions")))
}

/// Who a request counts against before its session is read: the login a load of this
/// session found before, or else the session itself.
pub enum Holder {
    Login(i32),
    Session(u64),
}

/// `None` when the request has no session cookie, or its session is already loaded (then
/// the state says who acts).
pub fn holder_of(req: &ServiceRequest) -> Option<Holder> {
    let key = middleware::pending_key(req.request())?;
    let sessions = req.app_data::<web::Data<Sessions>>()?;
    Some(match sessions.known.person(&key) {
        Some(id) => Holder::Login(id),
        None => Holder::Session(known::digest(&key)),
    })
}

impl FromRequest for Session {
    type Error = crate::web::AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Session, crate::web::AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            ensure_loaded(&req).await?;
            Ok(req.get_session())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session(Rc::new(RefCell::new(Inner::default())))
    }

    #[test]
    fn a_purged_session_keeps_nothing_inserted_after_it() {
        let s = session();
        s.insert(LOGIN_ID, 7).unwrap();
        s.purge();
        s.insert(FLASH, "x").unwrap();
        assert_eq!(s.0.borrow().status, Status::Purged);
        assert!(s.0.borrow().state.is_empty());
        assert_eq!(s.remove(FLASH), None);
    }

    #[test]
    fn a_renewed_session_stays_renewed_when_it_changes_afterwards() {
        let s = session();
        s.renew();
        s.insert(LOGIN_ID, 7).unwrap();
        s.remove(FLASH);
        assert_eq!(s.0.borrow().status, Status::Renewed);
        assert_eq!(s.get::<i32>(LOGIN_ID).unwrap(), Some(7));
    }

    fn with_key(key: Option<&str>, secret: &actix_web::cookie::Key) -> Session {
        let s = session();
        s.0.borrow_mut().key = key.map(str::to_string);
        s.0.borrow_mut().cookie = Some(CookieSettings {
            name: "steward_session".into(),
            secure: false,
            key: secret.clone(),
        });
        s
    }

    #[test]
    fn the_csrf_token_belongs_to_the_session_key_and_the_panel_secret() {
        let secret = actix_web::cookie::Key::generate();
        let a = with_key(Some("key-a"), &secret);
        assert_eq!(a.csrf_token(), a.csrf_token(), "stable for one key");
        assert_eq!(
            a.csrf_token(),
            with_key(Some("key-a"), &secret).csrf_token(),
            "the same for every request of the session"
        );
        assert_ne!(
            a.csrf_token(),
            with_key(Some("key-b"), &secret).csrf_token()
        );
        let other_secret = actix_web::cookie::Key::generate();
        assert_ne!(
            a.csrf_token(),
            with_key(Some("key-a"), &other_secret).csrf_token()
        );
    }

    #[test]
    fn a_renewed_or_new_session_gets_the_token_of_the_key_it_will_be_stored_under() {
        let secret = actix_web::cookie::Key::generate();
        let s = with_key(Some("old-key"), &secret);
        let old = s.csrf_token();
        s.renew();
        let renewed = s.csrf_token();
        assert_ne!(
            old, renewed,
            "a login or a change of who acts is a new token"
        );
        let next =
            s.0.borrow()
                .next_key
                .clone()
                .expect("a key chosen at renewal");
        assert_eq!(renewed, with_key(Some(&next), &secret).csrf_token());

        let fresh = with_key(None, &secret);
        let token = fresh.csrf_token();
        let next = fresh
            .0
            .borrow()
            .next_key
            .clone()
            .expect("a key chosen for the token");
        assert_eq!(token, with_key(Some(&next), &secret).csrf_token());
    }

    #[test]
    fn a_value_that_does_not_read_is_given_back_as_stored() {
        let s = session();
        s.insert(FLASH, "text").unwrap();
        assert_eq!(s.remove_as::<i32>(FLASH), Some(Err("\"text\"".to_string())));
        assert_eq!(s.0.borrow().status, Status::Changed);
    }
}
