//! `steward backup --to FILE` takes a consistent copy of the SQLite database
//! while the panel serves writes; a panel booted on the copy finds an intact database
//! holding every write acknowledged before the backup began. On PostgreSQL the command
//! refuses and points to pg_dump.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use steward::db::schema::alias_roles;
use steward::db::{sqlite_path, Backend};
use tokio::task::JoinSet;

use crate::helpers::{spawn_app, temp_dir};
use crate::resilience::{acknowledged, Instance, Session};

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn backup(database_url: &str, to: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["backup", "--to"])
        .arg(to)
        .env("STEWARD_DATABASE_URL", database_url)
        .env_remove("STEWARD_SECRET_KEY")
        .output()
        .expect("run steward backup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_concurrent_writes_is_intact_and_holds_every_write_acknowledged_before_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin("boss");
    let account = app.customer("acme", admin);
    let roles_path = format!("/users/{account}/roles");
    let session = Session::login(&app.address, "acme").await;

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = JoinSet::new();
    for w in 0..4 {
        let (session, address, path) = (session.clone(), app.address.clone(), roles_path.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        writers.spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let name = format!("w{w}-{i}");
                let fields = [("name", name.as_str()), ("permissions", "servers.view")];
                let res = session
                    .post(&address, &path, &fields)
                    .await
                    .expect("answer");
                assert!(acknowledged(&res, &path), "{name}: {}", res.status());
                acked.lock().unwrap().push(name);
                i += 1;
            }
        });
    }
    // Let the writers get going, then back up while they keep writing.
    while acked.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_backup: Vec<String> = acked.lock().unwrap().clone();
    let dir = temp_dir();
    let copy = dir.0.join("copy.db");
    let (url, to) = (app.database_url.clone(), copy.clone());
    let out = tokio::task::spawn_blocking(move || backup(&url, &to))
        .await
        .unwrap();
    let during_backup = acked.lock().unwrap().len() - before_backup.len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    while let Some(r) = writers.join_next().await {
        r.expect("a writer failed");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Backup written to"), "{stdout}");
    let total = acked.lock().unwrap().len();
    assert!(
        total > before_backup.len(),
        "the panel kept taking writes around the backup"
    );

    // A panel boots on the copy and serves it.
    let copy_url = copy.to_string_lossy().to_string();
    let panel = Instance::start(&copy_url);
    let on_copy = Session::login(&panel.address, "acme").await;
    let page = on_copy.get_html(&panel.address, &roles_path).await;
    assert!(page.contains(&before_backup[0]));
    let mut c = SqliteConnection::establish(sqlite_path(&copy_url)).unwrap();
    let verdict: Vec<Integrity> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut c)
        .unwrap();
    assert_eq!(verdict.len(), 1);
    assert_eq!(verdict[0].integrity_check, "ok");
    let present: BTreeSet<String> = alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .select(alias_roles::name)
        .load(&mut c)
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = before_backup
        .iter()
        .filter(|n| !present.contains(*n))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged before the backup, missing from it: {lost:?}"
    );
    eprintln!(
        "backup: {} writes acknowledged before it, all in the copy; {during_backup} during it; \
         {} rows in the copy of {total} acknowledged in all",
        before_backup.len(),
        present.len()
    );
    drop(panel);

    // A backup never overwrites a file.
    let out = backup(&app.database_url, &copy);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_backup_refuses_and_points_to_pg_dump() {
    let app = spawn_app(Backend::Postgres).await;
    let dir = temp_dir();
    let target = dir.0.join("copy.db");
    let out = backup(&app.database_url, &target);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pg_dump") && stderr.contains("pg_restore"),
        "{stderr}"
    );
    assert!(!target.exists(), "nothing is written");
}
