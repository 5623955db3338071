//! GET /users/{id}/activity: the account's audit log, newest first, filtered by login and
//! action. An alias user with activity.view sees the entries but not other logins' IPs.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{pager, LogQuery, PER_PAGE};
use crate::access::activity::{may_view_activity, IpVisibility};
use crate::models::audit::{self, AuditFilter};
use crate::routes::users::tabs::AccountTab;
use crate::web::pagination::Pager;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

#[derive(Template)]
#[template(path = "activity/account.html")]
struct ActivityPage {
    pub frame: AccountTab,
    entries: Vec<super::labels::LogRow>,
    query: LogQuery,
    pager: Pager,
}

crate::account_tab_page!(ActivityPage);

pub async fn page(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let ips = may_view_activity(&current.actor, &account).ok_or(AppError::Forbidden)?;
    let query = query.into_inner();
    let filter = AuditFilter {
        account_id: Some(account.id),
        login: query.login.clone(),
        action: query.action.clone(),
    };
    let page_no = query.page();
    let mut page = state
        .db(move |c| Ok(audit::list(c, &filter, page_no, PER_PAGE)?))
        .await?;
    if ips == IpVisibility::OwnOnly {
        let me = current.actor.login.id;
        for e in page
            .rows
            .iter_mut()
            .filter(|e| e.actor_id != Some(me) || e.impersonator_id.is_some())
        {
            e.ip = String::new();
            e.user_agent = String::new();
        }
    }
    let pager = pager(
        &format!("/users/{}/activity", account.id),
        &query,
        page.page,
        page.pages(),
        page.total,
    );
    render::page(&ActivityPage {
        frame: AccountTab::new(&current, account, "activity"),
        entries: super::labels::rows(page.rows, false),
        query,
        pager,
    })
}
