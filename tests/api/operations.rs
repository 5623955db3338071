//! One operation, two doors (issue 17): a page and the JSON API call the same operation,
//! so they write the same audit entry and refuse the same way; and the account's audit
//! log through `GET /api/v1/audit`.

use diesel::prelude::*;
use steward::db::schema::audit_log;

use crate::alias_users::{alias, role, server};
use crate::backend_tests;
use crate::helpers::{assert_redirect_to, TestApp};
use crate::keys::tenants;

backend_tests!(
    power_from_a_page_and_from_the_api_writes_the_same_audit_entry,
    power_is_refused_alike_by_both_doors,
    the_api_lists_the_accounts_audit_log_with_the_activity_tabs_rule,
    one_alias_user_is_read_through_the_api_within_the_keys_account_only,
);

type Row = (Option<i32>, String, String, String, String, bool);

fn power_rows(app: &TestApp) -> Vec<Row> {
    audit_log::table
        .filter(audit_log::action.eq("server.power"))
        .order(audit_log::id)
        .select((
            audit_log::account_id,
            audit_log::actor_name,
            audit_log::action,
            audit_log::target,
            audit_log::details,
            audit_log::via_api,
        ))
        .load(&mut app.conn())
        .unwrap()
}

async fn power_from_a_page_and_from_the_api_writes_the_same_audit_entry(app: TestApp) {
    let t = tenants(&app);
    let sid = server(&app, "web1.acme.test", t.acme);
    // The admin acts on a customer's server: the entry belongs to the customer's account
    // from either door (the API used to write it to the admin's account, with a copy).
    let page = app.login("boss").await;
    let res = page
        .post(&format!("/servers/{sid}/power"), &[("action", "on")])
        .await;
    assert_redirect_to(&res, &format!("/servers/{sid}"));
    let key = app.api_key(t.admin, None);
    let (status, body) = app
        .api_post(
            &format!("/api/v1/servers/{sid}/power"),
            &key,
            r#"{"action":"on"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let rows = power_rows(&app);
    assert_eq!(rows.len(), 2, "one entry per action, no copies: {rows:?}");
    let (mut from_page, mut from_api) = (rows[0].clone(), rows[1].clone());
    assert!(!from_page.5 && from_api.5, "via_api tells the doors apart");
    from_page.5 = false;
    from_api.5 = false;
    assert_eq!(from_page, from_api);
    assert_eq!(
        from_page,
        (
            Some(t.acme),
            "boss".into(),
            "server.power".into(),
            "server web1.acme.test".into(),
            "on".into(),
            false
        )
    );
}

async fn power_is_refused_alike_by_both_doors(app: TestApp) {
    let t = tenants(&app);
    let sid = server(&app, "web1.acme.test", t.acme);
    let viewer = role(&app, t.acme, "Viewer", &["servers.view"]);
    let bob_id = alias(&app, "bob", t.acme, viewer, true);
    let bob = app.login("bob").await;
    let key = app.api_key(bob_id, None);
    let res = bob
        .post(&format!("/servers/{sid}/power"), &[("action", "on")])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    let (status, _) = app
        .api_post(
            &format!("/api/v1/servers/{sid}/power"),
            &key,
            r#"{"action":"on"}"#,
        )
        .await;
    assert_eq!(status, 403);
    // Another tenant's server is not there, from either door.
    let foreign = server(&app, "db1.globex.test", t.globex);
    let res = bob
        .post(&format!("/servers/{foreign}/power"), &[("action", "on")])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let (status, _) = app
        .api_post(
            &format!("/api/v1/servers/{foreign}/power"),
            &key,
            r#"{"action":"on"}"#,
        )
        .await;
    assert_eq!(status, 404);
    assert!(power_rows(&app).is_empty());
}

async fn the_api_lists_the_accounts_audit_log_with_the_activity_tabs_rule(app: TestApp) {
    let t = tenants(&app);
    let sid = server(&app, "web1.acme.test", t.acme);
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
    let viewer = role(&app, t.acme, "Viewer", &["servers.view"]);
    let bob = alias(&app, "bob", t.acme, viewer, true);
    let (status, _) = app.api_get("/api/v1/audit", &app.api_key(bob, None)).await;
    assert_eq!(status, 403);
    let auditor = role(&app, t.acme, "Auditor", &["activity.view"]);
    let eve = alias(&app, "eve", t.acme, auditor, true);
    let (status, body) = app.api_get("/api/v1/audit", &app.api_key(eve, None)).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["ip"], "");
}

async fn one_alias_user_is_read_through_the_api_within_the_keys_account_only(app: TestApp) {
    let t = tenants(&app);
    let viewer = role(&app, t.acme, "Viewer", &["servers.view"]);
    let bob = alias(&app, "bob", t.acme, viewer, false);
    let theirs_role = role(&app, t.globex, "Viewer", &["servers.view"]);
    let theirs = alias(&app, "gina", t.globex, theirs_role, true);
    let key = app.api_key(t.acme, None);
    let (status, body) = app
        .api_get(&format!("/api/v1/alias-users/{bob}"), &key)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "bob");
    assert_eq!(body["role"]["name"], "Viewer");
    assert_eq!(body["status"], "active");
    assert_eq!(body["all_servers"], false);
    for missing in [
        theirs.to_string(),
        "0".into(),
        "abc".into(),
        t.acme.to_string(),
    ] {
        let (status, body) = app
            .api_get(&format!("/api/v1/alias-users/{missing}"), &key)
            .await;
        assert_eq!(status, 404, "{missing}: {body}");
        assert!(body["error"].is_string());
    }
    // A login that may not manage alias users is refused.
    let (status, _) = app
        .api_get(
            &format!("/api/v1/alias-users/{bob}"),
            &app.api_key(bob, None),
        )
        .await;
    assert_eq!(status, 403);
}
