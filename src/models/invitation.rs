//! Invitation links (`invitations`) and the "invited" mark on a login (`users.invited_at`).
//! A link's token is shown once, in the mail; the table holds only its SHA-256, like API
//! keys and sessions. A login has at most one invitation row (a unique index): a resend
//! replaces it, so the old link stops working in the same write. Accepting marks the row
//! used; setting a password by any other way removes it (`forget`).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::now;
use crate::db::schema::{invitations, users};
use crate::db::DbConn;
use crate::security::token::{random_urlsafe, sha256_hex};

/// How long a link works after it was sent.
pub const VALID_HOURS: i64 = 72;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i32,
    pub user_id: i32,
    pub token_hash: String,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl Invitation {
    pub fn is_expired(&self, at: NaiveDateTime) -> bool {
        at >= self.expires_at
    }
}

/// A new link for `user_id` (replacing any earlier one) and the login marked invited, as
/// of now: answers the token, to be mailed and never stored.
pub fn issue(conn: &mut DbConn, user_id: i32, created_by: Option<i32>) -> QueryResult<String> {
    let token = random_urlsafe(32);
    let at = now();
    diesel::delete(invitations::table.filter(invitations::user_id.eq(user_id))).execute(conn)?;
    diesel::insert_into(invitations::table)
        .values((
            invitations::user_id.eq(user_id),
            invitations::token_hash.eq(sha256_hex(&token)),
            invitations::created_by.eq(created_by),
            invitations::created_at.eq(at),
            invitations::expires_at.eq(at + Duration::hours(VALID_HOURS)),
        ))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::invited_at.eq(Some(at)))
        .execute(conn)?;
    Ok(token)
}

/// The invitation a link names, used or not (None for an unknown token).
pub fn find_by_token(conn: &mut DbConn, token: &str) -> QueryResult<Option<Invitation>> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    invitations::table
        .filter(invitations::token_hash.eq(sha256_hex(token)))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Marks a link used, once: answers false when it was already used (another request took
/// it first), so that two accepts of one link cannot both set a password.
pub fn mark_used(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    let n = diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes a login's link (its password was set another way).
pub fn forget(conn: &mut DbConn, user_id: i32) -> QueryResult<()> {
    diesel::delete(invitations::table.filter(invitations::user_id.eq(user_id)))
        .execute(conn)
        .map(|_| ())
}

/// The login's password set through its link: no longer invited.
pub fn accepted(conn: &mut DbConn, user_id: i32, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::invited_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}
