//! Checking a second-factor code of a login: a TOTP code (±1 step, each step accepted
//! once) or one of its unused recovery codes (used up by the check). Shared by the login's
//! two-factor step and /reauth. Failures are recorded in Login History and throttled per
//! login (`login_attempt::recent_factor_failures`), as passwords are; a passkey's
//! assertion (passkey.rs) is recorded and throttled by the same two functions, and every
//! second step starts from `still_standing`.

use chrono::Duration;

use crate::access::actor::standing;
use crate::db::{DbConn, DbError};
use crate::models::login_attempt::{self, NewLoginAttempt, FACTOR_FAILED, FACTOR_PASSED};
use crate::models::now;
use crate::models::throttle::{self, Verdict};
use crate::models::two_factor;
use crate::models::user::User;
use crate::security::totp;
use crate::web::client::ClientInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Passed,
    Wrong,
    Throttled,
}

/// Checks `code` for `login` and records the attempt, in the caller's transaction.
pub fn check_code(
    c: &mut DbConn,
    factor_key: &[u8],
    login: &User,
    code: &str,
    client: &ClientInfo,
) -> Result<CodeCheck, DbError> {
    let outcome = if throttled(c, login, client)? {
        CodeCheck::Throttled
    } else if passes(c, factor_key, login.id, code)? {
        CodeCheck::Passed
    } else {
        CodeCheck::Wrong
    };
    let (success, reason) = match outcome {
        CodeCheck::Passed => (true, FACTOR_PASSED),
        CodeCheck::Wrong => (false, FACTOR_FAILED),
        CodeCheck::Throttled => (false, "throttled"),
    };
    record(c, login, client, success, reason)?;
    Ok(outcome)
}

/// Whether the login's second step is throttled: per login, from every address (knowing
/// the password buys no more guesses), and the address's own lock-out as at /login.
pub fn throttled(c: &mut DbConn, login: &User, client: &ClientInfo) -> Result<bool, DbError> {
    let window = Duration::minutes(throttle::WINDOW_MINUTES);
    let key = login.username_key.as_str();
    Ok(
        login_attempt::recent_factor_failures(c, key, window)? >= throttle::PAIR_LIMIT
            || throttle::assess(c, key, &client.ip)? == Verdict::Locked,
    )
}

/// The login awaiting its second step, if it may still log in: gone, disabled or
/// expired (itself or its account) while the step was awaited, there is nothing more to
/// try.
pub fn still_standing(c: &mut DbConn, login_id: i32) -> Result<Option<User>, DbError> {
    let Some(login) = User::find(c, login_id)? else {
        return Ok(None);
    };
    let parent = match login.parent_id {
        Some(p) => User::find(c, p)?,
        None => None,
    };
    Ok(standing(&login, parent.as_ref(), now().date())
        .is_ok()
        .then_some(login))
}

/// Records one second-step attempt in Login History (and so in the throttle's count).
pub fn record(
    c: &mut DbConn,
    login: &User,
    client: &ClientInfo,
    success: bool,
    reason: &str,
) -> Result<(), DbError> {
    attempt(c, &login.username_key, Some(login), client, success, reason)
}

/// Writes one Login History row for the name `key` (never the password): the login it
/// names, if any, and its account. Every step of logging in (password, code, passkey,
/// the password asked again) records through this.
pub fn attempt(
    c: &mut DbConn,
    key: &str,
    login: Option<&User>,
    client: &ClientInfo,
    success: bool,
    reason: &str,
) -> Result<(), DbError> {
    NewLoginAttempt {
        username_key: key,
        user_id: login.map(|u| u.id),
        account_id: login.map(|u| u.parent_id.unwrap_or(u.id)),
        ip: &client.ip,
        user_agent: &client.user_agent,
        success,
        reason,
        created_at: now(),
    }
    .insert(c)?;
    Ok(())
}

fn passes(c: &mut DbConn, factor_key: &[u8], uid: i32, code: &str) -> Result<bool, DbError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 64 {
        return Ok(false);
    }
    if totp::looks_like_totp(code) {
        let Some(f) = two_factor::totp_of(c, uid)? else {
            return Ok(false);
        };
        let Some(secret) = totp::open_secret(factor_key, &f.secret) else {
            return Ok(false);
        };
        return match totp::matching_step(&secret, code) {
            Some(step) => Ok(two_factor::accept_step(c, uid, step)?),
            None => Ok(false),
        };
    }
    Ok(two_factor::use_recovery_code(
        c,
        uid,
        &totp::recovery_code_hash(code),
    )?)
}
