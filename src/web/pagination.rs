//! Page links for lists: "page N of M" with previous/next URLs that keep the search.

use serde::Deserialize;

/// The `q` and `page` query parameters every list takes.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "crate::domain::search::text")]
    pub q: String,
    #[serde(default)]
    pub page: Option<String>,
    /// `add=1` opens the page's add dialog (the no-script path of the **+** button).
    #[serde(default)]
    pub add: Option<String>,
}

impl ListQuery {
    /// The page number; anything that is not a positive number is page 1.
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|p| *p >= 1 && *p <= 1_000_000)
            .unwrap_or(1)
    }
}

#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// None for a search that was not counted (see `open_ended`).
    pub total: Option<i64>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pager {
    pub fn new(base: &str, q: &str, page: i64, pages: i64, total: i64) -> Pager {
        let url = |p: i64| {
            let mut s = format!("{base}?page={p}");
            if !q.trim().is_empty() {
                s.push_str("&q=");
                s.push_str(&encode(q.trim()));
            }
            s
        };
        Pager {
            page,
            pages,
            total: Some(total),
            prev_url: (page > 1).then(|| url(page - 1)),
            next_url: (page < pages).then(|| url(page + 1)),
        }
    }

    /// Links for a search that was not counted: a next page exists when the query found
    /// one row more than the page holds. Counting every match of a substring search costs
    /// a scan of the tenant's rows; this costs the page.
    pub fn open_ended(base: &str, q: &str, page: i64, has_more: bool) -> Pager {
        let mut pager = Pager::new(base, q, page, page + i64::from(has_more), 0);
        pager.total = None;
        pager
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
