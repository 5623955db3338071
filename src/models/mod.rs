//! Models: one file per table family, each owning its queries. They take `&mut DbConn`
//! and know nothing of HTTP or of who may do what (that is the `access` module's job).

pub mod alias;
pub mod api_key;
pub mod audit;
pub mod invitation;
pub mod login_attempt;
pub mod outbox;
pub mod passkey;
pub mod reach;
pub mod review;
pub mod role;
pub mod server;
pub mod server_ip;
pub mod server_job;
pub mod server_traffic;
pub mod session;
pub mod ssh_key;
pub mod throttle;
pub mod two_factor;
pub mod user;

use chrono::{NaiveDateTime, Utc};

/// The panel's clock: UTC without offset, as stored in both backends.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A page of rows and the total that matched, for pagination.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
    pub fn offset(page: i64, per_page: i64) -> i64 {
        (page.max(1) - 1) * per_page
    }
}

/// Escapes `%`, `_` and `\` in user input meant for a LIKE pattern.
pub fn like_pattern(q: &str, prefix_only: bool) -> String {
    let escaped: String = q
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}
