//! API key secrets: `stw_` followed by 43 random URL-safe characters (32 bytes). The
//! prefix lets secret scanners spot a leaked key; only the SHA-256 of the whole secret is
//! stored, plus a short visible prefix so owners can tell their keys apart. The secret
//! type has no `Clone`, `Display` or `Serialize`, and its `Debug` is redacted, so it cannot
//! end up in a log line or a session by accident.

use super::token::{random_urlsafe, sha256_hex};

/// What every key starts with.
pub const PREFIX: &str = "stw_";
/// How many random characters the visible prefix shows after `stw_`.
const VISIBLE: usize = 8;
/// Fewest random characters a well-formed key has: 32 (192 bits), too many to guess.
const MIN_RANDOM: usize = 32;
/// More than any key we issue; longer bearer values are refused without a lookup.
const MAX_RANDOM: usize = 128;

pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// A new random key.
    pub fn generate() -> ApiKeySecret {
        ApiKeySecret(format!("{PREFIX}{}", random_urlsafe(32)))
    }

    /// A bearer value that has the shape of a key, or None (checked before any lookup).
    pub fn from_bearer(raw: &str) -> Option<ApiKeySecret> {
        let rest = raw.strip_prefix(PREFIX)?;
        let well_formed = (MIN_RANDOM..=MAX_RANDOM).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| ApiKeySecret(raw.to_string()))
    }

    /// The secret itself: only for the one page that shows it after creation.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores in place of the secret.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }

    /// `stw_` and the first few random characters: enough to recognise a key, far too
    /// little to guess it.
    pub fn visible_prefix(&self) -> String {
        self.0.chars().take(PREFIX.len() + VISIBLE).collect()
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…redacted)", self.visible_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_scannable_prefix_and_enough_randomness() {
        let k = ApiKeySecret::generate();
        assert!(k.expose().starts_with("stw_"));
        assert_eq!(k.expose().len(), 4 + 43);
        assert_eq!(k.visible_prefix().len(), 12);
        assert_eq!(k.hash().len(), 64);
        assert_ne!(k.expose(), ApiKeySecret::generate().expose());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = ApiKeySecret::generate();
        let shown = format!("{k:?}");
        assert!(!shown.contains(k.expose()));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn only_well_formed_bearer_values_are_looked_up() {
        let k = ApiKeySecret::generate();
        assert!(ApiKeySecret::from_bearer(k.expose()).is_some());
        assert!(ApiKeySecret::from_bearer("stw_short").is_none());
        assert!(ApiKeySecret::from_bearer(&format!("xyz_{}", "a".repeat(40))).is_none());
        assert!(ApiKeySecret::from_bearer(&format!("stw_{}!", "a".repeat(40))).is_none());
        assert!(ApiKeySecret::from_bearer(&format!("stw_{}", "a".repeat(200))).is_none());
    }
}
