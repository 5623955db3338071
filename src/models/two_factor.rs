//! Second factors of a login: its TOTP secret (sealed; see `security::totp`) with the last
//! step accepted, its passkeys (their own queries in `models::passkey`), and its recovery
//! codes (hashed, single use). A login "holds a factor" when it has an authenticator app or
//! at least one passkey; recovery codes only back those up. Also the two policy flags that
//! demand a factor: the account owner's for its alias users, and an alias role's.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::now;
use crate::db::schema::{alias_roles, passkeys, recovery_codes, totp_factors, users};
use crate::db::DbConn;
use crate::models::user::User;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_factors)]
pub struct TotpFactor {
    pub user_id: i32,
    pub secret: String,
    pub last_step: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn totp_of(conn: &mut DbConn, user_id: i32) -> QueryResult<Option<TotpFactor>> {
    totp_factors::table
        .find(user_id)
        .select(TotpFactor::as_select())
        .first(conn)
        .optional()
}

/// Whether the login holds a second factor (an authenticator app or a passkey).
pub fn has_factor(conn: &mut DbConn, user_id: i32) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::exists(totp_factors::table.find(user_id)).or(diesel::dsl::exists(
            passkeys::table.filter(passkeys::user_id.eq(user_id)),
        )),
    )
    .get_result(conn)
}

/// The logins among `ids` that hold a second factor (for lists).
pub fn with_factor_among(conn: &mut DbConn, ids: &[i32]) -> QueryResult<HashSet<i32>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut with: HashSet<i32> = totp_factors::table
        .filter(totp_factors::user_id.eq_any(ids))
        .select(totp_factors::user_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    with.extend(
        passkeys::table
            .filter(passkeys::user_id.eq_any(ids))
            .select(passkeys::user_id)
            .distinct()
            .load::<i32>(conn)?,
    );
    Ok(with)
}

/// Stores a confirmed TOTP secret (replacing any other), with the step that confirmed it.
pub fn set_totp(conn: &mut DbConn, user_id: i32, sealed: &str, step: i64) -> QueryResult<()> {
    diesel::delete(totp_factors::table.find(user_id)).execute(conn)?;
    diesel::insert_into(totp_factors::table)
        .values((
            totp_factors::user_id.eq(user_id),
            totp_factors::secret.eq(sealed),
            totp_factors::last_step.eq(Some(step)),
            totp_factors::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records `step` as used, if it is later than the last one used: answers false for a
/// code already used (or an older one), so a code works once even under concurrent
/// requests (the check and the write are one UPDATE).
pub fn accept_step(conn: &mut DbConn, user_id: i32, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        totp_factors::table
            .filter(totp_factors::user_id.eq(user_id))
            .filter(
                totp_factors::last_step
                    .is_null()
                    .or(totp_factors::last_step.lt(step)),
            ),
    )
    .set(totp_factors::last_step.eq(Some(step)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes every factor of a login (TOTP, passkeys and recovery codes); answers whether it
/// had any.
pub fn remove_all(conn: &mut DbConn, user_id: i32) -> QueryResult<bool> {
    let t = diesel::delete(totp_factors::table.find(user_id)).execute(conn)?;
    let p = diesel::delete(passkeys::table.filter(passkeys::user_id.eq(user_id))).execute(conn)?;
    let r = diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(t + p + r > 0)
}

/// Removes the login's authenticator app; answers whether it had one. Its recovery codes
/// go too when no passkey is left for them to back up.
pub fn remove_totp(conn: &mut DbConn, user_id: i32) -> QueryResult<bool> {
    let t = diesel::delete(totp_factors::table.find(user_id)).execute(conn)?;
    drop_codes_without_factor(conn, user_id)?;
    Ok(t > 0)
}

/// Deletes the recovery codes of a login that no longer holds a factor: codes back up a
/// factor, they never stand alone.
pub fn drop_codes_without_factor(conn: &mut DbConn, user_id: i32) -> QueryResult<()> {
    if !has_factor(conn, user_id)? {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the login's recovery codes with these hashes: the old set stops working.
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user_id: i32,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let at = now();
    // One row at a time: the multi-backend connection has no batch insert (ten rows).
    for h in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(h),
                recovery_codes::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses one recovery code: answers false when no unused code of the login has this hash.
pub fn use_recovery_code(conn: &mut DbConn, user_id: i32, hash: &str) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn recovery_codes_left(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Whether the account owner requires a second factor of its alias users.
pub fn account_requires_for_aliases(conn: &mut DbConn, account_id: i32) -> QueryResult<bool> {
    Ok(users::table
        .find(account_id)
        .select(users::require_two_factor_for_aliases)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn set_account_requires_for_aliases(
    conn: &mut DbConn,
    account_id: i32,
    required: bool,
) -> QueryResult<()> {
    diesel::update(users::table.find(account_id))
        .set(users::require_two_factor_for_aliases.eq(required))
        .execute(conn)
        .map(|_| ())
}

pub fn role_requires(conn: &mut DbConn, role_id: i32) -> QueryResult<bool> {
    Ok(alias_roles::table
        .find(role_id)
        .select(alias_roles::require_two_factor)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Which of the given roles require two-factor of their holders, in one query (for the
/// API's list of roles).
pub fn roles_requiring(conn: &mut DbConn, role_ids: &[i32]) -> QueryResult<HashSet<i32>> {
    if role_ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(alias_roles::table
        .filter(alias_roles::id.eq_any(role_ids))
        .filter(alias_roles::require_two_factor.eq(true))
        .select(alias_roles::id)
        .load::<i32>(conn)?
        .into_iter()
        .collect())
}

pub fn set_role_requires(conn: &mut DbConn, role_id: i32, required: bool) -> QueryResult<()> {
    diesel::update(alias_roles::table.find(role_id))
        .set(alias_roles::require_two_factor.eq(required))
        .execute(conn)
        .map(|_| ())
}

/// What the database says about one login's second factor: whether it holds one, and
/// whether its account owner or its role demands one (aliases only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorState {
    pub has_factor: bool,
    pub owner_requires: bool,
    pub role_requires: bool,
}

pub fn state_of(conn: &mut DbConn, login: &User) -> QueryResult<FactorState> {
    // Read on every request (web::Current): one round trip, whatever the kind of login.
    let has_factor = diesel::dsl::exists(totp_factors::table.find(login.id)).or(
        diesel::dsl::exists(passkeys::table.filter(passkeys::user_id.eq(login.id))),
    );
    if !login.is_alias() {
        return Ok(FactorState {
            has_factor: diesel::select(has_factor).get_result(conn)?,
            ..FactorState::default()
        });
    }
    // An alias user: its factor, its owner's policy and its role's, in one statement. A
    // missing owner or role (NULL id) reads as "not required".
    let owner_requires = users::table
        .filter(users::id.nullable().eq(login.parent_id))
        .select(users::require_two_factor_for_aliases)
        .single_value();
    let role_requires = alias_roles::table
        .filter(alias_roles::id.nullable().eq(login.role_id))
        .select(alias_roles::require_two_factor)
        .single_value();
    let (has_factor, owner, role): (bool, Option<bool>, Option<bool>) =
        diesel::select((has_factor, owner_requires, role_requires)).get_result(conn)?;
    Ok(FactorState {
        has_factor,
        owner_requires: owner.unwrap_or(false),
        role_requires: role.unwrap_or(false),
    })
}
