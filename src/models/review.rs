//! The rows of an access review: an account's alias users one page (or one chunk) at a
//! time with the filters applied in SQL, and the facts shown beside each login (API keys
//! with their last use, SSH key and open session counts), loaded for the ids of one page.
//! Nothing here is sized by the tenant: every query is bounded by its page or chunk.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_keys, passkeys, servers, sessions, ssh_keys, totp_factors, users};
use crate::db::DbConn;
use crate::models::reach::Reach;
use crate::models::user::{page_by_username, User};

/// Which alias users a page or chunk holds, as SQL conditions.
#[derive(Debug, Clone, Default)]
pub struct AliasFilter {
    /// Only these roles (the risky filter: the roles whose permissions include one).
    pub roles: Option<Vec<i32>>,
    /// Only the logins without a second factor (the two-factor filter).
    pub without_factor: bool,
    /// Not used since (no login and no API key use after it).
    pub unused_since: Option<NaiveDateTime>,
}

fn filtered<'a>(
    account_id: i32,
    f: &'a AliasFilter,
) -> users::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = users::table
        .filter(users::parent_id.eq(account_id))
        .filter(users::kind.eq("alias"))
        .into_boxed();
    if let Some(roles) = &f.roles {
        q = q.filter(users::role_id.eq_any(roles.clone()));
    }
    if f.without_factor {
        // Neither an authenticator app nor a passkey.
        q = q
            .filter(diesel::dsl::not(diesel::dsl::exists(
                totp_factors::table.filter(totp_factors::user_id.eq(users::id)),
            )))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                passkeys::table.filter(passkeys::user_id.eq(users::id)),
            )));
    }
    if let Some(since) = f.unused_since {
        q = q
            .filter(
                users::last_login_at
                    .is_null()
                    .or(users::last_login_at.lt(since)),
            )
            .filter(diesel::dsl::not(diesel::dsl::exists(
                api_keys::table
                    .filter(api_keys::user_id.eq(users::id))
                    .filter(api_keys::last_used_at.ge(since)),
            )));
    }
    q
}

/// One page of the account's alias users (by username) and how many pass the filter.
pub fn aliases_page(
    conn: &mut DbConn,
    account_id: i32,
    f: &AliasFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let p = page_by_username(conn, || filtered(account_id, f), page, per_page)?;
    Ok((p.rows, p.total))
}

/// The next `limit` alias users after id `after` (the CSV walks them by id).
pub fn aliases_after(
    conn: &mut DbConn,
    account_id: i32,
    f: &AliasFilter,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<User>> {
    filtered(account_id, f)
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

/// Whether a login was used since `since` (a login, or an API key).
pub fn used_since(conn: &mut DbConn, login: &User, since: NaiveDateTime) -> QueryResult<bool> {
    if login.last_login_at.is_some_and(|t| t >= since) {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        api_keys::table
            .filter(api_keys::user_id.eq(login.id))
            .filter(api_keys::last_used_at.ge(since)),
    ))
    .get_result(conn)
}

/// An API key as the review shows it.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub name: String,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked: bool,
}

/// What the review shows beside each login of a page.
#[derive(Debug, Default)]
pub struct Facts {
    pub api_keys: HashMap<i32, Vec<KeyUse>>,
    pub ssh_keys: HashMap<i32, i64>,
    pub sessions: HashMap<i32, i64>,
    /// Assigned servers of each alias user.
    pub assigned: HashMap<i32, i64>,
    /// Logins that hold a second factor.
    pub two_factor: HashSet<i32>,
}

/// The facts of the logins `ids` (one page or chunk).
pub fn facts(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Facts> {
    let keys: Vec<(i32, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> = api_keys::table
        .filter(api_keys::user_id.eq_any(ids))
        .order((api_keys::user_id, api_keys::id))
        .select((
            api_keys::user_id,
            api_keys::name,
            api_keys::last_used_at,
            api_keys::revoked_at,
        ))
        .load(conn)?;
    let mut api = HashMap::<i32, Vec<KeyUse>>::new();
    for (uid, name, last_used_at, revoked_at) in keys {
        api.entry(uid).or_default().push(KeyUse {
            name,
            last_used_at,
            revoked: revoked_at.is_some(),
        });
    }
    let ssh: Vec<(i32, i64)> = ssh_keys::table
        .filter(ssh_keys::user_id.eq_any(ids))
        .group_by(ssh_keys::user_id)
        .select((ssh_keys::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    let open: Vec<(Option<i32>, i64)> = sessions::table
        .filter(sessions::user_id.eq_any(ids))
        .filter(sessions::expires_at.gt(super::now()))
        .group_by(sessions::user_id)
        .select((sessions::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(Facts {
        api_keys: api,
        ssh_keys: ssh.into_iter().collect(),
        sessions: open
            .into_iter()
            .filter_map(|(u, n)| u.map(|u| (u, n)))
            .collect(),
        assigned: super::alias::assigned_totals(conn, ids)?,
        two_factor: two_factor_logins(conn, ids)?,
    })
}

/// The logins among `ids` with a second factor; the review, its filter and the CSV read
/// only this.
pub fn two_factor_logins(conn: &mut DbConn, ids: &[i32]) -> QueryResult<HashSet<i32>> {
    super::two_factor::with_factor_among(conn, ids)
}

/// Up to `limit` servers of `reach` after id `after`, by id: (id, hostname).
pub fn servers_after(
    conn: &mut DbConn,
    reach: &Reach,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<(i32, String)>> {
    servers::table
        .filter(servers::id.gt(after))
        .filter(reach.filter(conn.backend()))
        .order(servers::id.asc())
        .limit(limit)
        .select((servers::id, servers::hostname))
        .load(conn)
}
