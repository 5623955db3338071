//! Changing alias users through the JSON API: `PATCH /api/v1/alias-users/{aid}` (role,
//! disabled, expiry), `DELETE /api/v1/alias-users/{aid}` and `PUT
//! /api/v1/alias-users/{aid}/servers`, with their refusals — a stronger target, the caller
//! itself, a role or all servers beyond the caller, a key scoped narrower than its login,
//! another account's ids, bad input — each checked in the database afterwards.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{json, Value};
use steward::db::schema::{sessions, users};

use crate::helpers::{create_api_key, tenants, TestApp};

backend_tests!(
    one_alias_user_is_read_through_the_api_within_the_keys_account_only,
    one_patch_changes_role_status_and_expiry_together_and_audits_each,
    a_bad_patch_names_every_field_and_changes_nothing,
    the_api_refuses_a_stronger_alias_itself_and_a_role_beyond_the_caller,
    another_accounts_or_a_missing_alias_user_is_404_for_every_write,
    deleting_through_the_api_logs_it_out_and_its_keys_stop_working,
    put_servers_states_the_list_and_audits_each_step_as_the_dialog_does,
    put_servers_refuses_servers_and_all_servers_beyond_the_caller,
    a_key_scoped_narrower_than_its_login_cannot_change_what_its_login_could,
);

