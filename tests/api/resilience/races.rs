//! Concurrency: hundreds of parallel writes on one SQLite database reach every
//! user as an answer, never as "database is locked"; and when many requests race for the
//! same username, role name, assignment or the last places of a quota, the rule holds
//! exactly once: one winner, a clear 422 for the others, no duplicate row, never a 500.

use std::time::Instant;

use diesel::prelude::*;
use steward::db::schema::{alias_roles, alias_servers, api_keys, ssh_keys, users};
use steward::db::Backend;
use tokio::task::JoinSet;

use super::Session;
use crate::helpers::{answer_of, spawn_app, Answer, TestApp};
use crate::matrix::api_key;

/// Sends `n` POSTs of `session` at once (all spawned before any is awaited) and answers
/// what each got. No answer may be a 500 or mention a locked database.
async fn race(
    session: &Session,
    address: &str,
    n: usize,
    request: impl Fn(usize) -> (String, Vec<(String, String)>),
) -> Vec<Answer> {
    let mut racers = JoinSet::new();
    for i in 0..n {
        let (session, address) = (session.clone(), address.to_string());
        let (path, fields) = request(i);
        racers.spawn(async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let res = session
                .post(&address, &path, &fields)
                .await
                .expect("an answer");
            answer_of(res).await
        });
    }
    let mut answers = Vec::with_capacity(n);
    while let Some(a) = racers.join_next().await {
        let a = a.expect("a racer panicked");
        assert!(a.status < 500, "a racer got {}: {}", a.status, a.body);
        assert!(
            !a.body.to_lowercase().contains("database is locked"),
            "a racer was told the database is locked"
        );
        answers.push(a);
    }
    answers
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn report(app: &TestApp, racers: usize, what: &str) {
    eprintln!(
        "race ({:?}): {racers} parallel {what}: the rule held, no 500",
        app.backend
    );
}

