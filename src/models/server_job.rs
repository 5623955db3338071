//! Jobs the server-control driver was asked to run (power, reinstall, rescue): who asked,
//! what to ask the controller (`command`, JSON), and how it went. An action writes its job
//! `queued`, with its audit row, in one transaction; the driver worker (`jobs::driver`)
//! claims it with a lease (`locked_until`, counting the attempt), calls the controller
//! with no transaction open, and records the outcome here. The list on a server page is
//! the last few, never the history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::server_jobs;
use crate::db::DbConn;

/// Written by the action; no worker has it yet.
pub const QUEUED: &str = "queued";
/// A worker is asking the controller (its lease says until when at most).
pub const CALLING: &str = "calling";
/// The controller accepted and the hardware is still at work (a reinstall).
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
/// The controller refused, did not answer in time, or the call was lost too often.
pub const FAILED: &str = "failed";

/// Claims a job gets before a worker that keeps dying mid-call gives it up: a command
/// that kills the instance calling it must not kill every instance in turn.
pub const MAX_ATTEMPTS: i32 = 3;

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
    pub command: String,
    pub attempts: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub outcome: String,
}

impl ServerJob {
    /// Still to be called, or being called: the page shows its progress.
    pub fn pending(&self) -> bool {
        self.status == QUEUED || self.status == CALLING
    }
}

/// A job to queue: what the action asks, described for people (`detail`) and for the
/// worker (`command`).
#[derive(Debug)]
pub struct NewServerJob<'a> {
    pub server_id: i32,
    pub kind: &'a str,
    pub detail: &'a str,
    pub command: &'a str,
    pub requested_by: Option<i32>,
    pub requested_by_name: &'a str,
}

