//! GET /users/{id}/access-review (filter, page): the review as a page, 50 alias users at
//! a time, the owner first.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{alias_filter, owner_passes, LoginView, Roles};
use crate::access::review::{is_risky, may_review_access, ReviewFilter};
use crate::db::{DbConn, DbError};
use crate::models::review;
use crate::models::user::User;
use crate::routes::users::tabs::AccountTab;
use crate::web::pagination::Pager;
use crate::web::{render, AppError, Visit};

pub const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    #[serde(default)]
    pub filter: String,
    #[serde(default)]
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "review/page.html")]
pub struct ReviewPage {
    pub frame: AccountTab,
    pub rows: Vec<LoginView>,
    pub filter: &'static str,
    pub pager: Pager,
}

crate::account_tab_page!(ReviewPage);

impl ReviewPage {
    fn risky(&self, p: &crate::access::Permission) -> bool {
        is_risky(p)
    }
}

pub async fn page(visit: Visit, query: web::Query<ReviewQuery>) -> Result<HttpResponse, AppError> {
    let filter = ReviewFilter::parse(&query.filter);
    let page_no = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let (current, account, (rows, total)) = visit
        .read_tab(may_review_access, move |c, _, account| {
            Ok(read(c, account, filter, page_no)?)
        })
        .await?;
    let base = format!("/users/{}/access-review", account.id);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut pager = Pager::new(&base, "", page_no, pages, total);
    if filter != ReviewFilter::All {
        for url in [&mut pager.prev_url, &mut pager.next_url]
            .into_iter()
            .flatten()
        {
            url.push_str("&filter=");
            url.push_str(filter.key());
        }
    }
    render::page(&ReviewPage {
        frame: AccountTab::new(&current, account, "access-review"),
        rows,
        filter: filter.key(),
        pager,
    })
}

/// One page of the review: the owner first (on page one, when it passes the filter),
/// then the alias users that pass it, and how many of those there are in all.
fn read(
    c: &mut DbConn,
    account: &User,
    filter: ReviewFilter,
    page_no: i64,
) -> Result<(Vec<LoginView>, i64), DbError> {
    let roles = Roles::load(c, account.id)?;
    let f = alias_filter(filter, account, &roles);
    let (aliases, total) = review::aliases_page(c, account.id, &f, page_no, PER_PAGE)?;
    let mut logins = Vec::with_capacity(aliases.len() + 1);
    if page_no == 1 && owner_passes(c, filter, account)? {
        logins.push(account.clone());
    }
    logins.extend(aliases);
    let ids: Vec<i32> = logins.iter().map(|l| l.id).collect();
    let mut facts = review::facts(c, &ids)?;
    let rows = logins
        .into_iter()
        .map(|l| LoginView::of(account, &roles, l, &mut facts))
        .collect();
    Ok((rows, total))
}
