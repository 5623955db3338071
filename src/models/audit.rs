//! The audit log: who did what to which target, when, from where, and as whom while
//! impersonating. Rows are written in the same transaction as the change they describe,
//! so a failed action leaves no row and a recorded one always happened. Details never
//! hold secrets (passwords, keys, tokens).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i32,
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

/// An entry about to be written. Owned, so it can travel into a blocking DB task.
#[derive(Debug, Clone, Insertable)]
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

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(audit_log::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }
}
