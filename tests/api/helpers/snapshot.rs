//! Everything the database holds, for "a refused request changed nothing". The tables are
//! listed from the database itself (sqlite_master, information_schema) and every row of
//! every table is dumped as JSON text, so a table or column added later is covered without
//! anyone remembering to add it here. Only what a request is expected to move whatever it
//! asks for is left out, each named below with its reason: four timestamps, the mail
//! worker's bookkeeping of each queued mail, a session's
//! flash message and CSRF token (its login and impersonation state stay in), and the
//! heartbeat table that a background task writes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use steward::db::DbConn;

use crate::helpers::TestApp;

/// (table, column) pairs left out of the snapshot.
const MOVES_ON_EVERY_REQUEST: &[(&str, &str)] = &[
    // Logging a fixture in sets it; a request under test does not.
    ("users", "last_login_at"),
    // The idle timeout slides forward with every request of a session.
    ("sessions", "expires_at"),
    // When a session was last seen moves with its use as its expiry does.
    ("sessions", "last_seen_at"),
    // Written (at most once a minute) by every call with the key, refused or not.
    ("api_keys", "last_used_at"),
    // The mail worker's bookkeeping, written in the background whenever a mail is due
    // (claimed, sent, retried; a sensitive body blanked once sent). A mail that appears
    // or disappears under a request is still seen: its other columns stay in.
    ("mail_outbox", "status"),
    ("mail_outbox", "attempts"),
    ("mail_outbox", "next_attempt_at"),
    ("mail_outbox", "locked_until"),
    ("mail_outbox", "last_error"),
    ("mail_outbox", "sent_at"),
    ("mail_outbox", "body_text"),
    ("mail_outbox", "body_html"),
];

/// Tables left out whole: the readiness probe's heartbeat row is written every few hundred
/// milliseconds whatever the requests do, and its first write may land after a test's
/// first snapshot on a loaded machine (the row then "appears" under a request that did
/// not write it).
const WRITTEN_BY_BACKGROUND_TASKS: &[&str] = &["heartbeats"];

/// Keys of a session's state that every page view may write: the flash message (shown
/// once, then removed), the CSRF token (made on first use) and the session's own public id
/// (set with its row). Who the session is logged in as and whom it impersonates stay in
/// the snapshot.
const SESSION_BOOKKEEPING: &[&str] = &["flash", "csrf", "session_id"];

/// A session row without its bookkeeping; None for an anonymous session that holds
/// nothing else (a visitor's CSRF token for the login form).
fn session_row(row: &str) -> Option<String> {
    let mut cols: Vec<serde_json::Value> = serde_json::from_str(row).expect("a JSON row");
    let mut anonymous = false;
    for col in cols.iter_mut() {
        if let Some(state) = col.as_str().and_then(|s| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).ok()
        }) {
            let mut state = state;
            for k in SESSION_BOOKKEEPING {
                state.remove(*k);
            }
            anonymous = state.is_empty();
            *col = serde_json::Value::Object(state);
        }
    }
    // Columns: key_hash, user_id, impersonator_id, state, created_at.
    if anonymous && cols.get(1).is_some_and(|u| u.is_null()) {
        return None;
    }
    Some(serde_json::Value::Array(cols).to_string())
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

/// Every table's rows, sorted, as JSON arrays of their columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Vec<String>>);

