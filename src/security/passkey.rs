//! Passkeys (WebAuthn) with webauthn-rs: the relying party the panel is, and the two
//! ceremonies (registering a credential, asserting with one), each a start that answers
//! the options the browser passes to `navigator.credentials` and a finish that checks what
//! the browser sends back against the state the start kept. The relying party id and
//! origin come from STEWARD_PUBLIC_URL; without it, from the port the panel listens on,
//! as `http://localhost:<port>` (an IP address is not a valid relying party id, and browsers
//! treat localhost as a secure context). Passkeys here are a *second* factor: the password
//! came first, and user verification (PIN or biometrics) is required all the same.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

pub const RP_NAME: &str = "Steward";

/// The panel as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
    /// The origin browsers must report (`scheme://host[:port]`).
    pub origin: String,
    /// The relying party id (the host name).
    pub id: String,
    /// Derives the opaque user handles (never the login id itself).
    handle_key: Vec<u8>,
}

/// The address passkeys are bound to: STEWARD_PUBLIC_URL, else `http://localhost:<port>`
/// with the port the panel listens on (8080 with the default bind).
pub fn public_origin(public_url: Option<&str>, port: u16) -> String {
    match public_url {
        Some(u) => u.trim().to_string(),
        None => format!("http://localhost:{port}"),
    }
}

impl RelyingParty {
    /// The relying party for `url` (see `public_origin`). Refused, with the reason, when
    /// its host is an IP address or missing: passkeys then stay off, and the Security page
    /// says why.
    pub fn new(url: &str, handle_key: &[u8]) -> Result<RelyingParty, String> {
        let parsed = Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
        let Some(host) = parsed.domain().map(str::to_string) else {
            return Err(format!(
                "{url} names no domain (an IP address is not a valid WebAuthn relying party id): set STEWARD_PUBLIC_URL to the name users reach the panel by"
            ));
        };
        let origin = parsed.origin().ascii_serialization();
        let origin_url = Url::parse(&origin).map_err(|e| format!("{origin}: {e}"))?;
        let webauthn = WebauthnBuilder::new(&host, &origin_url)
            .and_then(|b| b.rp_name(RP_NAME).build())
            .map_err(|e| format!("WebAuthn relying party for {origin}: {e}"))?;
        Ok(RelyingParty {
            webauthn,
            origin,
            id: host,
            handle_key: handle_key.to_vec(),
        })
    }

    /// The user handle of a login: stable, opaque (an HMAC of its id under the server's
    /// key), so an authenticator learns nothing about the panel's ids.
    fn user_handle(&self, login_id: i32) -> Uuid {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.handle_key)
            .expect("HMAC takes a key of any length");
        mac.update(b"steward webauthn user handle ");
        mac.update(&login_id.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::from_bytes(bytes)
    }

    /// Starts registering a passkey for a login that holds `existing` (which the browser is
    /// told not to register again).
    pub fn start_registration(
        &self,
        login_id: i32,
        username: &str,
        display_name: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), String> {
        let exclude: Vec<_> = existing.iter().map(|p| p.cred_id().clone()).collect();
        self.webauthn
            .start_passkey_registration(
                self.user_handle(login_id),
                username,
                display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| e.to_string())
    }

    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, String> {
        self.webauthn
            .finish_passkey_registration(credential, state)
            .map_err(|e| e.to_string())
    }

    /// Starts an assertion with any of the login's passkeys.
    pub fn start_authentication(
        &self,
        keys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, PasskeyAuthentication), String> {
        self.webauthn
            .start_passkey_authentication(keys)
            .map_err(|e| e.to_string())
    }

    /// Checks an assertion; on success answers the credential that made it with its
    /// record brought up to date (signature counter), to store.
    pub fn finish_authentication(
        &self,
        keys: &[Passkey],
        assertion: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<Passkey, String> {
        let result = self
            .webauthn
            .finish_passkey_authentication(assertion, state)
            .map_err(|e| e.to_string())?;
        let mut key = keys
            .iter()
            .find(|k| k.cred_id() == result.cred_id())
            .cloned()
            .ok_or_else(|| "the credential is not one of this login's".to_string())?;
        key.update_credential(&result);
        Ok(key)
    }
}

/// The text form of a credential id (base64url), as stored.
pub fn credential_id(key: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(key.cred_id())
}

/// The stored form of a passkey.
pub fn to_text(key: &Passkey) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

/// A stored passkey read back (None if the record is damaged; it is then skipped).
pub fn from_text(text: &str) -> Option<Passkey> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_defaults_to_localhost_on_the_bind_port() {
        assert_eq!(public_origin(None, 8080), "http://localhost:8080");
        assert_eq!(
            public_origin(Some("https://panel.example.com"), 8080),
            "https://panel.example.com"
        );
    }

    #[test]
    fn a_domain_is_a_relying_party_and_an_ip_address_is_not() {
        let rp = RelyingParty::new("https://panel.example.com/some/path", b"k").unwrap();
        assert_eq!(rp.id, "panel.example.com");
        assert_eq!(rp.origin, "https://panel.example.com");
        let local = RelyingParty::new("http://localhost:8080", b"k").unwrap();
        assert_eq!(local.origin, "http://localhost:8080");
        assert!(RelyingParty::new("http://127.0.0.1:8080", b"k").is_err());
    }

    #[test]
    fn user_handles_are_stable_and_differ_between_logins() {
        let rp = RelyingParty::new("http://localhost:8080", b"key").unwrap();
        assert_eq!(rp.user_handle(1), rp.user_handle(1));
        assert_ne!(rp.user_handle(1), rp.user_handle(2));
    }
}
