//! The `bench-data` binary (src/bin/bench-data): it builds the benchmark's installation on
//! an empty database only, prints the logins and the BENCH_* lines bench/run.sh reads, and
//! those logins work with the bench password.

use std::collections::HashMap;

use diesel::prelude::*;
use steward::db::schema::{alias_servers, servers, users};

use crate::helpers::TestApp;

/// The password bench-data gives every login.
const BENCH_PASSWORD: &str = "bench-password";

backend_tests!(bench_data_builds_the_tenth_size_installation_on_an_empty_database_only);

/// Runs `bench-data --scale tenth` on the app's database.
async fn run_bench_data(app: &TestApp) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_bench-data"))
        .args(["--scale", "tenth"])
        .env("STEWARD_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("start bench-data")
}

/// The BENCH_NAME=value lines of its output.
fn bench_lines(stdout: &str) -> HashMap<&str, &str> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("BENCH_")?.split_once('='))
        .collect()
}

async fn bench_data_builds_the_tenth_size_installation_on_an_empty_database_only(app: TestApp) {
    let out = run_bench_data(&app).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("Benchmark data (Tenth) built in "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Bench login: bigalias / {BENCH_PASSWORD} (")),
        "{stdout}"
    );
    let facts = bench_lines(&stdout);
    let id = |name: &str| -> i32 { facts[name].parse().unwrap() };
    let (showcase_id, big_alias_id) = (id("SHOWCASE_ID"), id("BIG_ALIAS_ID"));
    assert!(id("ROLE_ID") > 0);
    assert_eq!(facts["ASSIGNED_SAMPLE"].split(',').count(), 10, "{stdout}");

    let mut conn = app.conn();
    let kinds: Vec<(String, i64)> = users::table
        .group_by(users::kind)
        .select((users::kind, diesel::dsl::count_star()))
        .order(users::kind.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        kinds,
        vec![
            ("admin".to_string(), 1),
            ("alias".to_string(), 50),
            ("reseller".to_string(), 2),
            ("user".to_string(), 200),
        ]
    );
    let total: i64 = servers::table.count().get_result(&mut conn).unwrap();
    let showcase: i64 = servers::table
        .filter(servers::owner_id.eq(showcase_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let big: i64 = alias_servers::table
        .filter(alias_servers::alias_id.eq(big_alias_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((total, showcase, big), (2_000, 1_000, 100));
    drop(conn);

    // The logins it prints work with the bench password.
    let b = app.browser();
    assert_status!(b.login("bigalias", BENCH_PASSWORD).await, 303);

    // A second run finds logins and refuses, adding nothing.
    let again = run_bench_data(&app).await;
    assert!(!again.status.success(), "{again:?}");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("bench-data needs an empty database (this one has 253 logins)"),
        "{stderr}"
    );
    let logins: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(logins, 253);
}
