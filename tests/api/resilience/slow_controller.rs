//! Server actions never hold the database while a controller works: power, reinstall and
//! rescue queue a job with their audit row, and the driver worker calls the controller
//! outside any transaction, with a deadline. The built-in driver plays a slow management
//! controller (`STEWARD_DRIVER_DELAY_MS`) in a real `steward serve`:
//! - the action is answered before the controller has, and other writes go on meanwhile
//!   (on SQLite, whose one writer lock the old transaction held for the whole call);
//! - the server page shows the job waiting, then done, with its effect recorded;
//! - a call cut by SIGKILL is made again by the next instance once its lease has ended;
//! - two instances on one PostgreSQL call each job exactly once;
//! - a controller that does not answer in time fails the job and changes nothing.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use steward::db::schema::{audit_log, server_jobs, servers};
use steward::db::Backend;
use steward::models::server_job::NewServerJob;
use steward::models::{now, server_job};

use super::{acknowledged, Instance, Session};
use crate::helpers::{spawn_app, TestApp};

/// (status, attempts, outcome) of a job.
fn job(app: &TestApp, id: i32) -> (String, i32, String) {
    server_jobs::table
        .find(id)
        .select((
            server_jobs::status,
            server_jobs::attempts,
            server_jobs::outcome,
        ))
        .first(&mut *app.conn())
        .expect("the job")
}

fn last_job_of(app: &TestApp, sid: i32) -> i32 {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .order(server_jobs::id.desc())
        .select(server_jobs::id)
        .first(&mut *app.conn())
        .expect("a job")
}

/// (power_state, status, os, name) of a server.
fn state_of(app: &TestApp, sid: i32) -> (String, String, String, String) {
    servers::table
        .find(sid)
        .select((
            servers::power_state,
            servers::status,
            servers::os,
            servers::name,
        ))
        .first(&mut *app.conn())
        .expect("the server")
}

/// A server of `owner` that is switched on (the helper's are off).
fn running_server(app: &TestApp, hostname: &str, owner: i32) -> i32 {
    let sid = app.server(hostname).owned_by(owner).create();
    diesel::update(servers::table.find(sid))
        .set(servers::power_state.eq("on"))
        .execute(&mut *app.conn())
        .unwrap();
    sid
}

