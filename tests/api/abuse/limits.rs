//! Deadlines and caps: a stalled body is cut at its deadline; connections beyond the cap
//! are refused while /healthz and /readyz answer.

use std::time::{Duration, Instant};

use steward::web::limits::Limits;

use super::{answers_within, status_of, Stalled};
use crate::helpers::test_limits;

with_limits!(
    a_stalled_body_is_cut_at_its_deadline_with_408 => super::deadline_of_one_second(),
    connections_beyond_the_cap_are_refused_while_healthz_and_readyz_answer => super::sixteen_connections(),
    bodies_beyond_the_memory_budget_are_refused_with_503 => super::a_300_kb_budget(),
);

fn a_300_kb_budget() -> Limits {
    Limits {
        body_budget_bytes: 300_000,
        body_deadline: Duration::from_secs(60),
        ..test_limits()
    }
}

async fn bodies_beyond_the_memory_budget_are_refused_with_503(app: crate::helpers::TestApp) {
    let address = app.address.clone();
    let budget = app.body_budget.clone();
    let (first, second) = tokio::task::spawn_blocking(move || {
        let part = format!("username={}", "a".repeat(200_000));
        // The first holds 200 KB of the 300 KB budget and stalls ...
        let first = Stalled::post(&address, "/login", &[], 250_000, &part);
        // (once the server has read and counted them, however loaded the machine)
        let counted = Instant::now() + Duration::from_secs(20);
        while budget.held() < 200_000 {
            assert!(Instant::now() < counted, "the first body was never counted");
            std::thread::sleep(Duration::from_millis(20));
        }
        // ... so the second's 200 KB do not fit.
        let second = Stalled::post(&address, "/login", &[], 250_000, &part);
        (first, second.outcome(Duration::from_secs(10)))
    })
    .await
    .unwrap();
    let (status, _) = second;
    assert!(status.contains(" 503 "), "the second body got {status:?}");
    drop(first);
    // The budget is given back when requests end: a normal login form works.
    assert!(answers_within(&app.address, "/login", 200, Duration::from_secs(10)).await);
    let b = app.browser();
    assert_status!(b.login("nobody", "wrong").await, 422);
    let given_back = Instant::now() + Duration::from_secs(20);
    while app.body_budget.held() > 0 {
        assert!(
            Instant::now() < given_back,
            "the bodies' bytes are still held"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn deadline_of_one_second() -> Limits {
    Limits {
        body_deadline: Duration::from_secs(1),
        ..test_limits()
    }
}

fn sixteen_connections() -> Limits {
    Limits {
        max_connections: 16,
        body_deadline: Duration::from_secs(60),
        ..test_limits()
    }
}

async fn a_stalled_body_is_cut_at_its_deadline_with_408(app: crate::helpers::TestApp) {
    // A login form that announces 1,000 bytes and sends 20; and a JSON call that stalls.
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let sid = app.server("web1.example.net").owned_by(acme).create();
    let bearer = format!("Bearer {}", app.api_key(acme, None));
    let address = app.address.clone();
    let (form, api) = tokio::task::spawn_blocking(move || {
        let form = Stalled::post(&address, "/login", &[], 1000, "username=abc&passwor");
        let power = format!("/api/v1/servers/{sid}/power");
        let auth = [("Authorization", bearer.as_str())];
        let api = Stalled::post(&address, &power, &auth, 1000, "{\"act");
        (
            form.outcome(Duration::from_secs(6)),
            api.outcome(Duration::from_secs(6)),
        )
    })
    .await
    .unwrap();
    for (what, (status, took)) in [("form", form), ("api", api)] {
        assert!(
            status.is_empty() || status.contains(" 408 "),
            "{what}: the stalled body got {status:?}"
        );
        // Deadline 1 s, plus slack for a loaded test machine.
        assert!(
            took < Duration::from_secs(5),
            "{what}: cut after {took:?}, not at its deadline"
        );
    }
    assert_eq!(status_of(&app.address, "/healthz").await, 200);
}

async fn connections_beyond_the_cap_are_refused_while_healthz_and_readyz_answer(
    app: crate::helpers::TestApp,
) {
    let limits = sixteen_connections();
    let page_share = limits.page_connections();
    assert!(page_share < 16);
    assert!(
        answers_within(&app.address, "/readyz", 200, Duration::from_secs(10)).await,
        "ready before the test"
    );
    // Fill the pages' share of connections with bodies that never finish.
    let address = app.address.clone();
    let stalled = tokio::task::spawn_blocking(move || {
        (0..page_share)
            .map(|_| Stalled::post(&address, "/login", &[], 1000, "username=abc"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // One more page request is refused at once, with the busy page ...
    let res = reqwest::Client::new()
        .get(format!("{}/login", app.address))
        .send()
        .await
        .expect("an answer, not a hang");
    assert_status!(res, 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("too many open connections"));
    // ... while liveness and readiness still answer.
    assert_eq!(status_of(&app.address, "/healthz").await, 200);
    assert_eq!(status_of(&app.address, "/readyz").await, 200);
    // Once the stalled connections go, pages answer again.
    drop(stalled);
    assert!(
        answers_within(&app.address, "/login", 200, Duration::from_secs(10)).await,
        "pages answer again after the connections closed"
    );
}
