//! The audit log: who did what to which target, when, from where, and as whom while
//! impersonating. Rows are written in the same transaction as the change they describe,
//! so a failed action leaves no row and a recorded one always happened. Details never
//! hold secrets (passwords, keys, tokens).

use super::NthPage as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::DbConn;

/// A stored entry: its id and what was written.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i32,
    #[diesel(embed)]
    pub written: NewAuditEntry,
}

/// An entry about to be written (and, as `AuditEntry::written`, one read back). Owned, so
/// it can travel into a blocking DB task.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry {
    /// The account whose Activity tab shows the entry.
    pub account_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    pub impersonator_id: Option<i32>,
    pub impersonator_name: Option<String>,
    pub action: String,
    pub target: String,
    pub details: String,
    pub ip: String,
    pub user_agent: String,
    pub via_api: bool,
    pub created_at: NaiveDateTime,
}

impl NewAuditEntry {
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
    }

    /// The same entry for another account's log (an action that concerns two accounts).
    pub fn for_account(&self, account_id: i32) -> Self {
        NewAuditEntry {
            account_id: Some(account_id),
            ..self.clone()
        }
    }

    /// Whether the login `login_id` did this itself, not impersonated by someone (a login
    /// that sees only its own addresses sees this entry's).
    pub fn by_login_itself(&self, login_id: i32) -> bool {
        self.actor_id == Some(login_id) && self.impersonator_id.is_none()
    }

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(audit_log::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }
}

/// Filters of the Activity tab and the global log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this account's log (None: the whole installation).
    pub account_id: Option<i32>,
    /// Only entries by this login (acting or impersonating), by username.
    pub login: String,
    /// Only actions starting with this (e.g. "alias." or "server.power").
    pub action: String,
}

/// The newest entries first, one page at a time.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<super::Page<AuditEntry>> {
    let build = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(a) = filter.account_id {
            q = q.filter(audit_log::account_id.eq(a));
        }
        let login = filter.login.trim().to_string();
        if !login.is_empty() {
            q = q.filter(
                audit_log::actor_name
                    .eq(login.clone())
                    .or(audit_log::impersonator_name.eq(login)),
            );
        }
        let action = filter.action.trim();
        if !action.is_empty() {
            q = q.filter(
                audit_log::action
                    .like(super::like_pattern(action, true))
                    .escape('\\'),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order(audit_log::id.desc())
        .nth_page(page, per_page)
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok(super::Page::new(rows, total, page, per_page))
}

/// Drops up to `batch` entries written before `cutoff` (`STEWARD_AUDIT_DAYS`).
pub fn purge_before(conn: &mut DbConn, cutoff: NaiveDateTime, batch: i64) -> QueryResult<usize> {
    let old = audit_log::table
        .filter(audit_log::created_at.lt(cutoff))
        .select(audit_log::id)
        .limit(batch)
        .load::<i32>(conn)?;
    if old.is_empty() {
        return Ok(0);
    }
    diesel::delete(audit_log::table.filter(audit_log::id.eq_any(old))).execute(conn)
}
