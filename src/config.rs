//! Configuration from the environment: database URL, bind address, and the
//! secret key that signs session cookies. With SQLite an unset key is generated once and
//! kept beside the database; with PostgreSQL it is required, so that every instance of a
//! cluster signs cookies the same way. The production settings (public URL,
//! trusted proxies, metrics address) are read here too, each with a safe default.

use std::path::{Path, PathBuf};

use actix_web::cookie::Key;
use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::db::{sqlite_path, Backend};
use crate::web::client_addr::TrustedProxies;

pub const DEFAULT_DATABASE_URL: &str = "data/steward.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub secret_key: Key,
    /// `STEWARD_PUBLIC_URL`: the address users reach. When it is https, the session
    /// cookie is `Secure` with the `__Host-` prefix and responses carry HSTS.
    pub public_url: Option<String>,
    /// `STEWARD_TRUSTED_PROXIES`: the peers allowed to name the client address.
    pub trusted_proxies: TrustedProxies,
    /// `STEWARD_METRICS_BIND`: where Prometheus scrapes `/metrics` (off when unset).
    pub metrics_bind: Option<String>,
    /// STEWARD_REQUIRE_2FA (none, staff or all; default none).
    pub require_two_factor: crate::access::two_factor::InstallPolicy,
    /// `STEWARD_SMTP_URL` (`smtp://127.0.0.1:25`, `smtps://user:pass@mail.example.com`):
    /// where mail is sent. Unset: each mail is written to the log instead.
    pub smtp_url: Option<String>,
    /// `STEWARD_MAIL_FROM`: the sender of every mail (default `DEFAULT_MAIL_FROM`).
    pub mail_from: String,
}

pub const DEFAULT_MAIL_FROM: &str = "Steward <steward@localhost>";

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("secret_key", &"<redacted>")
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_bind", &self.metrics_bind)
            .field("require_two_factor", &self.require_two_factor)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Hides a password in a database or SMTP URL for logs.
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
    /// Settings with the given essentials and every operations setting at its default
    /// (plain http, no trusted proxy, no metrics listener).
    pub fn new(database_url: String, bind: String, secret_key: Key) -> Settings {
        Settings {
            database_url,
            bind,
            secret_key,
            public_url: None,
            trusted_proxies: TrustedProxies::default(),
            metrics_bind: None,
            require_two_factor: Default::default(),
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_string(),
        }
    }

    /// Whether users reach the panel over https (`STEWARD_PUBLIC_URL` starts with https://).
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

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
        let mut settings = Settings::new(database_url, bind, secret_key);
        settings.public_url = non_empty_var("STEWARD_PUBLIC_URL");
        if let Some(url) = &settings.public_url {
            let lower = url.to_ascii_lowercase();
            if !lower.starts_with("https://") && !lower.starts_with("http://") {
                bail!("STEWARD_PUBLIC_URL must start with https:// or http:// (got {url})");
            }
        }
        if let Some(cidrs) = non_empty_var("STEWARD_TRUSTED_PROXIES") {
            settings.trusted_proxies = TrustedProxies::parse(&cidrs)
                .map_err(|e| anyhow::anyhow!("STEWARD_TRUSTED_PROXIES: {e}"))?;
        }
        settings.metrics_bind = non_empty_var("STEWARD_METRICS_BIND");
        if settings.metrics_bind.is_some() && settings.metrics_bind == Some(settings.bind.clone()) {
            bail!("STEWARD_METRICS_BIND must differ from STEWARD_BIND: metrics are never served on the panel's port");
        }
        let require = std::env::var("STEWARD_REQUIRE_2FA").unwrap_or_default();
        settings.require_two_factor = crate::access::two_factor::InstallPolicy::parse(&require)
            .with_context(|| {
                format!("STEWARD_REQUIRE_2FA must be none, staff or all (not {require:?})")
            })?;
        settings.smtp_url = non_empty_var("STEWARD_SMTP_URL");
        if let Some(from) = non_empty_var("STEWARD_MAIL_FROM") {
            settings.mail_from = from;
        }
        // Refuse a mistyped mail setting at start, not at the first invitation.
        crate::mail::transport::Transport::new(settings.smtp_url.as_deref(), &settings.mail_from)?;
        Ok(settings)
    }
}

/// The database URL alone, for commands that need nothing else (backup).
pub fn database_url_from_env() -> String {
    non_empty_var("STEWARD_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
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
