//! Scoped API keys: a key acts with its grants ∩ its login's current rights,
//! only from its allowed addresses; the form refuses what the login cannot grant; the list
//! shows each key's scope; `GET /api/v1/keys/current` says what the key may do.

use diesel::prelude::*;
use serde_json::Value;
use steward::db::schema::{alias_role_permissions, api_keys, audit_log};
use steward::db::Backend;

use crate::helpers::{create_api_key, spawn_app_on, tenants, TestApp};

backend_tests!(
    a_key_limited_to_servers_view_on_one_server_sees_that_server_only_and_is_refused_power,
    narrowing_the_logins_role_narrows_the_key_at_once_and_widening_it_never_widens_the_key,
    a_key_used_from_outside_its_ipv4_networks_is_refused_and_the_refusal_is_logged,
    an_owner_cannot_create_a_key_for_its_alias_user,
    the_creation_form_refuses_what_the_login_cannot_grant_and_creates_nothing,
    the_key_list_shows_each_keys_scope,
);

/// Calls the API with a bearer key; answers the status and the JSON body.
async fn call(app: &TestApp, method: &str, path: &str, key: &str, body: &str) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", app.address);
    let req = match method {
        "POST" => client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
        _ => client.get(url),
    };
    let res = req
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn key_count(app: &TestApp) -> i64 {
    api_keys::table.count().get_result(&mut app.conn()).unwrap()
}

fn refusals(app: &TestApp, account: i32) -> Vec<String> {
    audit_log::table
        .filter(audit_log::account_id.eq(account))
        .filter(audit_log::action.eq("api_key.refused_address"))
        .select(audit_log::details)
        .load(&mut app.conn())
        .unwrap()
}

