//! Login throttling, counted from `login_attempts` so that every instance sees
//! the same numbers. Failures count per (username, client address) and per client
//! address, so an attacker locks only their own address out: the same login keeps
//! working from every other address. Across all addresses a username has only a slower
//! backstop, which delays answers instead of locking anyone out.
//!
//! A failure stops counting (`forgiven`) when the same username then logs in from the
//! same address, or when an admin lifts the throttle; the row stays in Login History.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use super::now;
use crate::db::schema::login_attempts;
use crate::db::DbConn;

/// Failures of one username from one address, within the window, before that pair locks.
pub const PAIR_LIMIT: i64 = 5;
/// Failures from one address (any usernames), within the window, before it locks.
pub const ADDRESS_LIMIT: i64 = 50;
pub const WINDOW_MINUTES: i64 = 15;
/// Failures of one username from all addresses within an hour before answers slow down.
pub const BACKSTOP_LIMIT: i64 = 100;
pub const BACKSTOP_WINDOW_MINUTES: i64 = 60;
/// How long a login past the backstop waits before its password is even checked.
pub const BACKSTOP_DELAY: std::time::Duration = std::time::Duration::from_secs(3);

/// The failures that bear on one login attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pair: i64,
    pub address: i64,
    pub username_hour: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Check the password, but only after this delay (the per-username backstop).
    Delay(std::time::Duration),
    /// Refuse without checking the password.
    Locked,
}

/// The rule, apart from the counting.
pub fn judge(c: Counts) -> Verdict {
    if c.pair >= PAIR_LIMIT || c.address >= ADDRESS_LIMIT {
        Verdict::Locked
    } else if c.username_hour >= BACKSTOP_LIMIT {
        Verdict::Delay(BACKSTOP_DELAY)
    } else {
        Verdict::Allow
    }
}

fn failures() -> login_attempts::BoxedQuery<'static, crate::db::MultiBackend> {
    login_attempts::table
        .filter(login_attempts::success.eq(false))
        .into_boxed()
}

/// Counts the failures for `username_key` from `ip` and judges them.
pub fn assess(conn: &mut DbConn, username_key: &str, ip: &str) -> QueryResult<Verdict> {
    let at = now();
    let window = at - Duration::minutes(WINDOW_MINUTES);
    let pair = failures()
        .filter(login_attempts::username_key.eq(username_key.to_string()))
        .filter(login_attempts::ip.eq(ip.to_string()))
        .filter(login_attempts::forgiven.eq(false))
        .filter(login_attempts::created_at.gt(window))
        .count()
        .get_result(conn)?;
    let address = failures()
        .filter(login_attempts::ip.eq(ip.to_string()))
        .filter(login_attempts::forgiven.eq(false))
        .filter(login_attempts::created_at.gt(window))
        .count()
        .get_result(conn)?;
    // The backstop ignores forgiveness: it only slows answers down, and one address's
    // success says nothing about the guesses from all the others.
    let username_hour = failures()
        .filter(login_attempts::username_key.eq(username_key.to_string()))
        .filter(login_attempts::created_at.gt(at - Duration::minutes(BACKSTOP_WINDOW_MINUTES)))
        .count()
        .get_result(conn)?;
    Ok(judge(Counts {
        pair,
        address,
        username_hour,
    }))
}

/// After a successful login: the pair's earlier failures no longer count.
pub fn settle_pair(conn: &mut DbConn, username_key: &str, ip: &str) -> QueryResult<usize> {
    diesel::update(
        login_attempts::table
            .filter(login_attempts::username_key.eq(username_key))
            .filter(login_attempts::ip.eq(ip))
            .filter(login_attempts::success.eq(false))
            .filter(login_attempts::forgiven.eq(false))
            .filter(login_attempts::created_at.gt(now() - Duration::minutes(WINDOW_MINUTES))),
    )
    .set(login_attempts::forgiven.eq(true))
    .execute(conn)
}

