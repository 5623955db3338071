//! A secret that must survive one redirect (an API key shown after Post/Redirect/Get)
//! waits in the session sealed under a key only the browser holds: the session cookie's
//! value, of which the database keeps only a SHA-256. A reader of the sessions table sees
//! a random nonce and noise. The keystream is SHA-256 in counter mode over (label, cookie,
//! nonce, block); a fresh nonce per secret means no keystream is used twice. The opener
//! checks the result against the stored hash of the key, so a tampered value shows nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::token::random_urlsafe;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sealed {
    pub nonce: String,
    pub data: String,
}

fn keystream(cookie: &str, nonce: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block: u32 = 0;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(b"steward sealed secret v1\0");
        h.update(cookie.as_bytes());
        h.update([0]);
        h.update(nonce.as_bytes());
        h.update(block.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(len);
    out
}

/// Seals `secret` under `cookie`.
pub fn seal(cookie: &str, secret: &str) -> Sealed {
    let nonce = random_urlsafe(16);
    let stream = keystream(cookie, &nonce, secret.len());
    let data: Vec<u8> = secret.bytes().zip(stream).map(|(a, b)| a ^ b).collect();
    Sealed {
        nonce,
        data: URL_SAFE_NO_PAD.encode(data),
    }
}

/// Opens what `seal` made with the same cookie; a different cookie gives noise, which the
/// caller's hash check refuses.
pub fn open(cookie: &str, sealed: &Sealed) -> Option<String> {
    let data = URL_SAFE_NO_PAD.decode(&sealed.data).ok()?;
    let stream = keystream(cookie, &sealed.nonce, data.len());
    String::from_utf8(data.iter().zip(stream).map(|(a, b)| a ^ b).collect()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_cookie_only() {
        let secret = "stw_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        let s = seal("cookie-one", secret);
        assert!(!s.data.contains("abcdefgh"));
        assert_eq!(open("cookie-one", &s).as_deref(), Some(secret));
        assert_ne!(open("cookie-two", &s).as_deref(), Some(secret));
    }

    #[test]
    fn two_seals_of_one_secret_differ() {
        let a = seal("c", "stw_same");
        let b = seal("c", "stw_same");
        assert_ne!(a.data, b.data);
    }
}
