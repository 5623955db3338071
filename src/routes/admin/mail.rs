//! GET /admin/mail: the mail queue of the installation, newest first: what is queued (and
//! when it is next tried), what was sent, what failed and why, with the count in each
//! state. Never a body: invitation links are secrets. POST /admin/mail/{id}/retry puts a
//! failed mail back in the queue with fresh attempts, audited, in one hand-off. For admins and their alias
//! users holding admin.users (access/mail.rs).

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::access::mail::may_manage_mail_queue;
use crate::models::outbox::{self, Counts, OutboxRow};
use crate::web::account::parse_id;
use crate::web::chrome::Chrome;
use crate::web::current::audit_entry;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    chrome: Option<Chrome>,
    mails: Vec<OutboxRow>,
    counts: Counts,
    pager: Pager,
    max_attempts: i32,
    keep_days: i64,
}

pub async fn page(visit: Visit, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let page = query.page();
    let (current, (mails, counts)) = visit
        .read(move |c, actor| {
            if !may_manage_mail_queue(actor) {
                return Err(AppError::Forbidden);
            }
            let mails = outbox::list(c, None, page)?;
            Ok((mails, outbox::counts(c)?))
        })
        .await?;
    let total = counts.queued + counts.sent + counts.failed;
    let pages = (total.max(0) as u64).div_ceil(outbox::PAGE_SIZE as u64) as i64;
    render::page(&MailPage {
        chrome: Some(current.chrome("audit")),
        mails,
        counts,
        pager: Pager::new("/admin/mail", "", page, pages.max(1), total),
        max_attempts: outbox::MAX_ATTEMPTS,
        keep_days: crate::jobs::purge::MAIL_DAYS,
    })
}

/// POST: one hand-off and one transaction (`Visit::change`): the session, the right to
/// manage the queue, the mail and its audit row.
pub async fn retry(visit: Visit) -> Result<HttpResponse, AppError> {
    let raw = visit.param("id");
    let client = visit.client();
    let (current, (id, queued)) = visit
        .change(move |c, actor| {
            if !may_manage_mail_queue(actor) {
                return Err(AppError::Forbidden);
            }
            let id = parse_id(&raw)?;
            let Some(mail) = outbox::find_row(c, id)? else {
                return Ok((id, None));
            };
            if !outbox::retry_failed(c, id, crate::models::now())? {
                return Ok((id, Some(None)));
            }
            audit_entry(actor, &client, actor.account_id(), "mail.retry")
                .target(format!("mail {id}"))
                .details(format!("to {}; {}", mail.recipient, mail.subject))
                .insert(c)?;
            Ok((id, Some(Some(mail.recipient))))
        })
        .await?;
    match queued {
        None => Err(AppError::NotFound),
        Some(None) => {
            current.flash(
                "error",
                format!("Mail {id} has not failed: it is not sent again."),
            );
            Ok(render::see_other("/admin/mail"))
        }
        Some(Some(to)) => {
            current.flash("success", format!("Mail {id} to {to} is queued again."));
            Ok(render::see_other("/admin/mail"))
        }
    }
}
