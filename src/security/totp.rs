//! TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of skew either way) and
//! recovery codes. A TOTP secret rests in the database sealed under a key derived from
//! STEWARD_SECRET_KEY, so a reader of the table alone learns nothing; a recovery code
//! rests only as its SHA-256. Which step a code matched is answered, so the caller can
//! refuse a code that was used once (`models::two_factor::accept_step`).

use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::sealed::{self, Sealed};
use super::token::sha256_hex;

pub const ISSUER: &str = "Steward";
/// How many recovery codes a set holds.
pub const RECOVERY_CODES: usize = 10;

/// A fresh 160-bit secret, as base32 (what the set-up page shows).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    // The label may not hold a colon; usernames never do, but be safe.
    let account: String = account.chars().filter(|c| *c != ':').collect();
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// Whether `s` is a base32 TOTP secret.
pub fn is_secret(s: &str) -> bool {
    Secret::try_from_base32(s).is_ok()
}

/// The otpauth:// URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account)?.to_url().ok()
}

/// The time step `code` matches now (±1 step), if any.
pub fn matching_step(secret_b32: &str, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "")?;
    t.check_current(&code).map(|s| s as i64)
}

/// Whether `code` has the shape of a TOTP code (six digits, spaces allowed).
pub fn looks_like_totp(code: &str) -> bool {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())
}

/// The QR code of `data` as an SVG element (no XML prolog), dark on light.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Some(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

fn at_rest_key(server_key: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"steward totp at rest v1\0");
    h.update(server_key);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals a TOTP secret for the database.
pub fn seal_secret(server_key: &[u8], secret_b32: &str) -> String {
    let s = sealed::seal(&at_rest_key(server_key), secret_b32);
    format!("{}.{}", s.nonce, s.data)
}

/// Opens what `seal_secret` made; None when it is not a base32 secret (a wrong key).
pub fn open_secret(server_key: &[u8], stored: &str) -> Option<String> {
    let (nonce, data) = stored.split_once('.')?;
    let s = Sealed {
        nonce: nonce.to_string(),
        data: data.to_string(),
    };
    let secret = sealed::open(&at_rest_key(server_key), &s)?;
    Secret::try_from_base32(&secret).ok().map(|_| secret)
}

/// Ten new recovery codes, as shown once (`xxxxx-xxxxx`, lowercase letters and digits
/// without look-alikes).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    s.push('-');
                }
                let n = (rng.next_u32() as usize) % ALPHABET.len();
                s.push(ALPHABET[n] as char);
            }
            s
        })
        .collect()
}

/// The stored form of a recovery code: case, spaces and dashes do not matter.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(&format!("steward recovery code v1:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_of_the_current_step_matches_and_others_do_not() {
        let secret = new_secret();
        let t = totp(&secret, "alice").unwrap();
        let code = t.generate_current().to_string();
        assert!(matching_step(&secret, &code).is_some());
        let wrong = if code == "000000" { "111111" } else { "000000" };
        // A wrong code could match by chance only one time in a million per step.
        assert!(
            matching_step(&secret, wrong).is_none() || t.generate_current().to_string() == wrong
        );
        assert!(matching_step(&secret, "12345").is_none());
        assert!(matching_step(&secret, "abcdef").is_none());
    }

    #[test]
    fn a_sealed_secret_opens_with_the_server_key_only() {
        let secret = new_secret();
        let stored = seal_secret(b"key one", &secret);
        assert!(!stored.contains(&secret));
        assert_eq!(
            open_secret(b"key one", &stored).as_deref(),
            Some(secret.as_str())
        );
        assert_eq!(open_secret(b"key two", &stored), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_their_hash_ignores_case_and_dashes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        let c = &codes[0];
        assert_eq!(
            recovery_code_hash(c),
            recovery_code_hash(&c.to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_qr_code_is_an_svg() {
        let uri = otpauth_uri(&new_secret(), "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/Steward:alice?"), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"));
    }
}
