//! CSRF protection for visitors without a session (the login form), kept in no table: a
//! short-lived cookie holds a random nonce and its issue time, and the form carries the
//! HMAC-SHA256 of that cookie under the app's secret key. A forged cross-site POST has
//! neither the cookie's value (HttpOnly, SameSite) nor the key to compute the token, and
//! no database row exists for a visitor until a login succeeds. Logged-in sessions keep
//! their synchronizer token in the session (web::current).

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, Key, SameSite};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::security::token::{constant_time_eq, random_urlsafe};

pub const COOKIE: &str = "steward_login_csrf";
/// A login form stays usable this long after it was first shown.
const LIFETIME_SECS: i64 = 2 * 3600;
/// A cookie older than this is replaced when the form is shown again.
const RENEW_AFTER_SECS: i64 = 3600;

#[derive(Clone)]
pub struct LoginCsrf {
    key: Vec<u8>,
    /// Whether the cookie is marked Secure (an https public URL), like the session cookie.
    secure: bool,
}

impl LoginCsrf {
    pub fn new(secret: &Key) -> LoginCsrf {
        LoginCsrf {
            key: secret.signing().to_vec(),
            secure: false,
        }
    }

    /// The same, with its cookie sent only over https.
    pub fn secure(self, secure: bool) -> LoginCsrf {
        LoginCsrf { secure, ..self }
    }

    /// The form token bound to a cookie value.
    fn token_for(&self, cookie: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(b"steward login csrf|");
        mac.update(cookie.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token for the form, and the cookie to set when the request has no fresh one.
    pub fn issue(&self, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
        let now = chrono::Utc::now().timestamp();
        if let Some(c) = req.cookie(COOKIE) {
            if issued_at(c.value()).is_some_and(|t| t <= now && now - t < RENEW_AFTER_SECS) {
                return (self.token_for(c.value()), None);
            }
        }
        let value = format!("{now}.{}", random_urlsafe(16));
        let cookie = Cookie::build(COOKIE, value.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(CookieDuration::seconds(LIFETIME_SECS))
            .finish();
        (self.token_for(&value), Some(cookie))
    }

    /// Whether `sent` is the token of the request's login cookie, and that cookie is fresh.
    pub fn verify(&self, cookie: Option<&str>, sent: &str) -> bool {
        let Some(cookie) = cookie else { return false };
        let now = chrono::Utc::now().timestamp();
        let fresh = issued_at(cookie).is_some_and(|t| t <= now + 60 && now - t < LIFETIME_SECS);
        fresh && constant_time_eq(&self.token_for(cookie), sent)
    }
}

fn issued_at(value: &str) -> Option<i64> {
    value.split_once('.')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_its_own_fresh_cookie_and_key() {
        let csrf = LoginCsrf::new(&Key::generate());
        let now = chrono::Utc::now().timestamp();
        let cookie = format!("{now}.abc");
        let token = csrf.token_for(&cookie);
        assert!(csrf.verify(Some(&cookie), &token));
        assert!(!csrf.verify(Some(&format!("{now}.abd")), &token));
        assert!(!csrf.verify(None, &token));
        assert!(!LoginCsrf::new(&Key::generate()).verify(Some(&cookie), &token));
        let stale = format!("{}.abc", now - LIFETIME_SECS - 1);
        assert!(!csrf.verify(Some(&stale), &csrf.token_for(&stale)));
    }
}