async fn one_alias_user_is_read_through_the_api_within_the_keys_account_only(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let theirs_role = app
        .role(t.globex, "Viewer")
        .perms(&["servers.view"])
        .create();
    let theirs = app
        .alias("gina", t.globex)
        .role(theirs_role)
        .all_servers(true)
        .create();
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

// ---- reading the database ----

/// An alias user's role, disabled flag, expiry and "all servers" flag.
type State = (Option<i32>, bool, Option<NaiveDate>, bool);

fn state(app: &TestApp, id: i32) -> Option<State> {
    users::table
        .find(id)
        .select((
            users::role_id,
            users::disabled,
            users::expires_on,
            users::all_servers,
        ))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

/// The alias-user audit rows: action, target, details, via_api; oldest first.
fn alias_rows(app: &TestApp) -> Vec<(String, String, String, bool)> {
    let entries = app.audit_entries("alias.%");
    entries
        .into_iter()
        .map(|e| (e.action, e.target, e.details, e.via_api))
        .collect()
}

fn sessions_of(app: &TestApp, login: i32) -> i64 {
    sessions::table
        .filter(sessions::user_id.eq(login))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn row(action: &str, target: &str, details: &str) -> (String, String, String, bool) {
    (action.into(), target.into(), details.into(), true)
}

async fn patch(app: &TestApp, key: &str, aid: i32, body: &str) -> (u16, Value) {
    app.api_call(
        "PATCH",
        &format!("/api/v1/alias-users/{aid}"),
        key,
        Some(body),
    )
    .await
}

async fn delete(app: &TestApp, key: &str, aid: i32) -> (u16, Value) {
    app.api_call("DELETE", &format!("/api/v1/alias-users/{aid}"), key, None)
        .await
}

async fn put_servers(app: &TestApp, key: &str, aid: i32, body: &str) -> (u16, Value) {
    app.api_call(
        "PUT",
        &format!("/api/v1/alias-users/{aid}/servers"),
        key,
        Some(body),
    )
    .await
}

// ---- the tests ----

async fn one_patch_changes_role_status_and_expiry_together_and_audits_each(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let ops = app
        .role(t.acme, "Ops")
        .perms(&["servers.view", "servers.power"])
        .create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let _bobs_browser = app.login("bob").await;
    assert_eq!(sessions_of(&app, bob), 1);
    let key = app.api_key(t.acme, None);
    let (status, out) = patch(
        &app,
        &key,
        bob,
        &format!(r#"{{"role_id":{ops},"disabled":true,"expires_at":"2099-06-30"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["id"], bob);
    assert_eq!(out["role"], json!({"id": ops, "name": "Ops"}));
    assert_eq!(out["status"], "disabled");
    assert_eq!(out["expires_on"], "2099-06-30");
    let day = NaiveDate::from_ymd_opt(2099, 6, 30);
    assert_eq!(state(&app, bob), Some((Some(ops), true, day, false)));
    assert_eq!(sessions_of(&app, bob), 0, "a disable logs it out at once");
    assert_eq!(
        alias_rows(&app),
        vec![
            row("alias.update", "alias user bob", "expires=2099-06-30"),
            row(
                "alias.role",
                "alias user bob",
                "role Viewer -> Ops; gains: servers.power; loses: nothing"
            ),
            row("alias.disable", "alias user bob", ""),
        ]
    );
    // null and "" both mean "never"; what is left out stays.
    for never in ["null", r#""""#] {
        let (status, out) = patch(
            &app,
            &key,
            bob,
            &format!(r#"{{"disabled":false,"expires_at":{never}}}"#),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["status"], "active");
        assert_eq!(out["expires_on"], Value::Null);
        assert_eq!(state(&app, bob), Some((Some(ops), false, None, false)));
    }
    let rows = alias_rows(&app);
    assert_eq!(
        rows[3],
        row("alias.update", "alias user bob", "expires=never")
    );
    assert_eq!(rows[4], row("alias.enable", "alias user bob", ""));
    // An empty PATCH changes nothing and writes nothing.
    let before = alias_rows(&app).len();
    let (status, out) = patch(&app, &key, bob, "{}").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["role"]["name"], "Ops");
    assert_eq!(alias_rows(&app).len(), before);
}

async fn a_bad_patch_names_every_field_and_changes_nothing(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let theirs = app
        .role(t.globex, "Viewer")
        .perms(&["servers.view"])
        .create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let _bobs_browser = app.login("bob").await;
    let key = app.api_key(t.acme, None);
    let before = state(&app, bob);
    // Another account's role and a past date, sent with a valid disable: both problems in
    // one answer, and not even the valid part is applied.
    let (status, out) = patch(
        &app,
        &key,
        bob,
        &format!(r#"{{"role_id":{theirs},"disabled":true,"expires_at":"2020-01-01"}}"#),
    )
    .await;
    assert_eq!(status, 422, "{out}");
    let fields = out["fields"].as_object().expect("fields by name");
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["expires_at", "role_id"]);
    assert_eq!(fields["role_id"], "Choose one of this account's roles.");
    for body in [
        r#"{"role_id":0}"#.to_string(),
        r#"{"role_id":-5}"#.to_string(),
        r#"{"role_id":99999999}"#.to_string(),
        r#"{"expires_at":"tomorrow"}"#.to_string(),
        r#"{"expires_at":"2099-02-30"}"#.to_string(),
    ] {
        let (status, out) = patch(&app, &key, bob, &body).await;
        assert_eq!(status, 422, "{body}: {out}");
        assert!(out["fields"].is_object(), "{body}: {out}");
    }
    // Not this shape at all: 400, said without echoing the value.
    for body in [
        r#"{"email":"new@example.com"}"#,
        r#"{"disabled":"yes"}"#,
        r#"{"role_id":"3"}"#,
        r#"{"expires_at":20990101}"#,
        r#"{"role_id":"#,
        "5",
    ] {
        let (status, out) = patch(&app, &key, bob, body).await;
        assert_eq!(status, 400, "{body}: {out}");
    }
    assert_eq!(state(&app, bob), before);
    assert_eq!(sessions_of(&app, bob), 1);
    assert!(alias_rows(&app).is_empty());
}

async fn the_api_refuses_a_stronger_alias_itself_and_a_role_beyond_the_caller(app: TestApp) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let managers = app
        .role(t.acme, "Managers")
        .perms(&["alias_users.manage", "servers.view"])
        .create();
    let plain = app.role(t.acme, "Plain").perms(&["servers.view"]).create();
    let power = app
        .role(t.acme, "Power")
        .perms(&["servers.view", "servers.power"])
        .create();
    let mia = app.alias("mia", t.acme).role(managers).create();
    let weak = app.alias("weak", t.acme).role(plain).create();
    let strong = app.alias("strong", t.acme).role(power).create();
    let wide = app
        .alias("wide", t.acme)
        .role(plain)
        .all_servers(true)
        .create();
    for a in [mia, weak, strong] {
        app.assign(a, web1);
    }
    let key = app.api_key(mia, None);
    let states = |app: &TestApp| [mia, weak, strong, wide].map(|a| state(app, a));
    let before = states(&app);
    let expiry = r#"{"expires_at":"2099-01-01"}"#;
    // Stronger by permission, stronger by servers, and itself.
    for target in [strong, wide, mia] {
        let (status, out) = patch(&app, &key, target, expiry).await;
        assert_eq!(status, 403, "PATCH {target}: {out}");
        let (status, out) = delete(&app, &key, target).await;
        assert_eq!(status, 403, "DELETE {target}: {out}");
        let (status, out) = put_servers(&app, &key, target, r#"{"all":false}"#).await;
        assert_eq!(status, 403, "PUT {target}: {out}");
    }
    // A role holding servers.power, which mia does not hold.
    let (status, out) = patch(&app, &key, weak, &format!(r#"{{"role_id":{power}}}"#)).await;
    assert_eq!(status, 403, "{out}");
    assert!(out["error"].as_str().unwrap().contains("does not hold"));
    assert_eq!(states(&app), before);
    assert!(alias_rows(&app).is_empty());
    // Within its own rights it may.
    let (status, out) = patch(&app, &key, weak, expiry).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        state(&app, weak),
        Some((
            Some(plain),
            false,
            NaiveDate::from_ymd_opt(2099, 1, 1),
            false
        ))
    );
    // A login that may not manage alias users at all is refused before anything is read.
    let (status, _) = patch(&app, &app.api_key(weak, None), mia, expiry).await;
    assert_eq!(status, 403);
}

async fn another_accounts_or_a_missing_alias_user_is_404_for_every_write(app: TestApp) {
    let t = tenants(&app);
    let gina = app
        .alias("gina", t.globex)
        .perms(&["servers.view"])
        .create();
    let key = app.api_key(t.acme, None);
    let before = state(&app, gina);
    for aid in [
        gina.to_string(),
        t.acme.to_string(),
        t.globex.to_string(),
        "0".into(),
        "-1".into(),
        "99999999".into(),
        "abc".into(),
    ] {
        let base = format!("/api/v1/alias-users/{aid}");
        for (method, path, body) in [
            ("PATCH", base.clone(), Some(r#"{"disabled":true}"#)),
            ("DELETE", base.clone(), None),
            ("PUT", format!("{base}/servers"), Some(r#"{"all":false}"#)),
        ] {
            let (status, out) = app.api_call(method, &path, &key, body).await;
            assert_eq!(status, 404, "{method} {path}: {out}");
            assert!(out["error"].is_string());
        }
    }
    assert_eq!(state(&app, gina), before);
    assert!(alias_rows(&app).is_empty());
}

async fn deleting_through_the_api_logs_it_out_and_its_keys_stop_working(app: TestApp) {
    let t = tenants(&app);
    let web1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let bob = app.alias("bob", t.acme).perms(&["servers.view"]).create();
    app.assign(bob, web1);
    let _bobs_browser = app.login("bob").await;
    let bobs_key = app.api_key(bob, None);
    assert_eq!(app.api_get("/api/v1/me", &bobs_key).await.0, 200);
    let key = app.api_key(t.acme, None);
    let (status, out) = delete(&app, &key, bob).await;
    assert_eq!(status, 204, "{out}");
    assert_eq!(state(&app, bob), None);
    assert_eq!(sessions_of(&app, bob), 0);
    assert!(app.assigned(bob).is_empty());
    assert_eq!(app.api_get("/api/v1/me", &bobs_key).await.0, 401);
    assert_eq!(
        alias_rows(&app),
        vec![row("alias.delete", "alias user bob", "")]
    );
    // Gone: a second delete finds nothing.
    assert_eq!(delete(&app, &key, bob).await.0, 404);
    assert_eq!(alias_rows(&app).len(), 1);
}

async fn put_servers_states_the_list_and_audits_each_step_as_the_dialog_does(app: TestApp) {
    let t = tenants(&app);
    let s1 = app.server("s1.acme.test").owned_by(t.acme).create();
    let s2 = app.server("s2.acme.test").owned_by(t.acme).create();
    let s3 = app.server("s3.acme.test").owned_by(t.acme).create();
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let key = app.api_key(t.acme, None);
    let target = "alias user bob";
    // Repeated ids count once.
    let (status, out) = put_servers(
        &app,
        &key,
        bob,
        &format!(r#"{{"all":false,"server_ids":[{s1},{s2},{s1}]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["server_ids"], json!([s1, s2]));
    assert_eq!(out["alias"]["assigned_servers"], 2);
    assert_eq!(out["alias"]["all_servers"], false);
    assert_eq!(app.assigned(bob), [s1, s2]);
    // The difference only: s1 goes, s3 comes, s2 stays.
    let (status, out) = put_servers(
        &app,
        &key,
        bob,
        &format!(r#"{{"all":false,"server_ids":[{s2},{s3}]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(app.assigned(bob), [s2, s3]);
    // "All servers" on keeps the list beside it; off again keeps it too.
    let (status, out) = put_servers(&app, &key, bob, r#"{"all":true}"#).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["alias"]["all_servers"], true);
    assert_eq!(out["server_ids"], json!([s2, s3]));
    let (status, _) = put_servers(&app, &key, bob, r#"{"all":false}"#).await;
    assert_eq!(status, 200);
    assert!(!state(&app, bob).unwrap().3);
    assert_eq!(app.assigned(bob), [s2, s3]);
    // Nothing at all, then the same again: the second changes nothing and writes nothing.
    for _ in 0..2 {
        let (status, out) = put_servers(&app, &key, bob, r#"{"all":false,"server_ids":[]}"#).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["server_ids"], json!([]));
    }
    assert!(app.assigned(bob).is_empty());
    assert_eq!(
        alias_rows(&app),
        vec![
            row(
                "alias.servers.assign",
                target,
                "2 servers: s1.acme.test, s2.acme.test"
            ),
            row("alias.servers.unassign", target, "1 server: s1.acme.test"),
            row("alias.servers.assign", target, "1 server: s3.acme.test"),
            row("alias.servers.all", target, "all servers of the account"),
            row(
                "alias.servers.assigned",
                target,
                "only its assigned servers; the list is kept"
            ),
            row("alias.servers.none", target, "no servers"),
        ]
    );
}

async fn put_servers_refuses_servers_and_all_servers_beyond_the_caller(app: TestApp) {
    let t = tenants(&app);
    let s1 = app.server("s1.acme.test").owned_by(t.acme).create();
    let s2 = app.server("s2.acme.test").owned_by(t.acme).create();
    let theirs = app.server("db1.globex.test").owned_by(t.globex).create();
    let managers = app
        .role(t.acme, "Managers")
        .perms(&["alias_users.manage", "servers.view"])
        .create();
    let plain = app.role(t.acme, "Plain").perms(&["servers.view"]).create();
    let mia = app.alias("mia", t.acme).role(managers).create();
    app.assign(mia, s1);
    let bob = app.alias("bob", t.acme).role(plain).create();
    let key = app.api_key(mia, None);
    // Another account's server and one of the account's that mia does not reach are as
    // absent as a missing one: 404, and nothing changes (not even the valid id beside it).
    for other in [theirs, s2, 99_999_999] {
        let (status, out) = put_servers(
            &app,
            &key,
            bob,
            &format!(r#"{{"all":false,"server_ids":[{s1},{other}]}}"#),
        )
        .await;
        assert_eq!(status, 404, "{other}: {out}");
    }
    // All servers is beyond a manager that reaches only s1.
    let (status, out) = put_servers(&app, &key, bob, r#"{"all":true}"#).await;
    assert_eq!(status, 403, "{out}");
    assert!(app.assigned(bob).is_empty());
    assert!(!state(&app, bob).unwrap().3);
    assert!(alias_rows(&app).is_empty());
    // What it reaches, it hands out.
    let (status, out) = put_servers(
        &app,
        &key,
        bob,
        &format!(r#"{{"all":false,"server_ids":[{s1}]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(app.assigned(bob), [s1]);
    // The account itself reaches them all.
    let (status, out) = put_servers(&app, &app.api_key(t.acme, None), bob, r#"{"all":true}"#).await;
    assert_eq!(status, 200, "{out}");
    assert!(state(&app, bob).unwrap().3);
}

async fn a_key_scoped_narrower_than_its_login_cannot_change_what_its_login_could(app: TestApp) {
    let t = tenants(&app);
    let s1 = app.server("s1.acme.test").owned_by(t.acme).create();
    let s2 = app.server("s2.acme.test").owned_by(t.acme).create();
    let plain = app.role(t.acme, "Plain").perms(&["servers.view"]).create();
    let power = app
        .role(t.acme, "Power")
        .perms(&["servers.view", "servers.power"])
        .create();
    let nothing = app.role(t.acme, "Nothing").perms(&[]).create();
    let bob = app.alias("bob", t.acme).role(plain).create();
    // Holds no server permission: a key limited to chosen servers may still manage it.
    let carol = app.alias("carol", t.acme).role(nothing).create();
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    let key = |name: &'static str, fields: &'static [(&'static str, &'static str)]| {
        let (acme, url) = (&acme, &url);
        async move {
            let mut all = vec![("name", name)];
            all.extend_from_slice(fields);
            create_api_key(acme, url, &all).await
        }
    };
    // Granted servers.view only: no alias-user management at all.
    let viewer = key("Viewer", &[("permissions", "servers.view")]).await;
    // Alias-user management with servers.view: not servers.power.
    let manager = key(
        "Manager",
        &[
            ("permissions", "alias_users.manage"),
            ("permissions", "servers.view"),
        ],
    )
    .await;
    let s1_id = s1.to_string();
    let chosen = create_api_key(
        &acme,
        &url,
        &[
            ("name", "Chosen"),
            ("permissions", "alias_users.manage"),
            ("permissions", "servers.view"),
            ("server_scope", "chosen"),
            ("server_id", &s1_id),
        ],
    )
    .await;
    let before = [state(&app, bob), state(&app, carol)];
    assert_eq!(
        patch(&app, &viewer, bob, r#"{"disabled":true}"#).await.0,
        403
    );
    assert_eq!(delete(&app, &viewer, bob).await.0, 403);
    assert_eq!(
        put_servers(&app, &viewer, bob, r#"{"all":false}"#).await.0,
        403
    );
    // The login may grant Power; this key holds no servers.power to grant.
    let (status, out) = patch(&app, &manager, bob, &format!(r#"{{"role_id":{power}}}"#)).await;
    assert_eq!(status, 403, "{out}");
    // A key limited to chosen servers manages no login with server rights at all, grants
    // no "all servers", and hands out only its servers.
    let (status, out) = patch(&app, &chosen, bob, r#"{"disabled":true}"#).await;
    assert_eq!(status, 403, "{out}");
    let (status, out) = put_servers(&app, &chosen, carol, r#"{"all":true}"#).await;
    assert_eq!(status, 403, "{out}");
    let (status, out) = put_servers(
        &app,
        &chosen,
        carol,
        &format!(r#"{{"all":false,"server_ids":[{s2}]}}"#),
    )
    .await;
    assert_eq!(status, 404, "{out}");
    assert_eq!([state(&app, bob), state(&app, carol)], before);
    assert!(app.assigned(bob).is_empty() && app.assigned(carol).is_empty());
    assert!(alias_rows(&app).is_empty());
    // Within their grants they act.
    let (status, out) = put_servers(
        &app,
        &chosen,
        carol,
        &format!(r#"{{"all":false,"server_ids":[{s1}]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(app.assigned(carol), [s1]);
    let (status, out) = put_servers(
        &app,
        &manager,
        bob,
        &format!(r#"{{"all":false,"server_ids":[{s2}]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(app.assigned(bob), [s2]);
    // And the login's own unscoped key does what the scoped ones could not.
    let full = app.api_key(t.acme, None);
    let (status, out) = patch(&app, &full, bob, &format!(r#"{{"role_id":{power}}}"#)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(state(&app, bob).unwrap().0, Some(power));
    let (status, out) = put_servers(&app, &full, carol, r#"{"all":true}"#).await;
    assert_eq!(status, 200, "{out}");
    assert!(state(&app, carol).unwrap().3);
}
