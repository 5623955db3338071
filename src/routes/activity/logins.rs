//! GET /users/{id}/logins: every login attempt on the account and its alias users: time,
//! login, address, user agent, success or the reason of failure (never the password).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{LogQuery, PER_PAGE};
use crate::access::activity::may_view_login_history;
use crate::models::login_attempt::{self, LoginAttempt};
use crate::routes::users::tabs::AccountTab;
use crate::web::pagination::Pager;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

#[derive(Template)]
#[template(path = "activity/logins.html")]
struct LoginsPage {
    pub frame: AccountTab,
    attempts: Vec<LoginAttempt>,
    pager: Pager,
}

crate::account_tab_page!(LoginsPage);

pub async fn page(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    if !may_view_login_history(&current.actor, &account) {
        return Err(AppError::Forbidden);
    }
    let (account_id, page_no) = (account.id, query.page());
    let page = state
        .db(move |c| {
            Ok(login_attempt::for_account(
                c, account_id, page_no, PER_PAGE,
            )?)
        })
        .await?;
    let pager = Pager::new(
        &format!("/users/{account_id}/logins"),
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
