//! "Nothing a user submits is lost on a crash once the panel answered it". The
//! real binary is SIGKILLed several times while eight writers create alias roles; after
//! each restart on the same database the database is intact and every role the panel had
//! acknowledged (303) is there, with its permission and its audit row (one transaction).
//!
//! The killed server is the only process holding the database: the test opens its own
//! connections only between a restart and the next kill, and checks before each kill that
//! it holds no descriptor of the SQLite file, so every restart runs SQLite's cold WAL
//! recovery. The connections the panel makes are checked for `synchronous = FULL` and WAL
//! (on PostgreSQL, `synchronous_commit = on`). Requests cut by a kill are counted one by
//! one: a request whose connection was refused never reached the server and is not one.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use steward::db::schema::{alias_role_permissions, alias_roles, audit_log};
use steward::db::{sqlite_path, Backend, DbConn};
use steward::models::now;
use steward::models::user::NewUser;
use tokio::task::JoinSet;

use super::{acknowledged, wait_until, Instance, Session};
use crate::helpers::{fresh_database, postgres_base, TempDir, TestApp};

const WRITERS: usize = 8;
/// Each writer sends at most this many requests per round (the kill usually comes first).
const MAX_PER_WRITER: usize = 400;
/// Milliseconds of writing after the first acknowledgements before each kill: early, in
/// the middle, late.
const KILL_AFTER_MS: [u64; 4] = [60, 250, 500, 900];

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = Text, column_name = "table")]
    table: String,
}

/// SQLite's own verdict on the file, through a connection of its own.
fn sqlite_is_intact(url: &str) {
    let mut c = SqliteConnection::establish(sqlite_path(url)).expect("open the database file");
    let verdict: Vec<Integrity> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut c)
        .expect("integrity_check");
    let verdict: Vec<&str> = verdict.iter().map(|r| r.integrity_check.as_str()).collect();
    assert_eq!(verdict, ["ok"], "PRAGMA integrity_check");
    let broken: Vec<ForeignKeyProblem> = diesel::sql_query("PRAGMA foreign_key_check")
        .load(&mut c)
        .expect("foreign_key_check");
    assert!(
        broken.is_empty(),
        "rows referencing missing rows in {:?}",
        broken.iter().map(|p| &p.table).collect::<Vec<_>>()
    );
}

/// A database of its own, reached only through short-lived connections made the way the
/// panel makes them (`steward::db::connect`), so that nothing in this process holds it
/// while the server is killed.
struct Database {
    url: String,
    pg_name: Option<String>,
    _dir: Option<TempDir>,
}

impl Database {
    fn new(backend: Backend) -> Database {
        let (url, pg_name, dir) = fresh_database(backend);
        let db = Database {
            url,
            pg_name,
            _dir: dir,
        };
        db.with(|c| steward::db::migrations::run_pending(c).expect("migrations"));
        db
    }

