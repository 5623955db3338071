//! GET /users/{id}/logins: every login attempt on the account and its alias users: time,
//! login, address, user agent, success or the reason of failure (never the password).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{LogQuery, PER_PAGE};
use crate::access::activity::may_view_login_history;
use crate::models::login_attempt::{self, LoginAttempt};
use crate::models::user::User;
use crate::routes::users::tabs::{self, Tab};
use crate::web::chrome::Chrome;
use crate::web::pagination::Pager;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

#[derive(Template)]
#[template(path = "activity/logins.html")]
struct LoginsPage {
    chrome: Option<Chrome>,
    account: User,
    tabs: Vec<Tab>,
    active_tab: &'static str,
    attempts: Vec<LoginAttempt>,
    pager: Pager,
}

pub async fn page(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let _id = account.id;
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
        chrome: Some(current.chrome(if current.actor.account_id() == account.id {
            "account"
        } else {
            "users"
        })),
        tabs: tabs::for_account(&current.actor, &account),
        active_tab: "logins",
        account,
        attempts: page.rows,
        pager,
    })
}
