//! The session cookie: it carries only the random session key, signed with the panel's
//! secret so that a key cannot be made up or altered, HttpOnly, SameSite=Lax, for the
//! whole site, and without an expiry (it ends with the browser; the row's idle expiry
//! ends it sooner). The format is the one actix-session wrote, so sessions opened before
//! the panel kept its own survive an upgrade.

use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A session key is 43 characters; anything much longer was not made by the panel.
const MAX_KEY_LEN: usize = 256;

#[derive(Clone)]
pub struct CookieSettings {
    pub name: String,
    /// Always `Secure` (an https public URL); otherwise `secure_cookie_over_https` adds
    /// it per request.
    pub secure: bool,
    pub key: Key,
}

impl CookieSettings {
    /// The session key the request's cookie carries, when its signature holds.
    pub fn key_of(&self, req: &ServiceRequest) -> Option<String> {
        let cookie = req.cookie(&self.name)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let verified = jar.signed(&self.key).get(&self.name);
        if verified.is_none() {
            log::warn!("a session cookie failed its signature check; it is ignored");
        }
        let value = verified?.value().to_string();
        (!value.is_empty() && value.len() <= MAX_KEY_LEN).then_some(value)
    }

    /// The CSRF token of the session with `session_key`: its HMAC-SHA256 under the panel's
    /// secret. It needs no table, so the CSRF guard checks a form before anything reads
    /// the session; a new key (a login, a change of who acts) is a new token.
    pub fn csrf_token(&self, session_key: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.key.signing()).expect("HMAC takes any key");
        mac.update(b"steward session csrf|");
        mac.update(session_key.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Hands the browser the cookie for `session_key`.
    pub fn set(&self, headers: &mut HeaderMap, session_key: String) {
        let mut cookie = Cookie::new(self.name.clone(), session_key);
        self.shape(&mut cookie);
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.key).add(cookie);
        if let Some(signed) = jar.delta().next() {
            append(headers, &signed.encoded().to_string());
        }
    }

    /// Tells the browser to forget the cookie.
    pub fn remove(&self, headers: &mut HeaderMap) {
        let mut cookie = Cookie::new(self.name.clone(), "");
        self.shape(&mut cookie);
        cookie.make_removal();
        append(headers, &cookie.to_string());
    }

    fn shape(&self, cookie: &mut Cookie<'static>) {
        cookie.set_secure(self.secure);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
    }
}

// The signing key is never printed.
impl std::fmt::Debug for CookieSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieSettings")
    }
}
fn append(headers: &mut HeaderMap, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(v) => headers.append(SET_COOKIE, v),
        // Name and value are ours and URL-safe; this cannot happen, but a page is better
        // than a panic if it ever did.
        Err(e) => log::error!("the session cookie could not be written: {e}"),
    }
}
