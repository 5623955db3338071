//! The JSON API: bearer keys acting with their login's current rights,
//! JSON errors, pagination, audited power actions, and the generated OpenAPI document.

use diesel::prelude::*;
use serde_json::Value;
use steward::db::schema::{alias_servers, api_keys, audit_log, server_jobs, servers, users};
use steward::models::api_key::NewApiKey;
use steward::models::now;
use steward::security::api_key::ApiKeySecret;

use crate::helpers::{tenants, TestApp};

fn power_state(app: &TestApp, sid: i32) -> String {
    servers::table
        .find(sid)
        .select(servers::power_state)
        .first(&mut app.conn())
        .unwrap()
}

/// An error answer: the status and `{"error": "..."}` with a message.
fn assert_error(answer: &(u16, Value), status: u16) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert!(
        answer.1["error"].as_str().is_some_and(|m| !m.is_empty()),
        "error shape: {}",
        answer.1
    );
    assert_eq!(answer.1.as_object().unwrap().len(), 1, "only the error");
}

backend_tests!(
    me_says_which_login_and_account_the_key_acts_as,
    missing_malformed_and_unknown_keys_get_401_in_json,
    disabled_expired_revoked_and_parent_disabled_keys_get_401,
    a_keys_rights_follow_its_alias_users_role_change_and_server_unassignment,
    a_key_of_account_a_never_reaches_account_bs_servers,
    power_actions_change_the_server_and_are_audited_as_done_via_the_api,
    bad_input_gets_json_errors_with_the_right_status_and_changes_nothing,
    servers_come_in_pages_of_50_with_search,
    alias_users_are_listed_only_for_keys_that_may_manage_them,
    the_openapi_document_parses_and_lists_every_route,
    the_api_takes_no_cookies_and_records_the_last_use,
    the_secret_never_appears_in_the_server_log,
);

async fn me_says_which_login_and_account_the_key_acts_as(app: TestApp) {
    let t = tenants(&app);
    let bob = app
        .alias("bob", t.acme)
        .perms(&["servers.view", "servers.power", "admin.users"])
        .create();
    let key = app.api_key(bob, None);
    let (status, me) = app.api_get("/api/v1/me", &key).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "bob");
    assert_eq!(me["kind"], "alias");
    assert_eq!(me["account"]["id"], t.acme);
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(perms, ["servers.view", "servers.power"], "role ∩ parent");
    assert_eq!(me["key"]["prefix"].as_str().unwrap(), &key[..12]);
    assert!(
        !me.to_string().contains(&key[4..]),
        "the answer never repeats the secret"
    );
}

async fn missing_malformed_and_unknown_keys_get_401_in_json(app: TestApp) {
    let t = tenants(&app);
    let _real = app.api_key(t.acme, None);
    let unknown = ApiKeySecret::generate();
    let client = reqwest::Client::new();
    for header in [
        None,
        Some("Basic YWNtZTp0ZXN0".to_string()),
        Some("Bearer".to_string()),
        Some("Bearer stw_short".to_string()),
        Some(format!("Bearer {}", &unknown.expose()[4..])),
        Some(format!("Bearer {}", unknown.expose())),
    ] {
        let mut req = client.get(format!("{}/api/v1/servers", app.address));
        if let Some(h) = &header {
            req = req.header("Authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_status!(res, 401, "{header:?}");
        assert!(res.headers().get("www-authenticate").is_some());
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].is_string(), "{header:?}");
    }
}

