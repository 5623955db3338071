//! GET /audit: the audit log of the whole installation, for admins with admin.audit.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{pager, LogQuery, PER_PAGE};
use crate::access::activity::may_view_global_audit;
use crate::models::audit::{self, AuditFilter};
use crate::web::chrome::Chrome;
use crate::web::pagination::Pager;
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "activity/global.html")]
struct GlobalPage {
    chrome: Option<Chrome>,
    entries: Vec<super::labels::LogRow>,
    query: LogQuery,
    pager: Pager,
}

pub async fn page(visit: Visit, query: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = AuditFilter {
        account_id: None,
        login: query.login.clone(),
        action: query.action.clone(),
    };
    let page_no = query.page();
    let (current, page) = visit
        .read(move |c, actor| {
            if !may_view_global_audit(actor) {
                return Err(AppError::Forbidden);
            }
            Ok(audit::list(c, &filter, page_no, PER_PAGE)?)
        })
        .await?;
    let pager = pager("/audit", &query, page.page, page.pages(), page.total);
    render::page(&GlobalPage {
        chrome: Some(current.chrome("audit")),
        entries: super::labels::rows(page.rows, true),
        query,
        pager,
    })
}