    /// Runs `f` on a connection of a pool that is closed again before this returns.
    fn with<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let pool = steward::db::connect(&self.url).expect("pool");
        let mut c = pool.get().expect("connection");
        let out = f(&mut c);
        drop(c);
        drop(pool);
        out
    }

    fn user(&self, kind: &str, username: &str, owner: Option<i32>) -> i32 {
        self.with(|c| {
            NewUser {
                kind,
                username,
                username_key: username,
                name: username,
                email: &format!("{username}@example.com"),
                password_hash: &TestApp::hash(),
                owner_id: owner,
                parent_id: None,
                role_id: None,
                all_servers: false,
                disabled: false,
                expires_on: None,
                created_at: now(),
            }
            .insert(c)
            .expect("fixture login")
        })
    }

    /// No descriptor of this process points at the SQLite file or its WAL.
    fn not_held_here(&self) {
        let path = std::fs::canonicalize(sqlite_path(&self.url)).expect("the database file");
        let held: Vec<_> = std::fs::read_dir("/proc/self/fd")
            .expect("/proc/self/fd")
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| {
                target
                    .to_string_lossy()
                    .starts_with(&*path.to_string_lossy())
            })
            .collect();
        assert!(
            held.is_empty(),
            "the test process itself holds {held:?}: the kill would not be a cold start"
        );
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut c) =
                diesel::PgConnection::establish(&format!("{}/postgres", postgres_base()))
            {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

#[derive(QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = Integer)]
    synchronous: i32,
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct SynchronousCommit {
    #[diesel(sql_type = Text)]
    synchronous_commit: String,
}

/// The panel's connections write through to disk before a write is acknowledged.
fn writes_are_durable(c: &mut DbConn) {
    match c {
        DbConn::Sqlite(c) => {
            let sync: Synchronous = diesel::sql_query("PRAGMA synchronous")
                .get_result(c)
                .expect("PRAGMA synchronous");
            assert_eq!(sync.synchronous, 2, "PRAGMA synchronous is FULL (2)");
            let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode")
                .get_result(c)
                .expect("PRAGMA journal_mode");
            assert_eq!(mode.journal_mode, "wal", "the journal is a WAL");
        }
        DbConn::Postgres(c) => {
            let sync: SynchronousCommit = diesel::sql_query("SHOW synchronous_commit")
                .get_result(c)
                .expect("SHOW synchronous_commit");
            assert_eq!(sync.synchronous_commit, "on", "synchronous_commit is on");
        }
    }
}

/// The account's roles are whole: each has exactly its one permission and its one audit
/// row, and no audit row names a role that is not there. Answers the role names.
fn roles_are_whole(c: &mut DbConn, account: i32) -> BTreeSet<String> {
    let roles: Vec<(i32, String)> = alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .select((alias_roles::id, alias_roles::name))
        .load(c)
        .expect("roles");
    let perms: Vec<(i32, String)> = alias_role_permissions::table
        .select((
            alias_role_permissions::role_id,
            alias_role_permissions::permission,
        ))
        .load(c)
        .expect("permissions");
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::account_id.eq(account))
        .filter(audit_log::action.eq("role.create"))
        .select(audit_log::target)
        .load(c)
        .expect("audit rows");
    let ids: BTreeSet<i32> = roles.iter().map(|r| r.0).collect();
    assert!(
        perms.iter().all(|(rid, _)| ids.contains(rid)),
        "a permission row names a missing role"
    );
    for (rid, name) in &roles {
        let held: Vec<&str> = perms
            .iter()
            .filter(|p| p.0 == *rid)
            .map(|p| p.1.as_str())
            .collect();
        assert_eq!(held, ["servers.view"], "permissions of role {name}");
    }
    let names: BTreeSet<String> = roles.into_iter().map(|r| r.1).collect();
    let mut audited_names: Vec<String> = audited
        .iter()
        .map(|t| t.strip_prefix("role ").unwrap_or(t).to_string())
        .collect();
    audited_names.sort();
    assert_eq!(
        audited_names,
        names.iter().cloned().collect::<Vec<_>>(),
        "one audit row per role, none without its role"
    );
    names
}

