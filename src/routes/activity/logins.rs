//! GET /users/{id}/logins: every login attempt on the account and its alias users: time,
//! login, address, user agent, success or the reason of failure (never the password).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{LogQuery, PER_PAGE};
use crate::access::activity::may_view_login_history;
use crate::models::login_attempt::{self, LoginAttempt};
use crate::routes::users::tabs::AccountTab;
use crate::web::pagination::Pager;
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "activity/logins.html")]
struct LoginsPage {
    pub frame: AccountTab,
    attempts: Vec<LoginAttempt>,
    pager: Pager,
}

crate::account_tab_page!(LoginsPage);

pub async fn page(visit: Visit, query: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let page_no = query.page();
    let (current, account, page) = visit
        .read_tab(may_view_login_history, move |c, _, account| {
            Ok(login_attempt::for_account(
                c, account.id, page_no, PER_PAGE,
            )?)
        })
        .await?;
    let pager = Pager::new(
        &format!("/users/{}/logins", account.id),
        "",
        page.page,
        page.pages(),
        page.total,
    );
    render::page(&LoginsPage {
        frame: AccountTab::new(&current, account, "logins"),
        attempts: page.rows,
        pager,
    })
}
