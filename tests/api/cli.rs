//! The `steward` binary itself: first start, create-admin, migrate.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::net::{free_port, secret};
use crate::helpers::{fresh_database, Browser};
use steward::db::Backend;

struct Running(std::process::Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `steward serve` and reads its stdout until it says where to log in.
fn start(url: &str, port: u16) -> (Running, Vec<String>) {
    start_with(url, port, &[])
}

fn start_with(url: &str, port: u16, extra: &[&str]) -> (Running, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .arg("serve")
        .args(extra)
        .env("STEWARD_DATABASE_URL", url)
        .env("STEWARD_BIND", format!("127.0.0.1:{port}"))
        .env("STEWARD_SECRET_KEY", secret())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start steward");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains("log in at");
        lines.push(line);
        if done || Instant::now() > deadline {
            break;
        }
    }
    (running, lines)
}

async fn first_start_prints_a_working_admin_password_on(backend: Backend) {
    let (url, _pg, _dir) = fresh_database(backend);
    let port = free_port();
    let (_server, lines) = start(&url, port);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("http://127.0.0.1:{port}/login"))),
        "{lines:?}"
    );
    let password = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .expect("the admin password is printed")
        .to_string();
    let b = Browser::new(&format!("http://127.0.0.1:{port}"));
    assert_status!(b.login("admin", &password).await, 303);
    assert!(b.get_html("/servers").await.contains("Hi, admin"));
    drop(_server);

    // A second start finds the admin and prints no password.
    let (_server, lines) = start(&url, free_port());
    assert!(!lines.iter().any(|l| l.contains("password:")), "{lines:?}");
}

#[tokio::test]
async fn first_start_prints_a_working_admin_password_sqlite() {
    first_start_prints_a_working_admin_password_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn first_start_prints_a_working_admin_password_postgres() {
    first_start_prints_a_working_admin_password_on(Backend::Postgres).await;
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin() {
    let (url, _pg, _dir) = fresh_database(Backend::Sqlite);
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args([
            "create-admin",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ])
        .env("STEWARD_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ops-password-long\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let port = free_port();
    let (_server, _) = start(&url, port);
    let b = Browser::new(&format!("http://127.0.0.1:{port}"));
    assert_status!(b.login("ops", "ops-password-long").await, 303);
}

#[test]
fn postgres_without_a_secret_key_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .arg("migrate")
        .env(
            "STEWARD_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .env_remove("STEWARD_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("STEWARD_SECRET_KEY is required"));
}

#[tokio::test]
async fn serve_demo_loads_demo_data_whose_logins_work() {
    let (url, _pg, _dir) = fresh_database(Backend::Sqlite);
    let port = free_port();
    let (_server, lines) = start_with(&url, port, &["--demo"]);
    let demo: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("Demo login:"))
        .collect();
    assert!(demo.len() >= 4, "{lines:?}");
    let b = Browser::new(&format!("http://127.0.0.1:{port}"));
    assert_status!(b.login("acme", "demo-password").await, 303);
    let distinct = |html: &str| {
        let re = regex::Regex::new(r#"href="/servers/(\d+)""#).unwrap();
        re.captures_iter(html)
            .map(|c| c[1].to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert!(
        distinct(&b.get_html("/servers").await) >= 10,
        "acme has its demo servers"
    );
    let ops = Browser::new(&format!("http://127.0.0.1:{port}"));
    assert_status!(ops.login("acme-ops", "demo-password").await, 303);
    assert_eq!(
        distinct(&ops.get_html("/servers").await),
        3,
        "the Operations alias reaches three servers"
    );
    // The expired and the disabled demo aliases cannot log in.
    for who in ["acme-intern", "acme-former"] {
        assert_status!(
            Browser::new(&format!("http://127.0.0.1:{port}"))
                .login(who, "demo-password")
                .await,
            422,
            "{who}"
        );
    }
}
