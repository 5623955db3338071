//! GET /users/{id}/activity: the account's audit log, newest first, filtered by login and
//! action. An alias user with activity.view sees the entries but not other logins' IPs.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{pager, LogQuery, PER_PAGE};
use crate::access::activity::{may_view_activity, IpVisibility};
use crate::models::audit::{self, AuditFilter};
use crate::routes::users::tabs::AccountTab;
use crate::web::pagination::Pager;
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "activity/account.html")]
struct ActivityPage {
    pub frame: AccountTab,
    entries: Vec<super::labels::LogRow>,
    query: LogQuery,
    pager: Pager,
}

crate::account_tab_page!(ActivityPage);

pub async fn page(visit: Visit, query: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (login, action, page_no) = (query.login.clone(), query.action.clone(), query.page());
    let (current, (account, ips, mut page)) = visit
        .read_account(move |c, actor, account| {
            let ips = may_view_activity(actor, &account).ok_or(AppError::Forbidden)?;
            let filter = AuditFilter {
                account_id: Some(account.id),
                login,
                action,
            };
            let page = audit::list(c, &filter, page_no, PER_PAGE)?;
            Ok((account, ips, page))
        })
        .await?;
    if ips == IpVisibility::OwnOnly {
        let me = current.actor.login.id;
        for e in page.rows.iter_mut().map(|row| &mut row.written) {
            if !e.by_login_itself(me) {
                e.ip = String::new();
                e.user_agent = String::new();
            }
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
