//! Prometheus metrics on `STEWARD_METRICS_BIND` only: requests by route pattern
//! and status, latency histograms, database pool waits, the Argon2 queue, logins by
//! outcome and open sessions. The counters are the process's, so each check compares the
//! numbers before and after its own requests.

use crate::backend_tests_with;
use crate::helpers::{TestApp, PASSWORD};

backend_tests_with!(crate::ops::metrics::with_metrics;
    metrics_count_requests_by_route_pattern_and_logins_by_outcome);
backend_tests!(metrics_are_never_served_on_the_panel_port);

pub fn with_metrics(s: &mut steward::config::Settings) {
    s.metrics_bind = Some("127.0.0.1:0".into());
}

async fn scrape(app: &TestApp) -> String {
    let url = format!("{}/metrics", app.metrics_address.as_ref().expect("metrics"));
    let res = reqwest::get(url).await.unwrap();
    assert_status!(res, 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of the series written exactly as `series` (0 when absent).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn metrics_count_requests_by_route_pattern_and_logins_by_outcome(app: TestApp) {
    let admin = app.admin("boss");
    let user_page = r#"steward_http_requests_total{method="GET",route="/users/{id}",status="200"}"#;
    let user_latency =
        r#"steward_http_request_duration_seconds_count{method="GET",route="/users/{id}"}"#;
    let failures = r#"steward_logins_total{outcome="failure"}"#;
    let successes = r#"steward_logins_total{outcome="success"}"#;
    let before = scrape(&app).await;

    let b = app.browser();
    assert_status!(b.login("boss", "wrong-password").await, 422);
    assert_status!(b.login("boss", PASSWORD).await, 303);
    for _ in 0..3 {
        assert_status!(b.get(&format!("/users/{admin}")).await, 200);
    }
    let after = scrape(&app).await;

    assert!(
        value(&after, user_page) >= value(&before, user_page) + 3.0,
        "{after}"
    );
    assert!(value(&after, user_latency) >= value(&before, user_latency) + 3.0);
    assert!(value(&after, failures) >= value(&before, failures) + 1.0);
    assert!(value(&after, successes) >= value(&before, successes) + 1.0);
    let pool = "steward_db_pool_wait_seconds_count";
    assert!(value(&after, pool) > value(&before, pool));
    let argon = "steward_argon2_wait_seconds_count";
    assert!(value(&after, argon) >= value(&before, argon) + 2.0);
    assert!(after.contains("# TYPE steward_argon2_waiting gauge"));
    // Read from this app's database at scrape time: the one logged-in session.
    assert_eq!(value(&after, "steward_sessions_open"), 1.0);
    // Routes are labelled by pattern, never by the raw path with its id.
    assert!(!after.contains(&format!("route=\"/users/{admin}\"")));
}

async fn metrics_are_never_served_on_the_panel_port(app: TestApp) {
    assert!(
        app.metrics_address.is_none(),
        "off unless STEWARD_METRICS_BIND is set"
    );
    assert_status!(app.browser().get("/metrics").await, 404);
    // Unknown paths are counted under one label, not one series per path.
    let text = steward::ops::metrics::render();
    assert!(!text.contains("route=\"/metrics\""));
    assert!(text.contains(r#"route="unmatched",status="404""#));
}