fn roles_of(app: &TestApp, account: i32) -> i64 {
    alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_parallel_writes_on_one_sqlite_database_are_all_answered_and_kept() {
    const PER_ACCOUNT: usize = 100;
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin("boss");
    let started = Instant::now();
    let mut accounts = Vec::new();
    for name in ["acme", "globex", "initech"] {
        let id = app.customer(name, admin);
        accounts.push((id, Session::login(&app.address, name).await));
    }
    // Every write of all three accounts in flight at once.
    let mut writers = JoinSet::new();
    for (id, session) in &accounts {
        let (id, session, address) = (*id, session.clone(), app.address.clone());
        writers.spawn(async move {
            race(&session, &address, PER_ACCOUNT, |i| {
                (
                    format!("/users/{id}/roles"),
                    fields(&[
                        ("name", &format!("Role {i}")),
                        ("permissions", "servers.view"),
                    ]),
                )
            })
            .await
        });
    }
    let mut acknowledged = 0;
    while let Some(answers) = writers.join_next().await {
        let answers = answers.expect("writers");
        assert_eq!(
            count(&answers, 303),
            PER_ACCOUNT,
            "every write acknowledged"
        );
        acknowledged += answers.len();
    }
    for (id, _) in &accounts {
        assert_eq!(roles_of(&app, *id), PER_ACCOUNT as i64, "every role kept");
    }
    eprintln!(
        "concurrency (Sqlite): {acknowledged} parallel writes acknowledged and verified, none \
         locked out, in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

backend_tests!(
    thirty_admins_racing_for_one_username_create_exactly_one_login,
    racing_for_one_role_name_creates_exactly_one_role,
    racing_to_assign_one_server_to_one_alias_user_assigns_it_once,
    racing_for_the_last_api_key_places_never_exceeds_the_quota,
    racing_for_the_last_ssh_key_places_never_exceeds_the_quota,
    twenty_racing_reinstalls_of_one_server_queue_exactly_one,
);

async fn thirty_admins_racing_for_one_username_create_exactly_one_login(app: TestApp) {
    app.admin("boss");
    let boss = Session::login(&app.address, "boss").await;
    let answers = race(&boss, &app.address, 30, |i| {
        (
            "/users".to_string(),
            fields(&[
                ("username", "contested"),
                ("name", "Contested"),
                ("email", &format!("c{i}@example.com")),
                ("password", "a-long-enough-password"),
                ("kind", "user"),
            ]),
        )
    })
    .await;
    assert_one_winner(&answers, "This username is taken.");
    let rows: i64 = users::table
        .filter(users::username_key.eq("contested"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(rows, 1, "one login named contested");
    report(&app, 30, "sign-ups for one username");
}

async fn racing_for_one_role_name_creates_exactly_one_role(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let owner = Session::login(&app.address, "acme").await;
    let answers = race(&owner, &app.address, 30, |i| {
        (
            format!("/users/{acme}/roles"),
            // The names differ only in case and spacing: one role all the same.
            fields(&[
                ("name", if i % 2 == 0 { "Support" } else { " support " }),
                ("permissions", "servers.view"),
            ]),
        )
    })
    .await;
    assert_one_winner(&answers, "already has a role with this name");
    assert_eq!(roles_of(&app, acme), 1);
    report(&app, 30, "creations of one role name");
}

async fn racing_to_assign_one_server_to_one_alias_user_assigns_it_once(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let aid = app.alias("acme-ops", acme).role(ops).create();
    let web1 = app.server("web1.acme.test").owned_by(acme).create();
    let owner = Session::login(&app.address, "acme").await;
    let path = format!("/users/{acme}/alias-users/{aid}/servers");
    let answers = race(&owner, &app.address, 30, |_| {
        (
            path.clone(),
            fields(&[("action", "assign"), ("server_id", &web1.to_string())]),
        )
    })
    .await;
    assert_eq!(count(&answers, 303), 30, "assigning twice is no error");
    assert!(answers
        .iter()
        .all(|a| a.location.starts_with(&format!("{path}?page=1"))));
    let rows: i64 = alias_servers::table
        .filter(alias_servers::alias_id.eq(aid))
        .filter(alias_servers::server_id.eq(web1))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(rows, 1, "one assignment row");
    report(&app, 30, "assignments of one server to one alias user");
}

/// The "not while a reinstall runs" rule holds for twenty racers: one reinstall is queued
/// and audited, the others are told the server is busy. (Whether racers get past the
/// door's check together depends on timing; the operation checks again under the write,
/// `Server::start_reinstalling`, so the rule does not depend on it. Run with that second
/// check removed, this test still passed here: it guards the rule, not that line.)
async fn twenty_racing_reinstalls_of_one_server_queue_exactly_one(app: TestApp) {
    use steward::db::schema::server_jobs;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let web1 = app.server("web1.acme.test").owned_by(acme).create();
    let owner = Session::login(&app.address, "acme").await;
    let path = format!("/servers/{web1}/reinstall");
    let answers = race(&owner, &app.address, 20, |_| {
        (
            path.clone(),
            fields(&[("os", "rocky-9"), ("confirm", "web1.acme.test")]),
        )
    })
    .await;
    assert_eq!(count(&answers, 303), 20, "each racer is answered");
    let jobs: i64 = server_jobs::table
        .filter(server_jobs::server_id.eq(web1))
        .filter(server_jobs::kind.eq("reinstall"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(jobs, 1, "one reinstall queued");
    let audited: i64 = steward::db::schema::audit_log::table
        .filter(steward::db::schema::audit_log::action.eq("server.reinstall"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(
        audited, 1,
        "one audit row: the refused racers wrote nothing"
    );
    report(&app, 20, "reinstalls of one server");
}

async fn racing_for_the_last_api_key_places_never_exceeds_the_quota(app: TestApp) {
    use steward::models::api_key::MAX_PER_LOGIN;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let free = 5;
    for _ in 0..MAX_PER_LOGIN - free {
        api_key(&app, acme);
    }
    let owner = Session::login(&app.address, "acme").await;
    let racers = 20;
    let answers = race(&owner, &app.address, racers, |i| {
        (
            format!("/users/{acme}/api-keys"),
            fields(&[("name", &format!("Racer {i}")), ("expires_at", "")]),
        )
    })
    .await;
    let keys: i64 = api_keys::table
        .filter(api_keys::user_id.eq(acme))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_quota_held(keys, MAX_PER_LOGIN, &answers, free);
    report(&app, racers, "API key creations for the last 5 places");
}

/// After a race for one name: one racer won (303), every other was told `refusal` (422).
fn assert_one_winner(answers: &[Answer], refusal: &str) {
    assert_eq!(count(answers, 303), 1, "one winner");
    assert_eq!(
        count(answers, 422),
        answers.len() - 1,
        "the others are told"
    );
    for a in answers.iter().filter(|a| a.status == 422) {
        assert!(a.body.contains(refusal), "a loser is told {refusal:?}");
    }
}

/// After a race for the last `free` places under the quota `max`, with `held` in the
/// end: the quota holds, the free places were taken (303) and the other racers told (422).
fn assert_quota_held(held: i64, max: i64, answers: &[Answer], free: i64) {
    assert_eq!(held, max, "the quota holds");
    assert_eq!(
        count(answers, 303),
        free as usize,
        "the free places are taken"
    );
    assert_eq!(
        count(answers, 422),
        answers.len() - free as usize,
        "the others are told"
    );
}

/// A distinct, well-formed OpenSSH ed25519 public key for each `n`.
fn ed25519_key(n: u8) -> String {
    use base64::Engine;
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &[n; 32][..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    format!(
        "ssh-ed25519 {} racer{n}@test",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

async fn racing_for_the_last_ssh_key_places_never_exceeds_the_quota(app: TestApp) {
    use steward::models::ssh_key::{NewSshKey, MAX_PER_LOGIN};
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let free = 5;
    for i in 0..MAX_PER_LOGIN - free {
        NewSshKey {
            user_id: acme,
            name: &format!("Old {i}"),
            public_key: "ssh-ed25519 AAAA",
            fingerprint: &format!("SHA256:old{i}"),
            created_at: steward::models::now(),
        }
        .insert(&mut app.conn())
        .unwrap();
    }
    let owner = Session::login(&app.address, "acme").await;
    let racers = 20;
    let answers = race(&owner, &app.address, racers, |i| {
        (
            format!("/users/{acme}/ssh-keys"),
            fields(&[
                ("name", &format!("Racer {i}")),
                ("public_key", &ed25519_key(i as u8 + 1)),
            ]),
        )
    })
    .await;
    let keys: i64 = ssh_keys::table
        .filter(ssh_keys::user_id.eq(acme))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_quota_held(keys, MAX_PER_LOGIN, &answers, free);
    report(&app, racers, "SSH key additions for the last 5 places");
}
