//! Alias users as their parent account sees them: listing with search and pages, their
//! server assignments (`alias_servers`), role, status and deletion. An alias user is a
//! `users` row of kind "alias" with a parent; every query here is filtered by that parent
//! so another account's alias id is as absent as a missing one.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::reach::Reach;
use super::user::{lower, page_by_username, User};
use super::{like_pattern, Page};
use crate::db::schema::{alias_servers, servers, users};
use crate::db::{DbConn, MultiBackend};

/// The alias user `aid` of `account_id`, or None (missing, or another account's).
pub fn find_in_account(conn: &mut DbConn, account_id: i32, aid: i32) -> QueryResult<Option<User>> {
    users::table
        .filter(users::id.eq(aid))
        .filter(users::parent_id.eq(account_id))
        .filter(users::kind.eq("alias"))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The account's alias users, searched by username or e-mail, one page at a time.
pub fn list(
    conn: &mut DbConn,
    account_id: i32,
    q: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<Page<User>> {
    let pattern = like_pattern(q, false);
    let filtered = || {
        let mut query = users::table
            .filter(users::parent_id.eq(account_id))
            .filter(users::kind.eq("alias"))
            .into_boxed();
        if !q.trim().is_empty() {
            query = query.filter(
                users::username_key
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(users::email).like(pattern.clone()).escape('\\')),
            );
        }
        query
    };
    page_by_username(conn, filtered, page, per_page)
}

/// How many servers each alias user has assigned: the count the database keeps with each
/// alias user (migration 4), so a page of 50 reads 50 numbers however many servers they
/// hold. Assignments never outlive the parent's hold on a server (the
/// `servers_holders_changed` trigger), so this is also the number its parent still holds.
pub fn assigned_totals(conn: &mut DbConn, alias_ids: &[i32]) -> QueryResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i32)> = users::table
        .filter(users::id.eq_any(alias_ids))
        .select((users::id, users::assigned_servers))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, n)| (id, i64::from(n))).collect())
}

/// How many of each alias user's assigned servers lie within `reach` (a manager's
/// narrower reach), in one query.
///
/// Both forms start from the page's rows of `alias_servers` and look each server up by
/// primary key, so the cost follows the page's assignments, not the account's servers:
/// - SQLite: `CROSS JOIN`, which SQLite takes as "alias_servers is the outer loop"; as an
///   inner join it walked every server of the account and probed each alias user for it
///   (10,000 servers × 50 rows: 60 ms per call).
/// - PostgreSQL: a correlated subquery per row; it planned the join as a merge join along
///   the primary key of every server of the account (3.8 ms at 10,000 servers, 1.8 ms as
///   written here; BENCHMARKS.md, fix 9).
///
/// Only integers are written into the statement (the ids and `Reach::sql_condition`, which
/// holds only ids).
pub fn assigned_counts(
    conn: &mut DbConn,
    alias_ids: &[i32],
    reach: &Reach,
) -> QueryResult<HashMap<i32, i64>> {
    if alias_ids.is_empty() {
        return Ok(HashMap::new());
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        alias_id: i32,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let ids: Vec<String> = alias_ids.iter().map(i32::to_string).collect();
    let (ids, reach) = (ids.join(", "), reach.sql_condition());
    let sql = match conn {
        DbConn::Sqlite(_) => format!(
            "SELECT alias_servers.alias_id AS alias_id, COUNT(*) AS n \
             FROM alias_servers CROSS JOIN servers \
             WHERE servers.id = alias_servers.server_id \
             AND alias_servers.alias_id IN ({ids}) AND {reach} \
             GROUP BY alias_servers.alias_id"
        ),
        DbConn::Postgres(_) => format!(
            "SELECT alias_servers.alias_id AS alias_id, COUNT(*) AS n \
             FROM alias_servers \
             WHERE alias_servers.alias_id IN ({ids}) \
             AND (SELECT 1 FROM servers WHERE servers.id = alias_servers.server_id \
                  AND {reach} LIMIT 1) IS NOT NULL \
             GROUP BY alias_servers.alias_id"
        ),
    };
    let rows: Vec<Count> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.alias_id, r.n)).collect())
}

/// Which of `server_ids` are assigned to the alias user.
pub fn assigned_among(
    conn: &mut DbConn,
    alias_id: i32,
    server_ids: &[i32],
) -> QueryResult<Vec<i32>> {
    if server_ids.is_empty() {
        return Ok(Vec::new());
    }
    alias_servers::table
        .filter(alias_servers::alias_id.eq(alias_id))
        .filter(alias_servers::server_id.eq_any(server_ids))
        .select(alias_servers::server_id)
        .load(conn)
}

/// The servers assigned to the alias user, as a query to narrow further.
fn assigned_servers(alias_id: i32) -> servers::BoxedQuery<'static, MultiBackend> {
    servers::table
        .filter(
            servers::id.eq_any(
                alias_servers::table
                    .filter(alias_servers::alias_id.eq(alias_id))
                    .select(alias_servers::server_id),
            ),
        )
        .into_boxed()
}

