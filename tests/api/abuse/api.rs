//! The API under abuse: every framework error is JSON, and guessing keys is throttled
//! per address.

use serde_json::Value;

use crate::helpers::TestApp;

backend_tests!(
    framework_errors_on_the_api_are_json,
    guessing_api_keys_is_throttled_per_address_with_429,
);

async fn framework_errors_on_the_api_are_json(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let sid = app.server("web1.example.net").owned_by(acme).create();
    let key = app.api_key(acme, None);
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.address);
    let huge = format!("{{\"action\": \"{}\"}}", "x".repeat(100 * 1024));
    let cases = [
        // 413: a body over the API's limit.
        (
            client
                .post(url(&format!("/api/v1/servers/{sid}/power")))
                .header("Content-Type", "application/json")
                .body(huge),
            413,
        ),
        // 405: a known route with another method.
        (client.put(url("/api/v1/me")), 405),
        // 404: no such route, and an id that is not one.
        (client.get(url("/api/v1/nothing-here")), 404),
        (client.get(url("/api/v1/servers/not-a-number")), 404),
        // 400: a body that is not JSON.
        (
            client
                .post(url(&format!("/api/v1/servers/{sid}/power")))
                .header("Content-Type", "application/json")
                .body("not json"),
            400,
        ),
    ];
    for (req, want) in cases {
        let res = req.bearer_auth(&key).send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, want, "{body}");
        assert!(ct.starts_with("application/json"), "{want}: {ct}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{want}: {body}"
        );
    }
    // The oversized power call changed nothing.
    let power: String = {
        use diesel::prelude::*;
        use steward::db::schema::servers;
        servers::table
            .find(sid)
            .select(servers::power_state)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_ne!(power, "x");
}

async fn guessing_api_keys_is_throttled_per_address_with_429(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let key = app.api_key(acme, None);
    let client = reqwest::Client::new();
    let me = format!("{}/api/v1/me", app.address);
    let mut statuses = Vec::new();
    for i in 0..25 {
        let guess = format!("stw_{:0>43}", i);
        let res = client.get(&me).bearer_auth(guess).send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status().as_u16() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            let body: Value = res.json().await.unwrap();
            assert!(body["error"].as_str().unwrap().contains("too many"));
        }
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    // The address is refused for the rest of its minute, even with a real key: the
    // answer does not tell a guesser when it found one.
    assert_status!(client.get(&me).bearer_auth(&key).send().await.unwrap(), 429);
}