async fn a_key_limited_to_servers_view_on_one_server_sees_that_server_only_and_is_refused_power(
    app: TestApp,
) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let web2 = app.server("web2.acme.test").owned_by(t.acme).create();
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    let key = create_api_key(
        &acme,
        &url,
        &[
            ("name", "Status script"),
            ("permissions", "servers.view"),
            ("server_scope", "chosen"),
            ("server_id", &web1.to_string()),
            ("allowed_ips", ""),
        ],
    )
    .await;
    let (status, list) = call(&app, "GET", "/api/v1/servers", &key, "").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["hostname"], "web1.acme.test");
    let (status, _) = call(&app, "GET", &format!("/api/v1/servers/{web1}"), &key, "").await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, "GET", &format!("/api/v1/servers/{web2}"), &key, "").await;
    assert_eq!(status, 404, "a server outside the key's scope is not there");
    let power = format!("/api/v1/servers/{web1}/power");
    let (status, _) = call(&app, "POST", &power, &key, r#"{"action":"on"}"#).await;
    assert_eq!(status, 403, "the key was not granted servers.power");
    let (status, current) = call(&app, "GET", "/api/v1/keys/current", &key, "").await;
    assert_eq!(status, 200);
    assert_eq!(current["permissions"], serde_json::json!(["servers.view"]));
    assert_eq!(
        current["granted_permissions"],
        serde_json::json!(["servers.view"])
    );
    assert_eq!(current["server_scope"], "chosen");
    assert_eq!(current["server_ids"], serde_json::json!([web1]));
    assert_eq!(current["allowed_ips"], serde_json::json!([]));
    // The login itself still may: the key is narrower than its login.
    let all = create_api_key(&acme, &url, &[("name", "Everything")]).await;
    let (status, _) = call(&app, "POST", &power, &all, r#"{"action":"on"}"#).await;
    assert_eq!(status, 200);
    let (_, list) = call(&app, "GET", "/api/v1/servers", &all, "").await;
    assert_eq!(list["total"], 2);
}

async fn narrowing_the_logins_role_narrows_the_key_at_once_and_widening_it_never_widens_the_key(
    app: TestApp,
) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let ops_role = app
        .role(t.acme, "Ops")
        .perms(&["servers.view", "servers.power", "api_keys.manage"])
        .create();
    let ops = app
        .alias("acme-ops", t.acme)
        .role(ops_role)
        .all_servers(true)
        .create();
    let b = app.login("acme-ops").await;
    let url = format!("/users/{}/alias-users/{ops}/api-keys", t.acme);
    let everything = create_api_key(&b, &url, &[("name", "All of mine")]).await;
    let viewer = create_api_key(
        &b,
        &url,
        &[("name", "Viewer"), ("permissions", "servers.view")],
    )
    .await;
    let power = format!("/api/v1/servers/{web1}/power");
    let on = r#"{"action":"on"}"#;
    assert_eq!(call(&app, "POST", &power, &everything, on).await.0, 200);
    assert_eq!(call(&app, "POST", &power, &viewer, on).await.0, 403);

    // The owner takes servers.power out of the role: the key loses it on its next call.
    diesel::delete(
        alias_role_permissions::table
            .filter(alias_role_permissions::role_id.eq(ops_role))
            .filter(alias_role_permissions::permission.eq("servers.power")),
    )
    .execute(&mut app.conn())
    .unwrap();
    assert_eq!(call(&app, "POST", &power, &everything, on).await.0, 403);
    let (_, current) = call(&app, "GET", "/api/v1/keys/current", &everything, "").await;
    assert_eq!(current["granted_permissions"], Value::Null);
    assert!(!current["permissions"]
        .as_array()
        .unwrap()
        .contains(&Value::from("servers.power")));

    // Widening the role gives the "all of mine" key the permission back (its grant is
    // "all of its login's"), but never the key that was granted servers.view only.
    for p in ["servers.power", "servers.reinstall"] {
        diesel::insert_into(alias_role_permissions::table)
            .values((
                alias_role_permissions::role_id.eq(ops_role),
                alias_role_permissions::permission.eq(p),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    assert_eq!(call(&app, "POST", &power, &everything, on).await.0, 200);
    assert_eq!(call(&app, "POST", &power, &viewer, on).await.0, 403);
    let (_, current) = call(&app, "GET", "/api/v1/keys/current", &viewer, "").await;
    assert_eq!(current["permissions"], serde_json::json!(["servers.view"]));
}

async fn a_key_used_from_outside_its_ipv4_networks_is_refused_and_the_refusal_is_logged(
    app: TestApp,
) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    let here = create_api_key(
        &acme,
        &url,
        &[("name", "Here"), ("allowed_ips", "10.9.9.9, 127.0.0.0/8")],
    )
    .await;
    let elsewhere = create_api_key(
        &acme,
        &url,
        &[
            ("name", "Elsewhere"),
            ("allowed_ips", "203.0.113.0/24 2001:db8::/32"),
        ],
    )
    .await;
    assert_eq!(call(&app, "GET", "/api/v1/me", &here, "").await.0, 200);
    assert!(refusals(&app, t.acme).is_empty());
    let (status, body) = call(&app, "GET", "/api/v1/me", &elsewhere, "").await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("address"),
        "{body}"
    );
    let logged = refusals(&app, t.acme);
    assert_eq!(logged.len(), 1);
    assert!(
        logged[0].contains("127.0.0.1") && logged[0].contains("203.0.113.0/24"),
        "{logged:?}"
    );
    // A refused call is no use of the key.
    let used: Option<chrono::NaiveDateTime> = api_keys::table
        .filter(api_keys::name.eq("Elsewhere"))
        .select(api_keys::last_used_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(used.is_none());
    // The owner sees it in its activity.
    let activity = acme.get_html(&format!("/users/{}/activity", t.acme)).await;
    assert!(
        activity.contains("Elsewhere"),
        "the refusal is in the activity tab"
    );
}

/// A key for `user` allowed from `networks`, written straight to the database.
fn key_from(app: &TestApp, user: i32, name: &str, networks: &str) -> String {
    app.key_for(user).named(name).from(networks).create().1
}

async fn an_ipv6_client_is_held_to_the_keys_ipv6_networks(backend: Backend) {
    let app = spawn_app_on(backend, "[::1]").await;
    let t = tenants(&app);
    let v6 = key_from(&app, t.acme, "v6", "::1/128");
    let v6_net = key_from(&app, t.acme, "v6 net", "fd00::/8, ::/127");
    let v4_only = key_from(&app, t.acme, "v4 only", "127.0.0.1/32");
    assert_eq!(call(&app, "GET", "/api/v1/me", &v6, "").await.0, 200);
    assert_eq!(call(&app, "GET", "/api/v1/me", &v6_net, "").await.0, 200);
    assert_eq!(call(&app, "GET", "/api/v1/me", &v4_only, "").await.0, 403);
    let logged = refusals(&app, t.acme);
    assert_eq!(logged.len(), 1);
    assert!(logged[0].contains("used from ::1;"), "{logged:?}");
}

mod an_ipv6_client_is_held_to_the_keys_ipv6_networks {
    use steward::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_ipv6_client_is_held_to_the_keys_ipv6_networks(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::an_ipv6_client_is_held_to_the_keys_ipv6_networks(Backend::Postgres).await;
    }
}

/// acme's alias user "acme-ops", which sees every server of the account and manages its
/// API keys; answers the page of its keys.
fn key_maker(app: &TestApp, acme: i32) -> String {
    let ops = app
        .alias("acme-ops", acme)
        .perms(&["servers.view", "api_keys.manage"])
        .all_servers(true)
        .create();
    format!("/users/{acme}/alias-users/{ops}/api-keys")
}

async fn an_owner_cannot_create_a_key_for_its_alias_user(app: TestApp) {
    let t = tenants(&app);
    let url = key_maker(&app, t.acme);
    let acme = app.login("acme").await;
    assert_status!(acme.post(&url, &[("name", "For you")]).await, 403);
    assert_eq!(key_count(&app), 0);
    // The alias user makes its own, and the owner sees and may revoke it.
    let b = app.login("acme-ops").await;
    create_api_key(&b, &url, &[("name", "Mine")]).await;
    assert_eq!(key_count(&app), 1);
    let page = acme.get_html(&url).await;
    assert!(page.contains("Mine") && page.contains("/revoke"));
}

async fn the_creation_form_refuses_what_the_login_cannot_grant_and_creates_nothing(app: TestApp) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let foreign = app.server("db1.globex.test").owned_by(t.globex).create();
    let url = key_maker(&app, t.acme);
    let b = app.login("acme-ops").await;
    let web1 = web1.to_string();
    let foreign = foreign.to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("permissions", "servers.power")],
            "only hold permissions its login holds",
        ),
        (vec![("permissions", "servers.fly")], "Unknown permissions"),
        (
            vec![("server_scope", "chosen"), ("server_id", &foreign)],
            "does not reach",
        ),
        (vec![("server_scope", "chosen")], "at least one server"),
        (
            vec![("server_scope", "chosen"), ("server_id", "x")],
            "Choose servers from the list",
        ),
        (vec![("server_scope", "some")], "all servers or chosen"),
        (vec![("allowed_ips", "10.0.0.0/33")], "not an address"),
        (vec![("allowed_ips", "example.com")], "not an address"),
    ];
    for (extra, message) in cases {
        let mut fields = vec![("name", "Script")];
        fields.extend(extra.iter().copied());
        let res = b.post(&url, &fields).await;
        assert_status!(res, 422, "{extra:?}");
        let page = res.text().await.unwrap();
        assert!(page.contains(message), "{extra:?}: {message}");
        assert!(page.contains("value=\"Script\""), "the input is kept");
    }
    assert_eq!(key_count(&app), 0);
    // A valid scoped key is accepted.
    create_api_key(
        &b,
        &url,
        &[
            ("name", "Script"),
            ("permissions", "servers.view"),
            ("server_scope", "chosen"),
            ("server_id", &web1),
        ],
    )
    .await;
    assert_eq!(key_count(&app), 1);
}

async fn the_key_list_shows_each_keys_scope(app: TestApp) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    create_api_key(
        &acme,
        &url,
        &[
            ("name", "Scoped"),
            ("permissions", "servers.view"),
            ("permissions", "servers.power"),
            ("server_scope", "chosen"),
            ("server_id", &web1.to_string()),
            ("allowed_ips", "203.0.113.0/24"),
        ],
    )
    .await;
    create_api_key(&acme, &url, &[("name", "Wide")]).await;
    let page = acme.get_html(&url).await;
    for shown in [
        "servers.view, servers.power",
        "web1.acme.test",
        "203.0.113.0/24",
        "All permissions of acme",
        "All servers",
        "Anywhere",
    ] {
        assert!(page.contains(shown), "{shown}");
    }
    let audited: String = audit_log::table
        .filter(audit_log::action.eq("api_key.create"))
        .filter(audit_log::target.like("%Scoped%"))
        .select(audit_log::details)
        .first(&mut app.conn())
        .unwrap();
    assert!(
        audited.contains("permissions=servers.view servers.power")
            && audited.contains(&format!("servers={web1}"))
            && audited.contains("allowed_ips=203.0.113.0/24"),
        "{audited}"
    );
}