/// Polls the job until `wanted` holds (at most `secs` seconds).
async fn wait_for_job(
    app: &TestApp,
    id: i32,
    secs: u64,
    wanted: impl Fn(&(String, i32, String)) -> bool,
) -> (String, i32, String) {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        let j = job(app, id);
        if wanted(&j) {
            return j;
        }
        assert!(Instant::now() < until, "job {id} stayed {j:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_slow_controller_is_answered_at_once_and_holds_no_database_lock(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let web1 = running_server(&app, "web1.acme.test", acme);
    let metrics_bind = format!("127.0.0.1:{}", super::free_port());
    let panel = Instance::start_with(
        &app.database_url,
        &[
            ("STEWARD_DRIVER_DELAY_MS", "2500"),
            ("STEWARD_DRIVER_WAIT_MS", "100"),
            ("STEWARD_DRIVER_POLL_MS", "100"),
            ("STEWARD_METRICS_BIND", &metrics_bind),
        ],
    );
    let calling_metric = || async {
        let text = reqwest::get(format!("http://{metrics_bind}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("body");
        text.lines()
            .find(|l| l.starts_with(r#"steward_driver_jobs{status="calling"}"#))
            .map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let address = panel.address.clone();
    let boss = Session::login(&address, "boss").await;
    let page = format!("/servers/{web1}");

    let res = boss
        .post(
            &address,
            &format!("{page}/power"),
            &[("action", "off"), ("confirm", "yes")],
        )
        .await
        .expect("answered");
    assert!(acknowledged(&res, &page), "{:?}", res.status());
    let id = last_job_of(&app, web1);
    let (status, ..) = job(&app, id);
    assert!(
        status == "queued" || status == "calling",
        "answered before the controller: the job is {status}"
    );
    assert_eq!(state_of(&app, web1).0, "on", "nothing switched yet");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("server.power"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(audited, 1, "the audit row is written with the job");

    // The call is in hand: another write commits at once, and the call is still going.
    wait_for_job(&app, id, 10, |j| j.0 == "calling").await;
    let res = boss
        .post(&address, &format!("{page}/rename"), &[("name", "Renamed")])
        .await
        .expect("answered");
    assert!(acknowledged(&res, &page));
    assert_eq!(state_of(&app, web1).3, "Renamed");
    assert_eq!(
        job(&app, id).0,
        "calling",
        "the rename committed while the controller was still being called"
    );
    let html = boss.get_html(&address, &page).await;
    assert!(
        html.contains("Waiting for the server&#x27;s controller")
            || html.contains("Waiting for the server's controller"),
        "the page shows the job waiting"
    );
    assert!(html.contains("Calling the controller"));
    assert_eq!(
        calling_metric().await,
        "1",
        "the metric counts the call in hand"
    );

    let (status, attempts, outcome) = wait_for_job(&app, id, 20, |j| j.0 != "calling").await;
    assert_eq!(
        (status.as_str(), attempts, outcome.as_str()),
        ("done", 1, "done")
    );
    assert_eq!(state_of(&app, web1).0, "off", "the answer was recorded");
    let html = boss.get_html(&address, &page).await;
    assert!(!html.contains("Calling the controller"));
    assert!(
        !html.contains("the server&#x27;s controller") && !html.contains("the server's controller")
    );
    assert_eq!(calling_metric().await, "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_controller_is_answered_at_once_and_holds_no_database_lock_sqlite() {
    a_slow_controller_is_answered_at_once_and_holds_no_database_lock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_controller_is_answered_at_once_and_holds_no_database_lock_postgres() {
    a_slow_controller_is_answered_at_once_and_holds_no_database_lock(Backend::Postgres).await;
}

async fn a_call_cut_by_sigkill_is_made_again_once_its_lease_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let web1 = running_server(&app, "web1.acme.test", acme);
    let env = [
        ("STEWARD_DRIVER_DELAY_MS", "1500"),
        ("STEWARD_DRIVER_TIMEOUT_MS", "5000"),
        ("STEWARD_DRIVER_WAIT_MS", "100"),
        ("STEWARD_DRIVER_POLL_MS", "100"),
    ];
    let first = Instance::start_with(&app.database_url, &env);
    let boss = Session::login(&first.address, "boss").await;
    assert_status!(
        boss.post(
            &first.address,
            &format!("/servers/{web1}/power"),
            &[("action", "off"), ("confirm", "yes")],
        )
        .await
        .expect("answered"),
        303
    );
    let id = last_job_of(&app, web1);
    wait_for_job(&app, id, 10, |j| j.0 == "calling").await;
    first.kill();

    let (status, attempts, _) = job(&app, id);
    assert_eq!((status.as_str(), attempts), ("calling", 1), "cut mid-call");
    let locked: Option<chrono::NaiveDateTime> = server_jobs::table
        .find(id)
        .select(server_jobs::locked_until)
        .first(&mut *app.conn())
        .unwrap();
    assert!(
        locked.is_some_and(|l| l > now()),
        "the killed instance held a lease"
    );
    assert_eq!(state_of(&app, web1).0, "on");
    // The lease ends (time passes; 15 s with these settings), and the next instance
    // takes the job up.
    diesel::update(server_jobs::table.find(id))
        .set(server_jobs::locked_until.eq(Some(now() - chrono::Duration::seconds(1))))
        .execute(&mut *app.conn())
        .unwrap();
    let _second = Instance::start_with(&app.database_url, &env);
    let (status, attempts, outcome) = wait_for_job(&app, id, 20, |j| j.0 == "done").await;
    assert_eq!(
        (status.as_str(), attempts, outcome.as_str()),
        ("done", 2, "done")
    );
    assert_eq!(state_of(&app, web1).0, "off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cut_by_sigkill_is_made_again_once_its_lease_ends_sqlite() {
    a_call_cut_by_sigkill_is_made_again_once_its_lease_ends(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cut_by_sigkill_is_made_again_once_its_lease_ends_postgres() {
    a_call_cut_by_sigkill_is_made_again_once_its_lease_ends(Backend::Postgres).await;
}

/// 24 jobs on 24 servers, queued at once while two instances poll: every job ends done
/// after exactly one claim (a second claim would count a second attempt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_call_each_job_exactly_once() {
    let app = spawn_app(Backend::Postgres).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let sids: Vec<i32> = (0..24)
        .map(|i| running_server(&app, &format!("node{i:02}.acme.test"), acme))
        .collect();
    let env = [
        ("STEWARD_DRIVER_DELAY_MS", "300"),
        ("STEWARD_DRIVER_POLL_MS", "50"),
    ];
    let _a = Instance::start_with(&app.database_url, &env);
    let _b = Instance::start_with(&app.database_url, &env);
    let command = r#"{"do":"power","action":"off"}"#;
    let ids: Vec<i32> = steward::db::transaction(&mut app.conn(), |c| {
        sids.iter()
            .map(|sid| {
                NewServerJob {
                    server_id: *sid,
                    kind: "power",
                    detail: "off",
                    command,
                    requested_by: Some(admin),
                    requested_by_name: "boss",
                }
                .queue(c, now())
            })
            .collect::<Result<Vec<i32>, diesel::result::Error>>()
    })
    .unwrap();
    for id in &ids {
        wait_for_job(&app, *id, 30, |j| j.0 != "queued" && j.0 != "calling").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (id, sid) in ids.iter().zip(&sids) {
        assert_eq!(
            job(&app, *id),
            ("done".into(), 1, "done".into()),
            "job {id}"
        );
        assert_eq!(state_of(&app, *sid).0, "off");
    }
}

/// The deadline: a reinstall whose controller does not answer within
/// `STEWARD_DRIVER_TIMEOUT_MS` fails with the reason, and the server gets back the status
/// it had; the page says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_that_does_not_answer_in_time_fails_the_job_and_changes_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let web1 = running_server(&app, "web1.acme.test", acme);
    let before = state_of(&app, web1);
    let panel = Instance::start_with(
        &app.database_url,
        &[
            ("STEWARD_DRIVER_DELAY_MS", "2000"),
            ("STEWARD_DRIVER_TIMEOUT_MS", "300"),
            ("STEWARD_DRIVER_WAIT_MS", "5000"),
        ],
    );
    let boss = Session::login(&panel.address, "boss").await;
    let page = format!("/servers/{web1}");
    let res = boss
        .post(
            &panel.address,
            &format!("{page}/reinstall"),
            &[("os", "rocky-9"), ("confirm", "web1.acme.test")],
        )
        .await
        .expect("answered");
    assert!(acknowledged(&res, &page));
    let id = last_job_of(&app, web1);
    let (status, attempts, outcome) = job(&app, id);
    assert_eq!((status.as_str(), attempts), ("failed", 1), "{outcome}");
    assert!(outcome.contains("did not answer within 0.3 s"), "{outcome}");
    assert_eq!(
        state_of(&app, web1),
        before,
        "nothing changed on the server"
    );
    let html = boss.get_html_after(&panel.address, &page, &res).await;
    assert!(html.contains("The controller refused: the controller did not answer within 0.3 s."));
    assert!(html.contains("Failed"));
    assert!(!html.contains("Reinstall in progress"));
    // Not busy: the next action is taken.
    let res = boss
        .post(
            &panel.address,
            &format!("{page}/power"),
            &[("action", "on")],
        )
        .await
        .expect("answered");
    assert!(acknowledged(&res, &page));
    let next = last_job_of(&app, web1);
    assert_ne!(next, id);
    assert_eq!(server_job::FAILED, job(&app, id).0);
}
