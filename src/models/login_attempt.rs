//! Login attempts: the Login History of an account and the evidence that throttling
//! counts (models/throttle.rs). A row never holds the password that was tried.

use super::NthPage as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
        .nth_page(page, per_page)
        .select(LoginAttempt::as_select())
        .load(conn)?;
    Ok(super::Page::new(rows, total, page, per_page))
}

/// Drops up to `batch` attempts made before `cutoff` (Login History retention).
pub fn purge_before(conn: &mut DbConn, cutoff: NaiveDateTime, batch: i64) -> QueryResult<usize> {
    let old = login_attempts::table
        .filter(login_attempts::created_at.lt(cutoff))
        .select(login_attempts::id)
        .limit(batch)
        .load::<i32>(conn)?;
    if old.is_empty() {
        return Ok(0);
    }
    diesel::delete(login_attempts::table.filter(login_attempts::id.eq_any(old))).execute(conn)
}

/// The reasons a second-factor step records (Login History shows them).
pub const FACTOR_FAILED: &str = "wrong two-factor code";
pub const FACTOR_PASSED: &str = "two-factor code accepted";
pub const PASSKEY_FAILED: &str = "passkey refused";
pub const PASSKEY_PASSED: &str = "passkey accepted";

/// Failed second-factor codes (and refused passkeys) for a username within `window`, since its last accepted
/// code. A right password does not reset this count (it does for passwords), so knowing
/// the password never buys more guesses at the code.
pub fn recent_factor_failures(
    conn: &mut DbConn,
    username_key: &str,
    window: chrono::Duration,
) -> QueryResult<i64> {
    let since = super::now() - window;
    let last_pass: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::reason.eq_any([FACTOR_PASSED, PASSKEY_PASSED]))
        .filter(login_attempts::created_at.gt(since))
        .select(diesel::dsl::max(login_attempts::created_at))
        .first(conn)?;
    let since = last_pass.map_or(since, |t| t.max(since));
    login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::reason.eq_any([FACTOR_FAILED, PASSKEY_FAILED]))
        .filter(login_attempts::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Whether the login has ever got past its password (or a factor) before, and whether it
/// did so from `ip`: a sign-in is "from a new address" when the first is true and the
/// second false. Asked before the current attempt is recorded. Rows older than the Login
/// History retention are gone, so an address unused for that long counts as new again.
pub fn known_addresses(
    conn: &mut DbConn,
    user_id: i32,
    username_key: &str,
    ip: &str,
) -> QueryResult<(bool, bool)> {
    let before = login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::user_id.eq(user_id))
        .filter(login_attempts::success.eq(true));
    let from_here = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::user_id.eq(user_id))
        .filter(login_attempts::success.eq(true));
    diesel::select((diesel::dsl::exists(before), diesel::dsl::exists(from_here))).get_result(conn)
}
