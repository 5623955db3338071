//! The mail queue (`mail_outbox`): mails written in the same transaction as the change that
//! causes them, and the worker's claims on them. A mail is `queued` until it is `sent`, or
//! `failed` once it has used up its attempts. The worker claims due rows with a lease
//! (`locked_until`), so a worker that dies mid-send leaves its rows to be taken up again,
//! and on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several instances claim side by side
//! without ever claiming the same row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::mail_outbox;
use crate::db::DbConn;

/// A mail to send: what the `mail` module renders and `enqueue` stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// What caused it (`invitation`, `risky_grant`, ...), for the admin page and tests.
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// The body carries a secret (an invitation link): it is blanked once the mail has left,
    /// and no page ever shows it.
    pub sensitive: bool,
}

/// Queues a mail, due at once. Call it inside the transaction of the change that causes it.
pub fn enqueue(c: &mut DbConn, mail: &NewMail) -> QueryResult<i32> {
    let now = super::now();
    crate::insert_returning_id!(
        c,
        mail_outbox::table,
        (
            mail_outbox::kind.eq(&mail.kind),
            mail_outbox::recipient.eq(&mail.recipient),
            mail_outbox::subject.eq(&mail.subject),
            mail_outbox::body_text.eq(&mail.body_text),
            mail_outbox::body_html.eq(&mail.body_html),
            mail_outbox::sensitive.eq(mail.sensitive),
            mail_outbox::status.eq("queued"),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(now),
            mail_outbox::last_error.eq(""),
            mail_outbox::created_at.eq(now),
        ),
        mail_outbox::id
    )
}

/// One row of the queue as pages and the worker see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxMail {
    pub id: i32,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub sensitive: bool,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}
