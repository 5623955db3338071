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
    /// Page `page` (counted from 1; anything lower is page 1) holding `rows`, of `total`.
    pub fn new(rows: Vec<T>, total: i64, page: i64, per_page: i64) -> Page<T> {
        Page {
            rows,
            total,
            page: page.max(1),
            per_page,
        }
    }

    /// The same page with each row turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    /// The rows before page `page` (counted from 1; anything lower is page 1).
    pub fn offset(page: i64, per_page: i64) -> i64 {
        (page.max(1) - 1).saturating_mul(per_page)
    }
}

/// `.nth_page(page, per_page)`: the `LIMIT` and `OFFSET` of one page of any query, the
/// one place that turns a page number into rows to skip.
pub trait NthPage: Sized {
    type Output;
    fn nth_page(self, page: i64, per_page: i64) -> Self::Output;
}

impl<Q> NthPage for Q
where
    Q: diesel::query_dsl::methods::LimitDsl,
    <Q as diesel::query_dsl::methods::LimitDsl>::Output: diesel::query_dsl::methods::OffsetDsl,
{
    type Output = <<Q as diesel::query_dsl::methods::LimitDsl>::Output as diesel::query_dsl::methods::OffsetDsl>::Output;

    fn nth_page(self, page: i64, per_page: i64) -> Self::Output {
        use diesel::query_dsl::methods::{LimitDsl, OffsetDsl};
        OffsetDsl::offset(
            LimitDsl::limit(self, per_page),
            Page::<()>::offset(page, per_page),
        )
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

#[cfg(test)]
mod page_tests {
    use super::Page;

    #[test]
    fn a_page_number_below_one_is_the_first_page_and_a_huge_one_does_not_overflow() {
        assert_eq!(Page::<()>::offset(0, 20), 0);
        assert_eq!(Page::<()>::offset(-5, 20), 0);
        assert_eq!(Page::<()>::offset(3, 20), 40);
        assert_eq!(Page::<()>::offset(i64::MAX, 20), i64::MAX);
        let p = Page::new(vec![1, 2], 41, 0, 20);
        assert_eq!((p.page, p.pages()), (1, 3));
        assert_eq!(p.map(|n| n * 10).rows, vec![10, 20]);
    }
}
