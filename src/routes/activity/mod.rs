//! The account's Activity tab (its audit log), its Login History tab, and the global audit
//! log for admins with admin.audit.

mod account;
mod global;
pub mod labels;
mod logins;

use serde::Deserialize;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users/{id}/activity", account::page)
        .reads::<LogQuery>()
        .get("/users/{id}/logins", logins::page)
        .reads::<LogQuery>()
        .get("/audit", global::page)
        .reads::<LogQuery>();
}

pub const PER_PAGE: i64 = 50;

/// The filters the log pages take.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default, deserialize_with = "crate::domain::search::text")]
    pub login: String,
    #[serde(default, deserialize_with = "crate::domain::search::text")]
    pub action: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl LogQuery {
    pub fn page(&self) -> i64 {
        crate::web::pagination::ListQuery {
            q: String::new(),
            page: self.page.clone(),
            add: None,
        }
        .page()
    }

    /// The filters as a query string, for page links.
    pub fn filters(&self) -> String {
        serde_urlencoded::to_string([("login", self.login.trim()), ("action", self.action.trim())])
            .unwrap_or_default()
    }
}

/// Page links that keep the filters.
pub fn pager(
    base: &str,
    q: &LogQuery,
    page: i64,
    pages: i64,
    total: i64,
) -> crate::web::pagination::Pager {
    let url = |p: i64| format!("{base}?page={p}&{}", q.filters());
    crate::web::pagination::Pager {
        page,
        pages,
        total: Some(total),
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
    }
}
