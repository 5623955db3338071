//! SPEC §6: "Nothing a user submits is lost on a crash once the panel answered it". The
//! real binary is SIGKILLed several times while eight writers create alias roles; after
//! each restart on the same database the database is intact and every role the panel had
//! acknowledged (303) is there, with its permission and its audit row (one transaction).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;
use steward::db::schema::{alias_role_permissions, alias_roles, audit_log};
use steward::db::{sqlite_path, Backend};
use tokio::task::JoinSet;

use super::{acknowledged, wait_until, Instance, Session};
use crate::helpers::{spawn_app, TestApp};

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

/// The account's roles are whole: each has exactly its one permission and its one audit
/// row, and no audit row names a role that is not there. Answers the role names.
fn roles_are_whole(app: &TestApp, account: i32) -> BTreeSet<String> {
    let mut c = app.conn();
    let roles: Vec<(i32, String)> = alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .select((alias_roles::id, alias_roles::name))
        .load(&mut *c)
        .expect("roles");
    let perms: Vec<(i32, String)> = alias_role_permissions::table
        .select((
            alias_role_permissions::role_id,
            alias_role_permissions::permission,
        ))
        .load(&mut *c)
        .expect("permissions");
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::account_id.eq(account))
        .filter(audit_log::action.eq("role.create"))
        .select(audit_log::target)
        .load(&mut *c)
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

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let account = app.customer("acme", admin);
    let roles_path = format!("/users/{account}/roles");

    let mut server = Instance::start(&app.database_url);
    let session = Session::login(&server.address, "acme").await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let (mut kills, mut unanswered) = (0, 0);
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
                        return 0;
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
                        Err(_) => return 1,
                    }
                }
                0
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
        server.kill();
        kills += 1;
        stop.store(true, Ordering::SeqCst);
        let mut cut = 0;
        let joined = tokio::time::timeout(Duration::from_secs(40), async {
            while let Some(r) = writers.join_next().await {
                cut += r.expect("a writer panicked");
            }
        })
        .await;
        assert!(joined.is_ok(), "the writers stopped after the kill");
        assert!(cut > 0, "round {round}: the kill cut requests in flight");
        unanswered += cut;

        server = Instance::start(&app.database_url);
        if backend == Backend::Sqlite {
            sqlite_is_intact(&app.database_url);
        }
        let present = roles_are_whole(&app, account);
        let acked_now = acked.lock().unwrap().clone();
        let lost: Vec<&String> = acked_now.iter().filter(|n| !present.contains(*n)).collect();
        assert!(
            lost.is_empty(),
            "after kill {kills}: acknowledged roles lost: {lost:?}"
        );
        // The session lives in the database: it outlives the crash.
        session.get_html(&server.address, &roles_path).await;
    }
    let verified = acked.lock().unwrap().len();
    let present = roles_are_whole(&app, account).len();
    eprintln!(
        "crash safety ({backend:?}): {kills} SIGKILLs survived, {verified} acknowledged writes \
         verified after every restart ({present} rows present, {unanswered} requests cut by \
         the kills), in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 3 && verified > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    acknowledged_writes_survive_sigkill(Backend::Postgres).await;
}