impl NewServerJob<'_> {
    /// Queues the job, due at once. Call it in the transaction of the action's audit row.
    pub fn queue(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<i32> {
        crate::insert_returning_id!(
            conn,
            server_jobs::table,
            (
                server_jobs::server_id.eq(self.server_id),
                server_jobs::kind.eq(self.kind),
                server_jobs::detail.eq(self.detail),
                server_jobs::command.eq(self.command),
                server_jobs::status.eq(QUEUED),
                server_jobs::requested_by.eq(self.requested_by),
                server_jobs::requested_by_name.eq(self.requested_by_name),
                server_jobs::created_at.eq(now),
            ),
            server_jobs::id
        )
    }
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<ServerJob>> {
    server_jobs::table
        .find(id)
        .select(ServerJob::as_select())
        .first(conn)
        .optional()
}

pub fn recent(conn: &mut DbConn, server_id: i32, limit: i64) -> QueryResult<Vec<ServerJob>> {
    server_jobs::table
        .filter(server_jobs::server_id.eq(server_id))
        .order(server_jobs::id.desc())
        .limit(limit)
        .select(ServerJob::as_select())
        .load(conn)
}

/// The server's jobs in one state, of one kind, oldest first.
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

/// A job a worker may take now: queued, or being called by a worker whose lease ran out
/// (its instance died mid-call). The worker's cheap look and its claim ask the same.
#[diesel::dsl::auto_type(no_type_alias)]
fn is_due(now: NaiveDateTime) -> _ {
    let queued: &'static str = QUEUED;
    let calling: &'static str = CALLING;
    server_jobs::status.eq(queued).or(server_jobs::status
        .eq(calling)
        .and(server_jobs::locked_until.lt(now)))
}

/// True when a job is due (a cheap read outside any transaction, so an idle worker never
/// takes SQLite's write lock).
pub fn any_due(c: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    server_jobs::table
        .filter(is_due(now))
        .select(server_jobs::id)
        .first::<i32>(c)
        .optional()
        .map(|found| found.is_some())
}

/// Claims up to `batch` due jobs for `lease`, oldest first, at most one per server and
/// none of a server that has a job being called: a server's jobs run one at a time, in
/// the order they were asked for. Each claim counts an attempt, which is the claim's
/// token (`record_outcome` writes only while the attempt is still the job's). A job
/// whose worker died `MAX_ATTEMPTS` times is failed instead. On PostgreSQL the rows are
/// selected `FOR UPDATE SKIP LOCKED`, so instances claiming together never take the same
/// job; two instances claiming in the same instant may each take a different job of one
/// server, the one case where a server's jobs can overlap.
pub fn claim_due(
    c: &mut DbConn,
    now: NaiveDateTime,
    lease: chrono::Duration,
    batch: i64,
) -> QueryResult<Vec<ServerJob>> {
    crate::db::transaction(c, |c| {
        // Candidates beyond `batch`: several may belong to one server.
        let q = server_jobs::table
            .filter(is_due(now))
            .order(server_jobs::id)
            .limit(batch * 4)
            .select((
                server_jobs::id,
                server_jobs::server_id,
                server_jobs::attempts,
            ));
        let candidates: Vec<(i32, i32, i32)> = match c {
            DbConn::Postgres(pg) => q.for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(lite) => q.load(lite)?,
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let servers: Vec<i32> = candidates.iter().map(|(_, s, _)| *s).collect();
        let busy: Vec<i32> = server_jobs::table
            .filter(server_jobs::server_id.eq_any(&servers))
            .filter(server_jobs::status.eq(CALLING))
            .filter(server_jobs::locked_until.ge(now))
            .select(server_jobs::server_id)
            .load(c)?;
        let mut taken_servers = std::collections::HashSet::new();
        let mut claim = Vec::new();
        let mut given_up = Vec::new();
        for (id, server, attempts) in candidates {
            if busy.contains(&server) || !taken_servers.insert(server) {
                continue;
            }
            if attempts >= MAX_ATTEMPTS {
                given_up.push(id);
            } else if (claim.len() as i64) < batch {
                claim.push(id);
            }
        }
        if !given_up.is_empty() {
            diesel::update(server_jobs::table.filter(server_jobs::id.eq_any(&given_up)))
                .set((
                    server_jobs::status.eq(FAILED),
                    server_jobs::finished_at.eq(Some(now)),
                    server_jobs::locked_until.eq(None::<NaiveDateTime>),
                    server_jobs::outcome.eq(format!(
                        "given up: the panel stopped while calling the controller {MAX_ATTEMPTS} times"
                    )),
                ))
                .execute(c)?;
        }
        if claim.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(server_jobs::table.filter(server_jobs::id.eq_any(&claim)))
            .set((
                server_jobs::status.eq(CALLING),
                server_jobs::locked_until.eq(Some(now + lease)),
                server_jobs::attempts.eq(server_jobs::attempts + 1),
            ))
            .execute(c)?;
        server_jobs::table
            .filter(server_jobs::id.eq_any(&claim))
            .order(server_jobs::id)
            .select(ServerJob::as_select())
            .load(c)
    })
}

/// Records how a claimed call ended: `status` (done, running or failed) and the
/// controller's message. Writes only while the claim is still this worker's (same
/// attempt, still calling): a worker whose lease ran out and whose job was taken up
/// elsewhere records nothing. Answers whether it recorded.
pub fn record_outcome(
    c: &mut DbConn,
    job: &ServerJob,
    status: &str,
    outcome: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let outcome: String = outcome.chars().take(500).collect();
    let finished = (status != RUNNING).then_some(now);
    let n = diesel::update(
        server_jobs::table
            .find(job.id)
            .filter(server_jobs::status.eq(CALLING))
            .filter(server_jobs::attempts.eq(job.attempts)),
    )
    .set((
        server_jobs::status.eq(status),
        server_jobs::outcome.eq(outcome),
        server_jobs::locked_until.eq(None::<NaiveDateTime>),
        server_jobs::finished_at.eq(finished),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// How many jobs are in each unfinished state (for the metrics).
pub fn pending_counts(c: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    server_jobs::table
        .filter(server_jobs::status.eq_any([QUEUED, CALLING, RUNNING]))
        .group_by(server_jobs::status)
        .select((server_jobs::status, diesel::dsl::count_star()))
        .load(c)
}

/// The servers a reinstall or rescue job put a key with one of `fingerprints` on. Job
/// details name each installed key as "name (fingerprint)" (`driver::describe_keys`), so
/// the fingerprint in parentheses finds them; fingerprints hold no LIKE wildcards
/// (`SHA256:` and base64 without padding). Answers the server ids the `reach` includes
/// with their hostnames (by hostname), and how many others there are.
pub fn servers_with_keys(
    conn: &mut DbConn,
    fingerprints: &[String],
    reach: &crate::models::reach::Reach,
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