impl Snapshot {
    /// The tables whose rows differ between `self` and `after`.
    pub fn changed_tables(&self, after: &Snapshot) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> =
            self.0.keys().chain(after.0.keys()).collect();
        names
            .into_iter()
            .filter(|t| self.0.get(*t) != after.0.get(*t))
            .cloned()
            .collect()
    }

    /// Rows of `table` in `after` that are not in `self`.
    pub fn added_rows(&self, after: &Snapshot, table: &str) -> Vec<String> {
        let before = self.0.get(table).cloned().unwrap_or_default();
        after
            .0
            .get(table)
            .into_iter()
            .flatten()
            .filter(|r| !before.contains(r))
            .cloned()
            .collect()
    }

    /// A short account of what differs, for a failure message.
    pub fn describe_change(&self, after: &Snapshot) -> String {
        self.changed_tables(after)
            .iter()
            .map(|t| {
                // A table without rows is absent from a snapshot.
                let (was, now) = (self.0.get(t), after.0.get(t));
                let gone: Vec<&String> = was
                    .into_iter()
                    .flatten()
                    .filter(|r| !now.is_some_and(|n| n.contains(r)))
                    .take(2)
                    .collect();
                let new = self.added_rows(after, t);
                format!("{t}: -{gone:.200?} +{:.200?}", &new[..new.len().min(2)])
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn strings(c: &mut DbConn, sql: &str) -> Vec<String> {
    let rows: Vec<One> = steward::on_backend!(c, c => diesel::sql_query(sql).load(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.v).collect()
}

/// The one query that dumps every table, built once per database from its own table and
/// column lists (they do not change while a test runs).
fn dump_query(app: &TestApp, c: &mut DbConn) -> String {
    static QUERIES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    if let Some(q) = QUERIES.lock().unwrap().get(&app.database_url) {
        return q.clone();
    }
    let postgres = matches!(c, DbConn::Postgres(_));
    let tables = if postgres {
        strings(
            c,
            "SELECT table_name::text AS v FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
    } else {
        strings(
            c,
            "SELECT name AS v FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
    };
    assert!(
        tables.iter().any(|t| t == "sessions") && tables.len() >= 13,
        "the table list was read: {tables:?}"
    );
    let mut parts = Vec::new();
    for table in tables
        .into_iter()
        .filter(|t| !WRITTEN_BY_BACKGROUND_TASKS.contains(&t.as_str()))
    {
        let columns: Vec<String> = if postgres {
            strings(
                c,
                &format!(
                    "SELECT column_name::text AS v FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = '{table}' \
                     ORDER BY ordinal_position"
                ),
            )
        } else {
            strings(
                c,
                &format!("SELECT name AS v FROM pragma_table_info('{table}') ORDER BY cid"),
            )
        }
        .into_iter()
        .filter(|col| !MOVES_ON_EVERY_REQUEST.contains(&(table.as_str(), col.as_str())))
        .collect();
        let list = columns
            .iter()
            .map(|col| format!("\"{col}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let row = if postgres {
            format!("json_build_array({list})::text")
        } else {
            format!("json_array({list})")
        };
        parts.push(format!(
            "SELECT '{table}' || '|' || {row} AS v FROM \"{table}\""
        ));
    }
    let q = parts.join(" UNION ALL ");
    QUERIES
        .lock()
        .unwrap()
        .insert(app.database_url.clone(), q.clone());
    q
}

/// Every row of every table the database holds.
pub fn snapshot(app: &TestApp) -> Snapshot {
    let mut c = app.conn();
    let c: &mut DbConn = &mut c;
    let q = dump_query(app, c);
    let mut all: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in strings(c, &q) {
        let (table, row) = line.split_once('|').expect("table|row");
        let row = if table == "sessions" {
            match session_row(row) {
                Some(r) => r,
                None => continue,
            }
        } else {
            row.to_string()
        };
        all.entry(table.to_string()).or_default().push(row);
    }
    for rows in all.values_mut() {
        rows.sort();
    }
    Snapshot(all)
}

/// Every row, once the server-control driver is at rest: no job waits for the driver
/// worker or is being called, and no reinstall is still running (its time is taken as up
/// and the driver's own refresh finishes it, as the next page view would). Without this,
/// a job an earlier accepted request queued can end inside a later request's before/after
/// window, and its end passes for that request's change.
pub async fn snapshot_at_rest(app: &TestApp) -> Snapshot {
    use diesel::prelude::*;
    use steward::db::schema::{server_jobs, servers};
    use steward::driver::builtin::REINSTALL_SECONDS;
    use steward::models::server::Server;
    use steward::models::server_job::{CALLING, QUEUED, RUNNING};

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pending: i64 = server_jobs::table
            .filter(server_jobs::status.eq_any([QUEUED, CALLING]))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} server jobs still wait for the driver worker after a minute"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut c = app.conn();
    let running: Vec<(i32, chrono::NaiveDateTime)> = server_jobs::table
        .filter(server_jobs::status.eq(RUNNING))
        .select((server_jobs::id, server_jobs::created_at))
        .load(&mut c)
        .unwrap();
    for (id, created_at) in running {
        let taken = chrono::Duration::seconds(REINSTALL_SECONDS + 1);
        diesel::update(server_jobs::table.find(id))
            .set(server_jobs::created_at.eq(created_at - taken))
            .execute(&mut c)
            .unwrap();
    }
    let reinstalling: Vec<i32> = servers::table
        .filter(servers::status.eq("reinstalling"))
        .select(servers::id)
        .load(&mut c)
        .unwrap();
    for id in reinstalling {
        let server = Server::find(&mut c, id).unwrap().unwrap();
        steward::driver::for_server(&server)
            .refresh(&mut c, &server)
            .unwrap();
    }
    drop(c);
    snapshot(app)
}
