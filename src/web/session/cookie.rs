//! The session cookie: it carries only the random session key, signed with the panel's
//! secret so that a key cannot be made up or altered, HttpOnly, SameSite=Lax, for the
//! whole site, and without an expiry (it ends with the browser; the row's idle expiry
//! ends it sooner). The format is the one actix-session wrote, so sessions opened before
//! the panel kept its own survive an upgrade.
//!
//! Beside it, the flash cookie: the one message a change leaves for the next page ("Role
//! created."), encrypted and authenticated under the same secret and removed by the page
//! that shows it. Keeping it out of the session row means a change writes no session and
//! a page that shows the message writes nothing either.

use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::web::chrome::Flash;

/// A session key is 43 characters; anything much longer was not made by the panel.
const MAX_KEY_LEN: usize = 256;
/// A flash message longer than this is cut: a cookie holds about 4 KB, and a banner is
/// one sentence (it may quote a name the user typed).
const MAX_FLASH_CHARS: usize = 1000;

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

    /// Whether the request has a flash cookie, and its message when this panel sealed it.
    pub fn flash_of(&self, req: &ServiceRequest) -> (bool, Option<Flash>) {
        let name = self.flash_name();
        let Some(cookie) = req.cookie(&name) else {
            return (false, None);
        };
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let flash = jar
            .private(&self.key)
            .get(&name)
            .and_then(|opened| serde_json::from_str(opened.value()).ok());
        (true, flash)
    }

    /// Leaves `flash` for the next page the browser shows.
    pub fn set_flash(&self, headers: &mut HeaderMap, flash: &Flash) {
        let flash = Flash {
            kind: flash.kind.clone(),
            message: flash.message.chars().take(MAX_FLASH_CHARS).collect(),
        };
        let Ok(value) = serde_json::to_string(&flash) else {
            return;
        };
        let mut cookie = Cookie::new(self.flash_name(), value);
        self.shape(&mut cookie);
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(cookie);
        if let Some(sealed) = jar.delta().next() {
            append(headers, &sealed.encoded().to_string());
        }
    }

    /// Tells the browser its flash message has been shown.
    pub fn remove_flash(&self, headers: &mut HeaderMap) {
        let mut cookie = Cookie::new(self.flash_name(), "");
        self.shape(&mut cookie);
        cookie.make_removal();
        append(headers, &cookie.to_string());
    }

    /// The session cookie's name with `_flash`: a `__Host-` prefix carries over.
    fn flash_name(&self) -> String {
        format!("{}_flash", self.name)
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn settings(key: Key) -> CookieSettings {
        CookieSettings {
            name: "steward_session".into(),
            secure: false,
            key,
        }
    }

    /// The request a browser sends back with the flash cookie `ours` set.
    fn request_with_flash(ours: &CookieSettings, message: &str) -> ServiceRequest {
        let mut headers = HeaderMap::new();
        ours.set_flash(
            &mut headers,
            &Flash {
                kind: "success".into(),
                message: message.into(),
            },
        );
        let set = headers.get(SET_COOKIE).unwrap().to_str().unwrap();
        let cookie = Cookie::parse_encoded(set.to_string()).unwrap();
        assert_eq!(cookie.name(), "steward_session_flash");
        assert!(
            !set.contains(message),
            "the message is sealed, not readable"
        );
        TestRequest::default().cookie(cookie).to_srv_request()
    }

    #[test]
    fn a_flash_cookie_opens_only_under_the_secret_that_sealed_it() {
        let ours = settings(Key::generate());
        let req = request_with_flash(&ours, "Role Viewers created.");
        let (present, flash) = ours.flash_of(&req);
        assert!(present);
        assert_eq!(flash.unwrap().message, "Role Viewers created.");

        let (present, flash) = settings(Key::generate()).flash_of(&req);
        assert!(
            present,
            "a cookie that does not open is still there to remove"
        );
        assert!(flash.is_none());

        let forged = TestRequest::default()
            .cookie(Cookie::new(
                "steward_session_flash",
                r#"{"kind":"success","message":"x"}"#,
            ))
            .to_srv_request();
        assert!(ours.flash_of(&forged).1.is_none());
    }

    #[test]
    fn a_long_flash_message_is_cut_to_fit_a_cookie() {
        let ours = settings(Key::generate());
        let req = request_with_flash(&ours, &"é".repeat(5000));
        let message = ours.flash_of(&req).1.unwrap().message;
        assert_eq!(message.chars().count(), MAX_FLASH_CHARS);
    }
}