async fn disabled_expired_revoked_and_parent_disabled_keys_get_401(app: TestApp) {
    let t = tenants(&app);
    let ops = app.role(t.acme, "Ops").perms(&["servers.view"]).create();
    let bob = app
        .alias("bob", t.acme)
        .role(ops)
        .all_servers(true)
        .create();
    let carol = app
        .alias("carol", t.acme)
        .role(ops)
        .all_servers(true)
        .create();
    let set_disabled = |id: i32, v: bool| {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(v))
            .execute(&mut app.conn())
            .unwrap();
    };

    // Disabled login.
    let key = app.api_key(bob, None);
    assert_eq!(app.api_get("/api/v1/me", &key).await.0, 200);
    set_disabled(bob, true);
    assert_error(&app.api_get("/api/v1/me", &key).await, 401);
    set_disabled(bob, false);
    assert_eq!(
        app.api_get("/api/v1/me", &key).await.0,
        200,
        "enabled again"
    );

    // Expired login.
    let today = now().date();
    diesel::update(users::table.find(bob))
        .set(users::expires_on.eq(Some(today)))
        .execute(&mut app.conn())
        .unwrap();
    assert_error(&app.api_get("/api/v1/me", &key).await, 401);

    // Expired key (its login fine).
    let expired = app.api_key(carol, Some(today));
    assert_error(&app.api_get("/api/v1/me", &expired).await, 401);
    let tomorrow = app.api_key(carol, today.succ_opt());
    assert_eq!(app.api_get("/api/v1/me", &tomorrow).await.0, 200);

    // Revoked key.
    diesel::update(
        api_keys::table
            .filter(api_keys::token_hash.eq(steward::security::token::sha256_hex(&tomorrow))),
    )
    .set(api_keys::revoked_at.eq(Some(now())))
    .execute(&mut app.conn())
    .unwrap();
    assert_error(&app.api_get("/api/v1/me", &tomorrow).await, 401);

    // Parent disabled: its alias users' keys and its own stop.
    let live = app.api_key(carol, None);
    let own = app.api_key(t.acme, None);
    assert_eq!(app.api_get("/api/v1/me", &live).await.0, 200);
    set_disabled(t.acme, true);
    assert_error(&app.api_get("/api/v1/me", &live).await, 401);
    assert_error(&app.api_get("/api/v1/servers", &own).await, 401);
}

