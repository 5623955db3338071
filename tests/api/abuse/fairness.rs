//! Fair sharing: one login's requests in flight are capped (429 with Retry-After) while
//! another login's pages answer; a search past its statement deadline answers "narrow it"
//! instead of holding a connection.

use std::time::Duration;

use steward::web::limits::Limits;

use super::{eventually, is_status, Stalled};
use crate::helpers::{assert_says, test_limits, TestApp};

with_limits!(
    one_logins_requests_in_flight_are_capped_while_another_logins_pages_answer => super::two_in_flight(),
    a_search_past_its_deadline_answers_narrow_it_and_frees_its_connection => super::one_millisecond_searches(),
);

fn two_in_flight() -> Limits {
    Limits {
        max_in_flight: 2,
        body_deadline: Duration::from_secs(60),
        ..test_limits()
    }
}

fn one_millisecond_searches() -> Limits {
    Limits {
        search_deadline: Duration::from_millis(1),
        ..test_limits()
    }
}

async fn one_logins_requests_in_flight_are_capped_while_another_logins_pages_answer(app: TestApp) {
    let admin = app.admin("boss");
    app.customer("acme", admin);
    app.customer("other", admin);
    let acme = app.login("acme").await;
    let other = app.login("other").await;
    // Two of acme's requests are in flight: forms whose bodies never finish. A stalled
    // request that reached the server while one of the probes below was in flight was
    // itself the refused third; it is replaced, so two stay held while acme probes.
    let (address, cookie) = (app.address.clone(), acme.cookie_header());
    let open = move || {
        let (address, cookie) = (address.clone(), cookie.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                Stalled::post(
                    &address,
                    "/users",
                    &[("Cookie", cookie.as_str())],
                    1000,
                    "username=x",
                )
            })
            .await
            .unwrap()
        }
    };
    let mut stalled = vec![open().await, open().await];
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let refused = loop {
        let status = acme.get("/servers").await.status().as_u16();
        seen.push(status);
        if status == 429 {
            break true;
        }
        if std::time::Instant::now() >= deadline {
            break false;
        }
        for held in stalled.iter_mut() {
            if held.answered() {
                *held = open().await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(refused, "a third request of acme is refused: {seen:?}");
    let res = acme.get("/servers").await;
    assert_status!(res, 429);
    assert_eq!(res.headers()["retry-after"], "1");
    // Another login is not held back.
    for _ in 0..5 {
        assert_status!(other.get("/servers").await, 200);
    }
    // When acme's requests end, acme is served again.
    drop(stalled);
    assert!(
        eventually(Duration::from_secs(10), || async {
            acme.get("/servers").await.status().as_u16() == 200
        })
        .await
    );
}

async fn a_search_past_its_deadline_answers_narrow_it_and_frees_its_connection(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    app.many_servers(acme, 30_000);
    let key = app.api_key(acme, None);
    let b = app.login("acme").await;
    // A substring search over 30,000 servers cannot finish in 1 ms.
    let res = b.get("/servers?q=zzz-none").await;
    assert_says(res, 503, "took too long; narrow it").await;
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/servers?q=zzz-none", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_status!(res, 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("narrow it"));
    // Nothing is held: liveness answers, and every connection of the pool, used in turn,
    // serves pages without a search (no deadline lingers on a connection).
    assert!(is_status(&app.address, "/healthz", 200).await);
    for _ in 0..(app.pool.max_size() * 2) {
        let page = b.get("/servers").await;
        assert_status!(page, 200);
        assert!(page.text().await.unwrap().contains("srv00000.example.net"));
    }
}
