//! Configuration from the environment (SPEC §5): database URL, bind address, and the
//! secret key that signs session cookies. With SQLite an unset key is generated once and
//! kept beside the database; with PostgreSQL it is required, so that every instance of a
//! cluster signs cookies the same way.

use std::path::{Path, PathBuf};

use actix_web::cookie::Key;
use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::db::{sqlite_path, Backend};

pub const DEFAULT_DATABASE_URL: &str = "data/steward.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub secret_key: Key,
    /// STEWARD_REQUIRE_2FA (none, staff or all; default none).
    pub require_two_factor: crate::access::two_factor::InstallPolicy,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("secret_key", &"<redacted>")
            .field("require_two_factor", &self.require_two_factor)
            .finish()
    }
}

/// Hides a password in a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let database_url = std::env::var("STEWARD_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let bind = std::env::var("STEWARD_BIND").unwrap_or_else(|_| DEFAULT_BIND.to_string());
        let secret = std::env::var("STEWARD_SECRET_KEY")
            .ok()
            .filter(|s| !s.trim().is_empty());
        let secret_key = match (secret, Backend::of_url(&database_url)) {
            (Some(s), _) => decode_key(&s)?,
            (None, Backend::Sqlite) => key_beside_database(Path::new(sqlite_path(&database_url)))?,
            (None, Backend::Postgres) => bail!(
                "STEWARD_SECRET_KEY is required with PostgreSQL (the same on every instance); \
                 create one with: openssl rand -base64 64"
            ),
        };
        let require = std::env::var("STEWARD_REQUIRE_2FA").unwrap_or_default();
        let require_two_factor = crate::access::two_factor::InstallPolicy::parse(&require)
            .with_context(|| {
                format!("STEWARD_REQUIRE_2FA must be none, staff or all (not {require:?})")
            })?;
        Ok(Settings {
            database_url,
            bind,
            secret_key,
            require_two_factor,
        })
    }
}

fn decode_key(b64: &str) -> anyhow::Result<Key> {
    let bytes = STANDARD
        .decode(b64.split_whitespace().collect::<String>())
        .context(
            "STEWARD_SECRET_KEY is not valid base64 (create one with: openssl rand -base64 64)",
        )?;
    if bytes.len() < 64 {
        bail!("STEWARD_SECRET_KEY must hold at least 64 bytes (openssl rand -base64 64)");
    }
    Ok(Key::from(&bytes))
}

/// The key file kept next to an SQLite database, created on first use (mode 0600).
fn key_beside_database(db: &Path) -> anyhow::Result<Key> {
    let path: PathBuf = db.with_extension("secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return decode_key(existing.trim());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let encoded = STANDARD.encode(Key::generate().master());
    write_private(&path, &encoded).with_context(|| format!("writing {}", path.display()))?;
    decode_key(&encoded)
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_malformed_secret_keys_are_refused() {
        assert!(decode_key("not base64!").is_err());
        assert!(decode_key(&STANDARD.encode([1u8; 32])).is_err());
        assert!(decode_key(&STANDARD.encode([1u8; 64])).is_ok());
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("data/steward.db"), "data/steward.db");
    }
}