async fn a_keys_rights_follow_its_alias_users_role_change_and_server_unassignment(app: TestApp) {
    let t = tenants(&app);
    let ops = app
        .role(t.acme, "Ops")
        .perms(&["servers.view", "servers.power"])
        .create();
    let read_only = app
        .role(t.acme, "Read only")
        .perms(&["servers.view"])
        .create();
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let web2 = app.server("web2.acme.test").owned_by(t.acme).create();
    let bob = app.alias("bob", t.acme).role(ops).create();
    app.assign(bob, web1);
    let key = app.api_key(bob, None);

    let (status, list) = app.api_get("/api/v1/servers", &key).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["hostname"], "web1.acme.test");
    assert_eq!(
        app.api_get(&format!("/api/v1/servers/{web2}"), &key)
            .await
            .0,
        404,
        "not assigned"
    );
    let power = format!("/api/v1/servers/{web1}/power");
    assert_eq!(
        app.api_post(&power, &key, r#"{"action":"on"}"#).await.0,
        200
    );
    assert_eq!(power_state(&app, web1), "on");

    // The owner gives bob the read-only role: the very next call may not power.
    diesel::update(users::table.find(bob))
        .set(users::role_id.eq(Some(read_only)))
        .execute(&mut app.conn())
        .unwrap();
    assert_error(
        &app.api_post(&power, &key, r#"{"action":"off"}"#).await,
        403,
    );
    assert_eq!(power_state(&app, web1), "on", "nothing changed");
    assert_eq!(
        app.api_get(&format!("/api/v1/servers/{web1}"), &key)
            .await
            .0,
        200
    );

    // web1 is unassigned: the next call no longer finds it.
    diesel::delete(alias_servers::table.filter(alias_servers::alias_id.eq(bob)))
        .execute(&mut app.conn())
        .unwrap();
    assert_error(
        &app.api_get(&format!("/api/v1/servers/{web1}"), &key).await,
        404,
    );
    let (_, list) = app.api_get("/api/v1/servers", &key).await;
    assert_eq!(list["total"], 0);
}

async fn a_key_of_account_a_never_reaches_account_bs_servers(app: TestApp) {
    let t = tenants(&app);
    let mine = app.server("app.acme.test").owned_by(t.acme).create();
    let theirs = app.server("db.globex.test").owned_by(t.globex).create();
    let key = app.api_key(t.acme, None);
    let (_, list) = app.api_get("/api/v1/servers?q=globex", &key).await;
    assert_eq!(list["total"], 0);
    assert_error(
        &app.api_get(&format!("/api/v1/servers/{theirs}"), &key)
            .await,
        404,
    );
    let answer = app
        .api_post(
            &format!("/api/v1/servers/{theirs}/power"),
            &key,
            r#"{"action":"on"}"#,
        )
        .await;
    assert_error(&answer, 404);
    assert_eq!(power_state(&app, theirs), "off");
    let jobs: i64 = server_jobs::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(jobs, 0);
    assert_eq!(
        app.api_get(&format!("/api/v1/servers/{mine}"), &key)
            .await
            .0,
        200
    );
    // The admin's key reaches both; globex's only its own.
    let admin_key = app.api_key(t.admin, None);
    assert_eq!(
        app.api_get("/api/v1/servers", &admin_key).await.1["total"],
        2
    );
    let globex_key = app.api_key(t.globex, None);
    assert_error(
        &app.api_get(&format!("/api/v1/servers/{mine}"), &globex_key)
            .await,
        404,
    );
}

async fn power_actions_change_the_server_and_are_audited_as_done_via_the_api(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let key = app.api_key(t.acme, None);
    let path = format!("/api/v1/servers/{sid}/power");
    let (status, body) = app.api_post(&path, &key, r#"{"action":"on"}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["server"]["power_state"], "on");
    assert_eq!(body["job"]["detail"], "on");
    assert_eq!(power_state(&app, sid), "on");
    let (_, body) = app.api_post(&path, &key, r#"{"action":"off"}"#).await;
    assert_eq!(body["server"]["power_state"], "off");
    let (_, body) = app.api_post(&path, &key, r#"{"action":"reset"}"#).await;
    assert_eq!(body["server"]["power_state"], "on");

    let jobs: Vec<(String, String, Option<i32>)> = server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .order(server_jobs::id)
        .select((
            server_jobs::kind,
            server_jobs::detail,
            server_jobs::requested_by,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1], ("power".into(), "off".into(), Some(t.acme)));

    let rows: Vec<(String, String, String, bool, Option<i32>)> = audit_log::table
        .filter(audit_log::action.eq("server.power"))
        .order(audit_log::id)
        .select((
            audit_log::actor_name,
            audit_log::target,
            audit_log::details,
            audit_log::via_api,
            audit_log::account_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows.len(), 3);
    let (actor, target, details, via_api, account) = &rows[0];
    assert_eq!(actor, "acme");
    assert!(target.contains("web1.acme.test"));
    // The same entry as the page's power form writes (one operation, two doors).
    assert_eq!(details, "on");
    assert!(*via_api);
    assert_eq!(*account, Some(t.acme));
    assert!(rows
        .iter()
        .all(|r| !r.2.contains(&key[4..]) && !r.1.contains(&key[4..])));
}

async fn bad_input_gets_json_errors_with_the_right_status_and_changes_nothing(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let bob = app
        .alias("bob", t.acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let key = app.api_key(t.acme, None);
    let bob_key = app.api_key(bob, None);
    let power = format!("/api/v1/servers/{sid}/power");

    assert_error(&app.api_post(&power, &key, "not json").await, 400);
    assert_error(
        &app.api_post(&power, &key, r#"{"action":"explode"}"#).await,
        422,
    );
    assert_error(&app.api_post(&power, &key, r#"{"action":1}"#).await, 422);
    assert_error(&app.api_post(&power, &key, "{}").await, 422);
    assert_error(
        &app.api_post(&power, &bob_key, r#"{"action":"on"}"#).await,
        403,
    );
    assert_error(&app.api_get("/api/v1/servers/abc", &key).await, 404);
    assert_error(&app.api_get("/api/v1/servers/99999", &key).await, 404);
    assert_error(
        &app.api_post("/api/v1/servers/abc/power", &key, "{}").await,
        404,
    );
    assert_error(&app.api_get("/api/v1/no-such-thing", &key).await, 404);
    assert_error(&app.api_get("/api/v1/alias-users", &bob_key).await, 403);
    // A known route with another method: 405, as JSON.
    assert_error(
        &app.api("POST", "/api/v1/me", Some(&key), Some("{}")).await,
        405,
    );
    // Odd page numbers are page 1, never an error.
    for odd in ["-4", "abc", "%ZZ", "99999999999"] {
        let (status, body) = app
            .api_get(&format!("/api/v1/servers?page={odd}"), &key)
            .await;
        assert_eq!((status, body["page"].as_i64()), (200, Some(1)), "{odd}");
    }

    assert_eq!(power_state(&app, sid), "off");
    let jobs: i64 = server_jobs::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(jobs, 0);
    let audited: i64 = audit_log::table
        .filter(audit_log::via_api.eq(true))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 0);
}

async fn servers_come_in_pages_of_50_with_search(app: TestApp) {
    let t = tenants(&app);
    app.many_servers(t.acme, 120);
    let key = app.api_key(t.acme, None);
    let (status, p1) = app.api_get("/api/v1/servers", &key).await;
    assert_eq!(status, 200);
    assert_eq!(p1["items"].as_array().unwrap().len(), 50);
    assert_eq!(
        (
            p1["total"].as_i64(),
            p1["page"].as_i64(),
            p1["pages"].as_i64()
        ),
        (Some(120), Some(1), Some(3))
    );
    assert_eq!(p1["items"][0]["hostname"], "srv00000.example.net");
    let (_, p3) = app.api_get("/api/v1/servers?page=3", &key).await;
    assert_eq!(p3["items"].as_array().unwrap().len(), 20);
    assert_eq!(p3["items"][0]["hostname"], "srv00100.example.net");
    let (_, found) = app.api_get("/api/v1/servers?q=srv0001", &key).await;
    assert_eq!(found["total"], 10);
    let (_, tagged) = app.api_get("/api/v1/servers?q=odd", &key).await;
    assert_eq!(tagged["total"], 60);
    assert_eq!(tagged["items"][0]["tags"][0], "odd");
}

async fn alias_users_are_listed_only_for_keys_that_may_manage_them(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let managers = app
        .role(t.acme, "Managers")
        .perms(&["servers.view", "alias_users.manage"])
        .create();
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    app.assign(bob, web1);
    let mia = app
        .alias("mia", t.acme)
        .role(managers)
        .all_servers(true)
        .create();
    let _other = app
        .alias("zed", t.globex)
        .role(app.role(t.globex, "G").perms(&[]).create())
        .all_servers(true)
        .create();

    let (status, list) = app
        .api_get("/api/v1/alias-users", &app.api_key(t.acme, None))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2, "only acme's alias users");
    let bob_row = &list["items"][0];
    assert_eq!(bob_row["username"], "bob");
    assert_eq!(bob_row["role"]["name"], "Viewer");
    assert_eq!(bob_row["assigned_servers"], 1);
    assert_eq!(bob_row["status"], "active");
    let (status, _) = app
        .api_get("/api/v1/alias-users?q=mia", &app.api_key(mia, None))
        .await;
    assert_eq!(status, 200);
    assert_error(
        &app.api_get("/api/v1/alias-users", &app.api_key(bob, None))
            .await,
        403,
    );
}

async fn the_openapi_document_parses_and_lists_every_route(app: TestApp) {
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap();
    assert_status!(res, 200, "public, no key needed");
    let doc: Value = serde_json::from_str(&res.text().await.unwrap()).expect("valid JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/keys/current"),
        ("get", "/api/v1/servers"),
        ("get", "/api/v1/servers/{sid}"),
        ("post", "/api/v1/servers/{sid}/power"),
        ("get", "/api/v1/alias-users"),
        ("get", "/api/v1/alias-users/{aid}"),
        ("post", "/api/v1/alias-users"),
        ("get", "/api/v1/roles"),
        ("post", "/api/v1/roles"),
        ("get", "/api/v1/roles/{rid}"),
        ("patch", "/api/v1/roles/{rid}"),
        ("delete", "/api/v1/roles/{rid}"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/openapi.json"),
        ("patch", "/api/v1/alias-users/{aid}"),
        ("put", "/api/v1/alias-users/{aid}/servers"),
        // Last: it deletes the alias user the rows above use.
        ("delete", "/api/v1/alias-users/{aid}"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 12, "{:?}", paths.keys().collect::<Vec<_>>());
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
    }
    assert!(doc["components"]["securitySchemes"]["api_key"]["scheme"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer")));
    assert!(doc["paths"]["/api/v1/servers/{sid}/power"]["post"]["requestBody"].is_object());
    // Every documented route answers (with a real key), so the document matches the code.
    let t = tenants(&app);
    let key = app.api_key(t.admin, None);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let helper = app
        .role(t.admin, "Helper")
        .perms(&["servers.view"])
        .create();
    let aid = app
        .alias("boss-helper", t.admin)
        .role(helper)
        .all_servers(true)
        .create();
    // A role nobody holds, for the role routes (the last of them deletes it).
    let rid = app
        .role(t.admin, "Doc role")
        .perms(&["servers.view"])
        .create();
    for (method, path) in routes {
        let path = path
            .replace("{sid}", &sid.to_string())
            .replace("{aid}", &aid.to_string())
            .replace("{rid}", &rid.to_string());
        let create = format!(
            r#"{{"username":"doc-check","email":"doc@example.com","password":"a-long-password","role_id":{helper}}}"#
        );
        let body = match (method, path.as_str()) {
            ("post", "/api/v1/alias-users") => Some(create.as_str()),
            ("post", "/api/v1/roles") => Some(r#"{"name":"Doc check","permissions":[]}"#),
            ("patch", p) if p.starts_with("/api/v1/roles") => Some(r#"{"description":"Checked"}"#),
            ("post", _) => Some(r#"{"action":"on"}"#),
            ("patch", _) => Some(r#"{"expires_at":"2099-01-01"}"#),
            ("put", _) => Some(r#"{"all":true}"#),
            _ => None,
        };
        let (status, out) = app
            .api(&method.to_uppercase(), &path, Some(&key), body)
            .await;
        let expected = match (method, path.as_str()) {
            ("post", "/api/v1/alias-users" | "/api/v1/roles") => 201,
            ("delete", _) => 204,
            _ => 200,
        };
        assert_eq!(status, expected, "{method} {path}: {out}");
    }
}

async fn the_api_takes_no_cookies_and_records_the_last_use(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    // A logged-in browser's cookies open no API door.
    let browser = app.login("acme").await;
    assert_status!(browser.get("/api/v1/me").await, 401);
    // A key works without any CSRF token, and the answer sets no cookie.
    let key = crate::helpers::create_api_key(
        &browser,
        &format!("/users/{}/api-keys", t.acme),
        &[("name", "script")],
    )
    .await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/servers/{sid}/power", app.address))
        .bearer_auth(&key)
        .json(&serde_json::json!({"action": "on"}))
        .send()
        .await
        .unwrap();
    assert_status!(res, 200);
    assert!(res.headers().get("set-cookie").is_none());
    let used: Option<chrono::NaiveDateTime> = api_keys::table
        .filter(api_keys::user_id.eq(t.acme))
        .select(api_keys::last_used_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(used.is_some(), "last use recorded");
    let listed = browser
        .get_html(&format!("/users/{}/api-keys", t.acme))
        .await;
    assert!(listed.contains(" UTC"), "last use shown");
}

async fn the_secret_never_appears_in_the_server_log(app: TestApp) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let (url, _pg, _dir) = crate::helpers::fresh_database(app.backend);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_dir = crate::helpers::temp_dir();
    let log_path = log_dir.0.join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let secret_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([9u8; 64])
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .arg("serve")
        .env("STEWARD_DATABASE_URL", &url)
        .env("STEWARD_BIND", format!("127.0.0.1:{port}"))
        .env("STEWARD_SECRET_KEY", secret_b64)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .expect("start steward");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let child = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stdout).lines() {
        if line.unwrap().contains("log in at") || Instant::now() > deadline {
            break;
        }
    }
    let pool = steward::db::connect(&url).unwrap();
    let admin: i32 = users::table
        .filter(users::kind.eq("admin"))
        .select(users::id)
        .first(&mut pool.get().unwrap())
        .unwrap();
    let secret = ApiKeySecret::generate();
    NewApiKey {
        user_id: admin,
        name: "log test",
        token_prefix: &secret.visible_prefix(),
        token_hash: &secret.hash(),
        expires_on: None,
        created_at: now(),
        permissions: None,
        all_servers: true,
        allowed_ips: String::new(),
    }
    .insert(&mut pool.get().unwrap())
    .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let ok = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(secret.expose())
        .send()
        .await
        .unwrap();
    assert_status!(ok, 200);
    let revoked_like = ApiKeySecret::generate();
    let refused = client
        .get(format!("{base}/api/v1/servers"))
        .bearer_auth(revoked_like.expose())
        .send()
        .await
        .unwrap();
    assert_status!(refused, 401);
    drop(child);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("GET /api/v1/me"), "requests are logged: {log}");
    for s in [secret.expose(), revoked_like.expose()] {
        assert!(!log.contains(&s[4..]), "the secret is not in the log");
    }
    drop(pool);
}
