//! The account's audit log through `GET /api/v1/audit`: its own entries only, readable
//! with `activity.view`, and other logins' addresses hidden from an alias user, as on the
//! Activity tab.

use crate::helpers::{tenants, TestApp};

backend_tests!(the_api_lists_the_accounts_audit_log_with_the_activity_tabs_rule);

async fn the_api_lists_the_accounts_audit_log_with_the_activity_tabs_rule(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let key = app.api_key(t.acme, None);
    app.api_post(
        &format!("/api/v1/servers/{sid}/power"),
        &key,
        r#"{"action":"off"}"#,
    )
    .await;
    let (status, body) = app.api_get("/api/v1/audit", &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    let entry = &body["items"][0];
    assert_eq!(entry["action"], "server.power");
    assert_eq!(entry["details"], "off");
    assert_eq!(entry["via_api"], true);
    assert_eq!(entry["ip"], "127.0.0.1", "its own entries show the address");
    // Another account's entries are not in it.
    let globex = app.api_key(t.globex, None);
    let (_, body) = app.api_get("/api/v1/audit", &globex).await;
    assert_eq!(body["total"], 0);
    // An alias user without activity.view is refused; with it, others' addresses are hidden.
    let bob = app
        .alias("bob", t.acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let (status, _) = app.api_get("/api/v1/audit", &app.api_key(bob, None)).await;
    assert_eq!(status, 403);
    let eve = app
        .alias("eve", t.acme)
        .perms(&["activity.view"])
        .all_servers(true)
        .create();
    let (status, body) = app.api_get("/api/v1/audit", &app.api_key(eve, None)).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["ip"], "");
}
