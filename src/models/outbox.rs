//! The mail queue (`mail_outbox`): mails written in the same transaction as the change that
//! causes them, and the worker's claims on them. A mail is `queued` until it is `sent`, or
//! `failed` once it has used up its attempts. The worker claims due rows with a lease
//! (`locked_until`), so a worker that dies mid-send leaves its rows to be taken up again,
//! and on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several instances claim side by side
//! without ever claiming the same row.

use super::NthPage as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::mail_outbox;
use crate::db::DbConn;

/// A mail to send: what the `mail` module renders and `enqueue` stores (and, embedded in
/// `OutboxMail`, what a queued row holds of it).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_outbox)]
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
            mail,
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
    /// What was queued (a sensitive body reads `REMOVED_BODY` once sent).
    #[diesel(embed)]
    pub mail: NewMail,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Attempts a mail gets before it is `failed` (with the backoff below, about two hours).
pub const MAX_ATTEMPTS: i32 = 8;
/// The first retry waits this long; each later one twice the one before...
const FIRST_RETRY_SECONDS: i64 = 30;
/// ...up to this.
const LONGEST_RETRY_SECONDS: i64 = 3600;
/// What a sensitive body becomes once the mail has left.
pub const REMOVED_BODY: &str = "(removed after sending: it held a one-time link)";
/// Mails listed per page of the admin page.
pub const PAGE_SIZE: i64 = 50;

/// How long to wait after the `attempts`-th failed attempt (1 → 30 s, 2 → 60 s, ... ≤ 1 h).
pub fn backoff(attempts: i32) -> chrono::Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    chrono::Duration::seconds(
        (FIRST_RETRY_SECONDS.saturating_mul(1i64 << doublings)).min(LONGEST_RETRY_SECONDS),
    )
}

/// A mail due for an attempt: queued, its retry time come, and under no live lease (a
/// worker that died mid-send leaves its lease to run out). The worker's cheap look and
/// its claim ask the same.
#[diesel::dsl::auto_type(no_type_alias)]
fn is_due(now: NaiveDateTime) -> _ {
    let queued: &'static str = "queued";
    mail_outbox::status
        .eq(queued)
        .and(mail_outbox::next_attempt_at.le(now))
        .and(
            mail_outbox::locked_until
                .is_null()
                .or(mail_outbox::locked_until.lt(now)),
        )
}

/// True when a mail is due for an attempt (cheap, outside any transaction): the worker
/// asks this before it opens a writing transaction, so an idle queue never takes
/// SQLite's write lock.
pub fn any_due(c: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(mail_outbox::table.filter(is_due(now)))).get_result(c)
}

/// Claims up to `batch` due mails for `lease`, oldest first, and answers them. Another
/// worker skips a claimed mail until its lease ends (so one that died mid-send leaves its
/// mails to the next). On PostgreSQL the rows are selected `FOR UPDATE SKIP LOCKED`, so
/// instances claiming at the same moment each get different rows instead of waiting on
/// each other; on SQLite the transaction's write lock already lets one claim at a time.
pub fn claim_due(
    c: &mut DbConn,
    now: NaiveDateTime,
    lease: chrono::Duration,
    batch: i64,
) -> QueryResult<Vec<OutboxMail>> {
    crate::db::transaction(c, |c| {
        let due = mail_outbox::table
            .filter(is_due(now))
            .order(mail_outbox::id)
            .limit(batch)
            .select(mail_outbox::id);
        let ids: Vec<i32> = match c {
            DbConn::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(lite) => due.load(lite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(&ids)))
            .set(mail_outbox::locked_until.eq(now + lease))
            .execute(c)?;
        mail_outbox::table
            .filter(mail_outbox::id.eq_any(&ids))
            .order(mail_outbox::id)
            .select(OutboxMail::as_select())
            .load(c)
    })
}