/// How many of the alias user's assigned servers (within `parent_reach`) lie outside
/// `reach`: zero means `reach` covers everything the alias user reaches.
pub fn assigned_outside(
    conn: &mut DbConn,
    alias_id: i32,
    parent_reach: &Reach,
    reach: &Reach,
) -> QueryResult<i64> {
    // When `reach` includes the whole parent reach (the account's own login, an admin),
    // nothing can lie outside it; the query would walk every assigned server to say 0.
    if reach.includes(parent_reach) {
        return Ok(0);
    }
    let outside = Reach::Both(Box::new(parent_reach.clone()), Box::new(reach.clone()));
    assigned_servers(alias_id)
        .filter(parent_reach.filter_beside_keys(conn.backend()))
        .filter(diesel::dsl::not(outside.filter_beside_keys(conn.backend())))
        .count()
        .get_result(conn)
}

/// The alias user's assigned servers that lie within `reach`, by id (a `PUT` of its
/// server list compares against these, and answers them).
pub fn assigned_within(conn: &mut DbConn, alias_id: i32, reach: &Reach) -> QueryResult<Vec<i32>> {
    assigned_servers(alias_id)
        .filter(reach.filter_beside_keys(conn.backend()))
        .order(servers::id)
        .select(servers::id)
        .load(conn)
}

/// How many of `server_ids` lie within `reach` (to check a submitted set in one query).
pub fn count_within(conn: &mut DbConn, reach: &Reach, server_ids: &[i32]) -> QueryResult<i64> {
    if server_ids.is_empty() {
        return Ok(0);
    }
    servers::table
        .filter(servers::id.eq_any(server_ids))
        .filter(reach.filter_beside_keys(conn.backend()))
        .count()
        .get_result(conn)
}

/// Assigns servers (those already assigned are left as they are). ON CONFLICT DO NOTHING
/// makes two managers assigning the same server at once both succeed with one row.
pub fn assign(conn: &mut DbConn, alias_id: i32, server_ids: &[i32]) -> QueryResult<usize> {
    if server_ids.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = server_ids
        .iter()
        .map(|id| {
            (
                alias_servers::alias_id.eq(alias_id),
                alias_servers::server_id.eq(*id),
            )
        })
        .collect();
    let mut inserted = 0;
    // Batches keep each statement well under SQLite's bound-parameter limit.
    for chunk in rows.chunks(400) {
        let insert = diesel::insert_into(alias_servers::table)
            .values(chunk)
            .on_conflict_do_nothing();
        inserted += crate::on_backend!(conn, c => insert.execute(c))?;
    }
    Ok(inserted)
}

pub fn unassign(conn: &mut DbConn, alias_id: i32, server_ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(
        alias_servers::table
            .filter(alias_servers::alias_id.eq(alias_id))
            .filter(alias_servers::server_id.eq_any(server_ids)),
    )
    .execute(conn)
}

pub fn unassign_all(conn: &mut DbConn, alias_id: i32) -> QueryResult<usize> {
    diesel::delete(alias_servers::table.filter(alias_servers::alias_id.eq(alias_id))).execute(conn)
}

pub fn set_all_servers(conn: &mut DbConn, alias_id: i32, all: bool) -> QueryResult<()> {
    diesel::update(users::table.find(alias_id))
        .set(users::all_servers.eq(all))
        .execute(conn)
        .map(|_| ())
}

pub fn set_role(conn: &mut DbConn, alias_id: i32, role_id: i32) -> QueryResult<()> {
    diesel::update(users::table.find(alias_id))
        .set(users::role_id.eq(Some(role_id)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_disabled(conn: &mut DbConn, alias_id: i32, disabled: bool) -> QueryResult<()> {
    diesel::update(users::table.find(alias_id))
        .set(users::disabled.eq(disabled))
        .execute(conn)
        .map(|_| ())
}

pub fn set_profile(
    conn: &mut DbConn,
    alias_id: i32,
    email: &str,
    expires_on: Option<NaiveDate>,
) -> QueryResult<()> {
    diesel::update(users::table.find(alias_id))
        .set((users::email.eq(email), users::expires_on.eq(expires_on)))
        .execute(conn)
        .map(|_| ())
}

/// Deletes the alias user; its sessions, keys and assignments go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut DbConn, alias_id: i32) -> QueryResult<()> {
    diesel::delete(alias_servers::table.filter(alias_servers::alias_id.eq(alias_id)))
        .execute(conn)?;
    diesel::delete(
        users::table
            .filter(users::id.eq(alias_id))
            .filter(users::kind.eq("alias")),
    )
    .execute(conn)
    .map(|_| ())
}

/// How many servers one alias user reaches through its assignments (the count the
/// database keeps; see `assigned_totals`).
pub fn assigned_total(conn: &mut DbConn, alias_id: i32) -> QueryResult<i64> {
    Ok(assigned_totals(conn, &[alias_id])?
        .get(&alias_id)
        .copied()
        .unwrap_or(0))
}

/// The alias users holding a role (every one of them: a role edit changes them all).
pub fn holding_role(conn: &mut DbConn, role_id: i32) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::role_id.eq(role_id))
        .filter(users::kind.eq("alias"))
        .select(User::as_select())
        .load(conn)
}
