//! Jobs the server-control driver was asked to run (power, reinstall, rescue): who asked,
//! when, and how it ended. The list on a server page is the last few, never the history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::server_jobs;
use crate::db::DbConn;

pub const RUNNING: &str = "running";
pub const DONE: &str = "done";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = server_jobs)]
pub struct ServerJob {
    pub id: i32,
    pub server_id: i32,
    pub kind: String,
    pub detail: String,
    pub status: String,
    pub requested_by: Option<i32>,
    pub requested_by_name: String,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = server_jobs)]
pub struct NewServerJob<'a> {
    pub server_id: i32,
    pub kind: &'a str,
    pub detail: &'a str,
    pub status: &'a str,
    pub requested_by: Option<i32>,
    pub requested_by_name: &'a str,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl NewServerJob<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        crate::insert_returning_id!(conn, server_jobs::table, self, server_jobs::id)
    }
}

pub fn recent(conn: &mut DbConn, server_id: i32, limit: i64) -> QueryResult<Vec<ServerJob>> {
    server_jobs::table
        .filter(server_jobs::server_id.eq(server_id))
        .order(server_jobs::id.desc())
        .limit(limit)
        .select(ServerJob::as_select())
        .load(conn)
}

/// The server's unfinished jobs of one kind.
pub fn running(conn: &mut DbConn, server_id: i32, kind: &str) -> QueryResult<Vec<ServerJob>> {
    server_jobs::table
        .filter(server_jobs::server_id.eq(server_id))
        .filter(server_jobs::kind.eq(kind))
        .filter(server_jobs::status.eq(RUNNING))
        .order(server_jobs::id.asc())
        .select(ServerJob::as_select())
        .load(conn)
}

pub fn finish(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(server_jobs::table.find(id))
        .set((
            server_jobs::status.eq(DONE),
            server_jobs::finished_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The servers a reinstall or rescue job put a key with one of `fingerprints` on. Job
/// details name each installed key as "name (fingerprint)" (`driver::describe_keys`), so
/// the fingerprint in parentheses finds them; fingerprints hold no LIKE wildcards
/// (`SHA256:` and base64 without padding). Answers the server ids the `reach` includes
/// with their hostnames (by hostname), and how many others there are.
pub fn servers_with_keys(
    conn: &mut DbConn,
    fingerprints: &[String],
    reach: &crate::models::server::Reach,
) -> QueryResult<(Vec<String>, i64)> {
    use crate::db::schema::servers;
    let mut ids = std::collections::BTreeSet::new();
    for fp in fingerprints {
        if fp.contains(['%', '_', '\\']) {
            continue;
        }
        let found: Vec<i32> = server_jobs::table
            .filter(server_jobs::kind.eq_any(["reinstall", "rescue"]))
            .filter(server_jobs::detail.like(format!("%({fp})%")))
            .select(server_jobs::server_id)
            .distinct()
            .load(conn)?;
        ids.extend(found);
    }
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut inside = Vec::new();
    let mut existing = 0;
    for chunk in ids.chunks(500) {
        existing += servers::table
            .filter(servers::id.eq_any(chunk))
            .count()
            .get_result::<i64>(conn)?;
        let names: Vec<String> = servers::table
            .filter(servers::id.eq_any(chunk))
            .filter(reach.filter(conn.backend()))
            .select(servers::hostname)
            .load(conn)?;
        inside.extend(names);
    }
    inside.sort();
    let outside = existing - inside.len() as i64;
    Ok((inside, outside))
}