/// The mail has left: `sent`, its lease ended, and a sensitive body blanked (the row's
/// own `sensitive` decides, in the same statement).
pub fn mark_sent(c: &mut DbConn, queued: &OutboxMail, now: NaiveDateTime) -> QueryResult<()> {
    use diesel::dsl::case_when;
    let removed = || REMOVED_BODY.into_sql::<Text>();
    diesel::update(mail_outbox::table.find(queued.id))
        .set((
            mail_outbox::status.eq("sent"),
            mail_outbox::attempts.eq(queued.attempts + 1),
            mail_outbox::sent_at.eq(Some(now)),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(""),
            mail_outbox::body_text
                .eq(case_when(mail_outbox::sensitive, removed()).otherwise(mail_outbox::body_text)),
            mail_outbox::body_html
                .eq(case_when(mail_outbox::sensitive, removed()).otherwise(mail_outbox::body_html)),
        ))
        .execute(c)?;
    Ok(())
}

/// An attempt failed: the mail is tried again after `backoff`, or is `failed` once it
/// has had `MAX_ATTEMPTS`. Answers whether it will be retried.
pub fn mark_retry(
    c: &mut DbConn,
    mail: &OutboxMail,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let attempts = mail.attempts + 1;
    let retry = attempts < MAX_ATTEMPTS;
    let error: String = error.chars().take(500).collect();
    diesel::update(mail_outbox::table.find(mail.id))
        .set((
            mail_outbox::status.eq(if retry { "queued" } else { "failed" }),
            mail_outbox::attempts.eq(attempts),
            mail_outbox::next_attempt_at.eq(now + backoff(attempts)),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(error),
        ))
        .execute(c)?;
    Ok(retry)
}

/// Puts a failed mail back in the queue, due at once with a fresh set of attempts.
/// Answers false when there is no failed mail with this id.
pub fn retry_failed(c: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::status.eq("failed")),
    )
    .set((
        mail_outbox::status.eq("queued"),
        mail_outbox::attempts.eq(0),
        mail_outbox::next_attempt_at.eq(now),
        mail_outbox::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// One row of the admin page: everything but the bodies, which a page never shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    pub id: i32,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Newest first, `PAGE_SIZE` a page (page 1 is the first); `status` narrows to one state.
pub fn list(c: &mut DbConn, status: Option<&str>, page: i64) -> QueryResult<Vec<OutboxRow>> {
    let mut q = mail_outbox::table
        .select(OutboxRow::as_select())
        .order(mail_outbox::id.desc())
        .nth_page(page, PAGE_SIZE)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(mail_outbox::status.eq(s.to_string()));
    }
    q.load(c)
}

/// One mail as the admin page sees it, if it exists.
pub fn find_row(c: &mut DbConn, id: i32) -> QueryResult<Option<OutboxRow>> {
    mail_outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(c)
        .optional()
}

/// How many mails are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

pub fn counts(c: &mut DbConn) -> QueryResult<Counts> {
    let rows: Vec<(String, i64)> = mail_outbox::table
        .group_by(mail_outbox::status)
        .select((mail_outbox::status, diesel::dsl::count_star()))
        .load(c)?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status.as_str() {
            "queued" => counts.queued = n,
            "sent" => counts.sent = n,
            "failed" => counts.failed = n,
            _ => {}
        }
    }
    Ok(counts)
}

/// Removes up to `limit` sent or failed mails created before `cutoff` (the purge).
pub fn purge_before(c: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let ids: Vec<i32> = mail_outbox::table
        .filter(mail_outbox::status.ne("queued"))
        .filter(mail_outbox::created_at.lt(cutoff))
        .select(mail_outbox::id)
        .limit(limit)
        .load(c)?;
    diesel::delete(mail_outbox::table.filter(mail_outbox::id.eq_any(ids))).execute(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
        assert_eq!(backoff(2), chrono::Duration::seconds(60));
        assert_eq!(backoff(4), chrono::Duration::seconds(240));
        assert_eq!(backoff(8), chrono::Duration::seconds(3600));
        assert_eq!(backoff(1000), chrono::Duration::seconds(3600));
    }
}
