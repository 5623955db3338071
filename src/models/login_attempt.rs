//! Login attempts: the Login History of an account and the evidence that throttling
//! counts. A row never holds the password that was tried.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::now;
use crate::db::schema::login_attempts;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_attempts)]
pub struct LoginAttempt {
    pub id: i32,
    pub username_key: String,
    pub user_id: Option<i32>,
    pub account_id: Option<i32>,
    pub ip: String,
    pub user_agent: String,
    pub success: bool,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = login_attempts)]
pub struct NewLoginAttempt<'a> {
    pub username_key: &'a str,
    pub user_id: Option<i32>,
    pub account_id: Option<i32>,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub success: bool,
    pub reason: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewLoginAttempt<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(login_attempts::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }
}

/// Failed attempts for a username since the last success, within `window`.
pub fn recent_failures_for_username(
    conn: &mut DbConn,
    username_key: &str,
    window: Duration,
) -> QueryResult<i64> {
    let since = now() - window;
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::success.eq(true))
        .filter(login_attempts::created_at.gt(since))
        .select(diesel::dsl::max(login_attempts::created_at))
        .first(conn)?;
    let since = last_success.map_or(since, |t| t.max(since));
    login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::success.eq(false))
        .filter(login_attempts::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Failed attempts from one address within `window`, whatever the username.
pub fn recent_failures_for_ip(conn: &mut DbConn, ip: &str, window: Duration) -> QueryResult<i64> {
    login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::success.eq(false))
        .filter(login_attempts::created_at.gt(now() - window))
        .count()
        .get_result(conn)
}

/// The newest attempts on an account and its alias users, one page at a time.
pub fn for_account(
    conn: &mut DbConn,
    account_id: i32,
    page: i64,
    per_page: i64,
) -> QueryResult<super::Page<LoginAttempt>> {
    let total = login_attempts::table
        .filter(login_attempts::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    let rows = login_attempts::table
        .filter(login_attempts::account_id.eq(account_id))
        .order(login_attempts::id.desc())
        .limit(per_page)
        .offset(super::Page::<LoginAttempt>::offset(page, per_page))
        .select(LoginAttempt::as_select())
        .load(conn)?;
    Ok(super::Page {
        rows,
        total,
        page: page.max(1),
        per_page,
    })
}

/// The reasons a second-factor step records (Login History shows them).
pub const FACTOR_FAILED: &str = "wrong two-factor code";
pub const FACTOR_PASSED: &str = "two-factor code accepted";

/// Failed second-factor codes for a username within `window`, since its last accepted
/// code. A right password does not reset this count (it does for passwords), so knowing
/// the password never buys more guesses at the code.
pub fn recent_factor_failures(
    conn: &mut DbConn,
    username_key: &str,
    window: Duration,
) -> QueryResult<i64> {
    let since = now() - window;
    let last_pass: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::reason.eq(FACTOR_PASSED))
        .filter(login_attempts::created_at.gt(since))
        .select(diesel::dsl::max(login_attempts::created_at))
        .first(conn)?;
    let since = last_pass.map_or(since, |t| t.max(since));
    login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::reason.eq(FACTOR_FAILED))
        .filter(login_attempts::created_at.gt(since))
        .count()
        .get_result(conn)
}
