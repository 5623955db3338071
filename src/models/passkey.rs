//! Passkeys (WebAuthn credentials) of a login, each under the name its login gave it. The
//! credential itself is webauthn-rs's record, kept as JSON text and read back by
//! `security::passkey`; this module only stores it. Every query is filtered by the owning
//! login, so another login's passkey id is as absent as a missing one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::now;
use crate::db::schema::passkeys;
use crate::db::DbConn;

/// The most passkeys one login may hold: each is offered to the browser at every
/// two-factor step, and the excluded list of a registration waits in the session.
pub const MAX_PER_LOGIN: i64 = 10;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub credential_id: String,
    pub passkey: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = passkeys)]
pub struct NewPasskey<'a> {
    pub user_id: i32,
    pub name: &'a str,
    pub credential_id: &'a str,
    pub passkey: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewPasskey<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        crate::insert_returning_id!(conn, passkeys::table, self, passkeys::id)
    }
}

/// The login's passkeys, oldest first.
pub fn list_for(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::id.asc())
        .limit(MAX_PER_LOGIN)
        .select(PasskeyRow::as_select())
        .load(conn)
}

pub fn count_for(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Whether the login already has a passkey of this name.
pub fn name_taken(conn: &mut DbConn, user_id: i32, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .filter(passkeys::name.eq(name)),
    ))
    .get_result(conn)
}

/// Whether any login holds this credential already.
pub fn credential_taken(conn: &mut DbConn, credential_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        passkeys::table.filter(passkeys::credential_id.eq(credential_id)),
    ))
    .get_result(conn)
}

/// The passkey `id` of `user_id`, or None (missing, or another login's).
pub fn find_for(conn: &mut DbConn, user_id: i32, id: i32) -> QueryResult<Option<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::id.eq(id))
        .filter(passkeys::user_id.eq(user_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes the passkey `id` of `user_id`; answers whether there was one.
pub fn delete_for(conn: &mut DbConn, user_id: i32, id: i32) -> QueryResult<bool> {
    let n = diesel::delete(
        passkeys::table
            .filter(passkeys::id.eq(id))
            .filter(passkeys::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Records a use of the login's credential: when, and its record with the new signature
/// counter (a cloned authenticator shows up as a counter that goes back).
pub fn record_use(
    conn: &mut DbConn,
    user_id: i32,
    credential_id: &str,
    passkey: &str,
) -> QueryResult<()> {
    diesel::update(
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .filter(passkeys::credential_id.eq(credential_id)),
    )
    .set((
        passkeys::passkey.eq(passkey),
        passkeys::last_used_at.eq(Some(now())),
    ))
    .execute(conn)
    .map(|_| ())
}
