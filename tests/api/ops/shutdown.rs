//! On SIGTERM (and SIGINT) `steward serve` stops accepting, lets the requests in
//! flight finish, and exits 0. Twenty power requests on one server are in flight when the
//! signal arrives, each waiting for the controller's answer to its job (the built-in
//! driver's simulated latency, `STEWARD_DRIVER_DELAY_MS`, makes the calls slow, and a
//! server's calls go one at a time); every one is answered and its job recorded (the
//! driver worker finishes the call in hand; jobs not yet called wait for the next start).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use steward::db::schema::{server_jobs, servers};
use steward::db::Backend;
use tokio::task::JoinSet;

use crate::helpers::spawn_app;
use crate::resilience::{Instance, Session};

const IN_FLIGHT: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_twenty_requests_in_flight_finish_and_exits_0_sqlite() {
    // SQLite has one writer: the calls run one after another, 250 ms each.
    drains_requests_in_flight(Backend::Sqlite, "SIGTERM", 250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_twenty_requests_in_flight_finish_and_exits_0_postgres() {
    // PostgreSQL runs up to its pool's size at once: a longer call keeps all in flight.
    drains_requests_in_flight(Backend::Postgres, "SIGTERM", 1500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigint_is_as_graceful_as_sigterm() {
    drains_requests_in_flight(Backend::Sqlite, "SIGINT", 250).await;
}

async fn drains_requests_in_flight(backend: Backend, signal: &str, delay_ms: u64) {
    let app = spawn_app(backend).await;
    app.admin("boss");
    let sid: i32 = {
        let b = app.login("boss").await;
        assert_status!(
            b.post(
                "/servers",
                &[
                    ("hostname", "web01.example.net"),
                    ("name", "web01"),
                    ("ip", "192.0.2.10"),
                    ("location", "FRA1"),
                    ("tags", ""),
                ],
            )
            .await,
            303
        );
        servers::table
            .filter(servers::hostname.eq("web01.example.net"))
            .select(servers::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    let delay = delay_ms.to_string();
    let mut serving = Instance::start_with(
        &app.database_url,
        &[
            ("STEWARD_DRIVER_DELAY_MS", &delay),
            // All twenty requests come from one session; the per-login limit on requests
            // in flight (8 by default) would answer most of them 429 before the signal.
            ("STEWARD_MAX_IN_FLIGHT", "64"),
        ],
    );
    let address = serving.address.clone();
    let session = Session::login(&address, "boss").await;
    let path = format!("/servers/{sid}/power");

    let answered = Arc::new(AtomicUsize::new(0));
    let mut requests = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (session, address, path, answered) = (
            session.clone(),
            address.clone(),
            path.clone(),
            answered.clone(),
        );
        requests.spawn(async move {
            let res = session.post(&address, &path, &[("action", "on")]).await;
            answered.fetch_add(1, Ordering::SeqCst);
            res.map(|r| r.status().as_u16())
        });
    }
    // Every request has reached the panel and waits for the driver.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let done_before = answered.load(Ordering::SeqCst);
    assert!(
        done_before < IN_FLIGHT / 2,
        "{done_before} already answered: not in flight"
    );
    serving.signal(&signal[3..]);

    let mut statuses = Vec::new();
    while let Some(r) = requests.join_next().await {
        statuses.push(r.unwrap().expect("an answer, not a cut connection"));
    }
    assert_eq!(
        statuses,
        vec![303; IN_FLIGHT],
        "every request in flight finished"
    );
    let status = serving
        .exit_status(Duration::from_secs(30))
        .expect("steward exited after the signal");
    assert_eq!(status.code(), Some(0), "{signal}: {status:?}");
    // New connections are no longer served.
    assert!(reqwest::get(format!("{address}/healthz")).await.is_err());
    let jobs: i64 = server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(
        jobs, IN_FLIGHT as i64,
        "every answered request was recorded"
    );
    eprintln!(
        "graceful shutdown ({backend:?}, {signal}): {IN_FLIGHT} requests in flight, {done_before} \
         answered before the signal, all {IN_FLIGHT} answered 303, exit code 0"
    );
}