/// An admin lifts the throttle on an address (every username from it), or on one
/// username from it; answers how many failures stopped counting.
pub fn lift(conn: &mut DbConn, ip: &str, username_key: Option<&str>) -> QueryResult<usize> {
    let counted = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::success.eq(false))
        .filter(login_attempts::forgiven.eq(false));
    match username_key {
        Some(u) => diesel::update(counted.filter(login_attempts::username_key.eq(u)))
            .set(login_attempts::forgiven.eq(true))
            .execute(conn),
        None => diesel::update(counted)
            .set(login_attempts::forgiven.eq(true))
            .execute(conn),
    }
}

/// An address that is throttled now, for the admins' page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub ip: String,
    /// Locked for every username (the per-address limit).
    pub whole_address: bool,
    pub address_failures: i64,
    /// Usernames locked from this address, with their failures.
    pub usernames: Vec<(String, i64)>,
    pub last_failure: NaiveDateTime,
}

/// Every address that is locked (wholly or for some usernames) right now, newest first.
/// Both queries keep only groups over a limit, so their size is bounded by the attack's
/// breadth, not by the history's length.
pub fn throttled(conn: &mut DbConn) -> QueryResult<Vec<Throttled>> {
    let window = now() - Duration::minutes(WINDOW_MINUTES);
    let counted = || {
        login_attempts::table
            .filter(login_attempts::success.eq(false))
            .filter(login_attempts::forgiven.eq(false))
            .filter(login_attempts::created_at.gt(window))
    };
    let addresses: Vec<(String, i64, Option<NaiveDateTime>)> = counted()
        .group_by(login_attempts::ip)
        .having(count_star().ge(ADDRESS_LIMIT))
        .select((
            login_attempts::ip,
            count_star(),
            max(login_attempts::created_at),
        ))
        .limit(1000)
        .load(conn)?;
    let pairs: Vec<(String, String, i64, Option<NaiveDateTime>)> = counted()
        .group_by((login_attempts::ip, login_attempts::username_key))
        .having(count_star().ge(PAIR_LIMIT))
        .select((
            login_attempts::ip,
            login_attempts::username_key,
            count_star(),
            max(login_attempts::created_at),
        ))
        .limit(1000)
        .load(conn)?;
    let mut out: Vec<Throttled> = addresses
        .into_iter()
        .map(|(ip, n, last)| Throttled {
            ip,
            whole_address: true,
            address_failures: n,
            usernames: Vec::new(),
            last_failure: last.unwrap_or(window),
        })
        .collect();
    for (ip, username, n, last) in pairs {
        let last = last.unwrap_or(window);
        match out.iter_mut().find(|t| t.ip == ip) {
            Some(t) => {
                t.usernames.push((username, n));
                t.last_failure = t.last_failure.max(last);
            }
            None => out.push(Throttled {
                ip,
                whole_address: false,
                address_failures: n,
                usernames: vec![(username, n)],
                last_failure: last,
            }),
        }
    }
    for t in &mut out {
        t.usernames.sort();
        if !t.whole_address {
            t.address_failures = t.usernames.iter().map(|(_, n)| n).sum();
        }
    }
    out.sort_by(|a, b| b.last_failure.cmp(&a.last_failure).then(a.ip.cmp(&b.ip)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_or_an_address_over_its_limit_locks_and_the_backstop_only_delays() {
        let c = |pair, address, username_hour| Counts {
            pair,
            address,
            username_hour,
        };
        assert_eq!(judge(c(0, 0, 0)), Verdict::Allow);
        assert_eq!(judge(c(4, 49, 99)), Verdict::Allow);
        assert_eq!(judge(c(5, 5, 5)), Verdict::Locked);
        assert_eq!(judge(c(0, 50, 0)), Verdict::Locked);
        assert_eq!(judge(c(0, 0, 100)), Verdict::Delay(BACKSTOP_DELAY));
        // A locked pair stays locked whatever the backstop says.
        assert_eq!(judge(c(5, 5, 500)), Verdict::Locked);
    }
}