/// How a writer's last request ended.
enum LastRequest {
    /// It saw the stop signal before sending another.
    Stopped,
    /// The connection was refused: the server was already dead, nothing was in flight.
    Refused,
    /// The request was sent and its answer never came: the kill cut it.
    Cut(String),
}

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let db = Database::new(backend);
    let admin = db.user("admin", "boss", None);
    let account = db.user("user", "acme", Some(admin));
    let roles_path = format!("/users/{account}/roles");
    db.with(writes_are_durable);

    let mut server = Instance::start(&db.url);
    let session = Session::login(&server.address, "acme").await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let (mut kills, mut cut_total, mut refused_total, mut cut_landed) = (0, 0, 0, 0);
    let started = Instant::now();

    for (round, kill_after) in KILL_AFTER_MS.iter().enumerate() {
        let stop = Arc::new(AtomicBool::new(false));
        let round_acks = Arc::new(AtomicUsize::new(0));
        let mut writers = JoinSet::new();
        for w in 0..WRITERS {
            let (session, address, path) =
                (session.clone(), server.address.clone(), roles_path.clone());
            let (acked, stop, round_acks) = (acked.clone(), stop.clone(), round_acks.clone());
            writers.spawn(async move {
                for i in 0..MAX_PER_WRITER {
                    if stop.load(Ordering::SeqCst) {
                        return LastRequest::Stopped;
                    }
                    let name = format!("r{round}-w{w}-{i}");
                    let fields = [
                        ("name", name.as_str()),
                        ("description", "made under fire"),
                        ("permissions", "servers.view"),
                    ];
                    match session.post(&address, &path, &fields).await {
                        Ok(res) if acknowledged(&res, &path) => {
                            acked.lock().unwrap().push(name);
                            round_acks.fetch_add(1, Ordering::SeqCst);
                        }
                        // An answer that is not the acknowledgement is a product failure
                        // (a connection cut at the kill is an Err, below).
                        Ok(res) => panic!("writer {w} got {} for {name}", res.status()),
                        Err(e) if e.is_connect() => return LastRequest::Refused,
                        Err(_) => return LastRequest::Cut(name),
                    }
                }
                LastRequest::Stopped
            });
        }
        // Kill while the writers are busy: once some writes went through, a bit later.
        let acks = round_acks.clone();
        wait_until(Instant::now() + Duration::from_secs(20), || {
            acks.load(Ordering::SeqCst) >= WRITERS
        })
        .await;
        tokio::time::sleep(Duration::from_millis(*kill_after)).await;
        let in_round = round_acks.load(Ordering::SeqCst);
        assert!(
            in_round >= WRITERS,
            "round {round}: the writers were writing"
        );
        if backend == Backend::Sqlite {
            db.not_held_here();
        }
        server.kill();
        kills += 1;
        stop.store(true, Ordering::SeqCst);
        let mut cut = Vec::new();
        let joined = tokio::time::timeout(Duration::from_secs(40), async {
            while let Some(r) = writers.join_next().await {
                match r.expect("a writer panicked") {
                    LastRequest::Cut(name) => cut.push(name),
                    LastRequest::Refused => refused_total += 1,
                    LastRequest::Stopped => {}
                }
            }
        })
        .await;
        assert!(joined.is_ok(), "the writers stopped after the kill");
        cut_total += cut.len();

        // The restarted server is the first to open the file: it runs the WAL recovery.
        server = Instance::start(&db.url);
        // The session lives in the database: it outlives the crash.
        session.get_html(&server.address, &roles_path).await;
        let present = db.with(|c| {
            if backend == Backend::Sqlite {
                sqlite_is_intact(&db.url);
            }
            writes_are_durable(c);
            roles_are_whole(c, account)
        });
        let acked_now = acked.lock().unwrap().clone();
        let lost: Vec<&String> = acked_now.iter().filter(|n| !present.contains(*n)).collect();
        assert!(
            lost.is_empty(),
            "after kill {kills}: acknowledged roles lost: {lost:?}"
        );
        // A cut request may or may not have landed; either way it landed whole (above).
        cut_landed += cut.iter().filter(|n| present.contains(*n)).count();
    }
    let verified = acked.lock().unwrap().len();
    let present = db.with(|c| roles_are_whole(c, account).len());
    drop(server);
    eprintln!(
        "crash safety ({backend:?}): {kills} SIGKILLs survived, {verified} acknowledged writes \
         verified after every restart ({present} rows present); {cut_total} requests cut in \
         flight by the kills ({cut_landed} of them landed whole), {refused_total} refused \
         after the kill; in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 3 && verified > 0);
    assert!(cut_total > 0, "the kills cut requests in flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    acknowledged_writes_survive_sigkill(Backend::Postgres).await;
}
