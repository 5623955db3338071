//! API keys of a login. Only the SHA-256 of a key's secret is stored (`token_hash`), with a
//! short visible prefix; a key is found by that hash when it is used. Revoked keys stay
//! listed (revoked_at set) so their owners can see what existed; they never work again.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{api_key_servers, api_keys, servers};
use crate::db::DbConn;
use crate::domain::AllowedIps;

/// The most keys (live or revoked) one login may hold.
pub const MAX_PER_LOGIN: i64 = 100;
/// `last_used_at` is written at most this often per key, so use costs no write per call.
pub const LAST_USED_RESOLUTION_SECS: i64 = 60;
/// The most servers one key may be limited to (more: give it all servers).
pub const MAX_SERVERS: usize = 100;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub token_prefix: String,
    pub expires_on: Option<NaiveDate>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Granted permission keys separated by spaces; None for all of the login's.
    pub permissions: Option<String>,
    /// Every server the login reaches, or only those in `api_key_servers`.
    pub all_servers: bool,
    /// CIDRs separated by spaces; empty for anywhere.
    pub allowed_ips: String,
}

impl ApiKey {
    /// Expired on or after its expiry date (UTC), as logins are.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires_on.is_some_and(|d| today >= d)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    pub fn allowed_ips(&self) -> AllowedIps {
        AllowedIps::from_stored(&self.allowed_ips)
    }

    /// Whether its last use is old enough to be written again.
    pub fn last_use_is_stale(&self, now: NaiveDateTime) -> bool {
        self.last_used_at
            .is_none_or(|t| now - t >= chrono::Duration::seconds(LAST_USED_RESOLUTION_SECS))
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub user_id: i32,
    pub name: &'a str,
    pub token_prefix: &'a str,
    pub token_hash: &'a str,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub permissions: Option<String>,
    pub all_servers: bool,
    pub allowed_ips: String,
}

impl NewApiKey<'_> {
    /// Inserts the key, recorded as made by its own login: credentials are personal
    /// (nobody holds another login's secret), so no other login makes one
    /// (`access::keys::may_use_keys`).
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        let row = (self, api_keys::created_by.eq(Some(self.user_id)));
        crate::insert_returning_id!(conn, api_keys::table, row, api_keys::id)
    }
}

/// The login's keys, newest first.
pub fn list_for(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .order(api_keys::id.desc())
        .limit(MAX_PER_LOGIN)
        .select(ApiKey::as_select())
        .load(conn)
}

pub fn count_for(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Whether the login already holds a live (unrevoked) key of this name.
pub fn live_name_taken(conn: &mut DbConn, user_id: i32, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::name.eq(name))
            .filter(api_keys::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// The key `id` of `user_id`, or None (missing, or another login's).
pub fn find_for(conn: &mut DbConn, user_id: i32, id: i32) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::id.eq(id))
        .filter(api_keys::user_id.eq(user_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// The key whose secret hashes to `hash` (live or not: the caller decides).
pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::token_hash.eq(hash))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Marks the key revoked (once: a second revocation keeps the first time).
pub fn revoke(conn: &mut DbConn, user_id: i32, id: i32, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(at)))
    .execute(conn)
}

/// Limits the key to these servers (made with `all_servers` false).
pub fn set_servers(conn: &mut DbConn, key_id: i32, server_ids: &[i32]) -> QueryResult<()> {
    let rows: Vec<_> = server_ids
        .iter()
        .map(|s| {
            (
                api_key_servers::key_id.eq(key_id),
                api_key_servers::server_id.eq(*s),
            )
        })
        .collect();
    // At most MAX_SERVERS rows: one statement, well under SQLite's parameter limit.
    let insert = diesel::insert_into(api_key_servers::table)
        .values(rows)
        .on_conflict_do_nothing();
    crate::on_backend!(conn, c => insert.execute(c)).map(|_| ())
}

/// The hostnames of the servers keys were limited to, by key (for the list), at most
/// `MAX_SERVERS` each.
pub fn chosen_servers(conn: &mut DbConn, key_ids: &[i32]) -> QueryResult<Vec<(i32, i32, String)>> {
    api_key_servers::table
        .inner_join(servers::table)
        .filter(api_key_servers::key_id.eq_any(key_ids))
        .order((api_key_servers::key_id, servers::hostname))
        .select((api_key_servers::key_id, servers::id, servers::hostname))
        .load(conn)
}

pub fn touch(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// Revokes every live key of the login (offboarding); answers how many.
pub fn revoke_all_of(conn: &mut DbConn, user_id: i32, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(at)))
    .execute(conn)
}
