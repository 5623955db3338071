//! SSH public keys of a login (an account or an alias user). Every query is filtered by
//! the owning login, so another login's key id is as absent as a missing one. The unique
//! (user_id, fingerprint) index keeps one copy of a key per login.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::ssh_keys;
use crate::db::DbConn;

/// The most keys one login may hold (the page lists them all).
pub const MAX_PER_LOGIN: i64 = 100;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ssh_keys)]
pub struct SshKey {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ssh_keys)]
pub struct NewSshKey<'a> {
    pub user_id: i32,
    pub name: &'a str,
    pub public_key: &'a str,
    pub fingerprint: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewSshKey<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        crate::insert_returning_id!(conn, ssh_keys::table, self, ssh_keys::id)
    }
}

/// The login's keys, oldest first.
pub fn list_for(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<SshKey>> {
    ssh_keys::table
        .filter(ssh_keys::user_id.eq(user_id))
        .order(ssh_keys::id.asc())
        .limit(MAX_PER_LOGIN)
        .select(SshKey::as_select())
        .load(conn)
}

pub fn count_for(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    ssh_keys::table
        .filter(ssh_keys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// The key `id` of `user_id`, or None (missing, or another login's).
pub fn find_for(conn: &mut DbConn, user_id: i32, id: i32) -> QueryResult<Option<SshKey>> {
    ssh_keys::table
        .filter(ssh_keys::id.eq(id))
        .filter(ssh_keys::user_id.eq(user_id))
        .select(SshKey::as_select())
        .first(conn)
        .optional()
}

pub fn fingerprint_taken(conn: &mut DbConn, user_id: i32, fingerprint: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ssh_keys::table
            .filter(ssh_keys::user_id.eq(user_id))
            .filter(ssh_keys::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)
}

pub fn delete(conn: &mut DbConn, user_id: i32, id: i32) -> QueryResult<usize> {
    diesel::delete(
        ssh_keys::table
            .filter(ssh_keys::id.eq(id))
            .filter(ssh_keys::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// Removes every key of the login (offboarding); answers how many.
pub fn delete_all_of(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(ssh_keys::table.filter(ssh_keys::user_id.eq(user_id))).execute(conn)
}
