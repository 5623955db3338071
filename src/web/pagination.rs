//! Page links for lists: "page N of M" with previous/next URLs that keep the search.

use serde::Deserialize;

/// The `q` and `page` query parameters every list takes.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
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
    pub total: i64,
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
            total,
            prev_url: (page > 1).then(|| url(page - 1)),
            next_url: (page < pages).then(|| url(page + 1)),
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
