//! Alias roles through the JSON API: the five role routes, each with its
//! refusals — 403 for a key without the right, for the caller's own role, a role beyond
//! its rights, a change that would leave a holder beyond it, and a key granted less than
//! its login; 404 for another account's role; 422 for bad names, unknown or ungrantable
//! permissions and unconfirmed dangerous ones; 409 for a role still held — and after
//! every refusal, a database that did not change.

use diesel::prelude::*;
use serde_json::Value;
use steward::db::schema::alias_roles;

use crate::helpers::snapshot::snapshot;
use crate::helpers::{create_api_key, tenants, TestApp};

backend_tests!(
    the_api_lists_the_accounts_roles_with_permissions_holders_and_locks,
    one_role_is_read_within_the_keys_account_only,
    a_role_is_created_through_the_api_and_audited,
    bad_names_and_unknown_or_ungrantable_permissions_are_422_and_change_nothing,
    dangerous_permissions_need_confirm_dangerous_through_the_api,
    a_role_is_patched_field_by_field_and_its_holders_get_the_new_rights_at_once,
    a_role_is_deleted_through_the_api_unless_alias_users_hold_it,
    a_key_without_the_right_to_manage_roles_is_refused_every_role_route,
    an_alias_manager_cannot_change_its_own_role_or_a_stronger_one_through_the_api,
    a_change_that_would_leave_a_holder_beyond_the_caller_is_refused_by_both_doors,
    a_scoped_key_is_limited_by_its_grants_not_by_its_logins_rights,
    another_accounts_role_is_404_for_every_role_route,
);

// ---- fixtures ------------------------------------------------------------------------

/// A role's name, description and permission keys (sorted), if it exists.
fn role_row(app: &TestApp, rid: i32) -> Option<(String, String, Vec<String>)> {
    let row: Option<(String, String)> = alias_roles::table
        .find(rid)
        .select((alias_roles::name, alias_roles::description))
        .first(&mut app.conn())
        .optional()
        .unwrap();
    row.map(|(name, description)| {
        let mut keys = steward::models::role::permissions_of(&mut app.conn(), rid).unwrap();
        keys.sort();
        (name, description, keys)
    })
}

fn role_names(app: &TestApp, account: i32) -> Vec<String> {
    alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .order(alias_roles::name_key)
        .select(alias_roles::name)
        .load(&mut app.conn())
        .unwrap()
}

/// (action, target, details, via_api) of the account's role audit rows, oldest first.
fn role_audit(app: &TestApp, account: i32) -> Vec<(String, String, String, bool)> {
    let entries = app.audit_entries("role.%");
    entries
        .into_iter()
        .filter(|e| e.account_id == Some(account))
        .map(|e| (e.action, e.target, e.details, e.via_api))
        .collect()
}

/// The account's roles Viewer (servers.view), Ops (servers.view and the dangerous
/// servers.reinstall) and Managers (alias_roles.manage, servers.view); answers their ids
/// in that order.
fn viewer_ops_managers(app: &TestApp, account: i32) -> (i32, i32, i32) {
    let viewer = app
        .role(account, "Viewer")
        .perms(&["servers.view"])
        .create();
    let ops = app
        .role(account, "Ops")
        .perms(&["servers.view", "servers.reinstall"])
        .create();
    let managers = app
        .role(account, "Managers")
        .perms(&["alias_roles.manage", "servers.view"])
        .create();
    (viewer, ops, managers)
}

fn keys(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Sends one API call and asserts that it was refused with `status` and changed nothing.
async fn refused(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&str>,
    status: u16,
) -> Value {
    let before = snapshot(app);
    let (got, out) = app.api(method, path, Some(key), body).await;
    assert_eq!(got, status, "{method} {path} {body:?}: {out}");
    assert!(out["error"].is_string(), "{method} {path}: {out}");
    let after = snapshot(app);
    assert!(
        after == before,
        "{method} {path} was refused but changed {}",
        before.describe_change(&after)
    );
    out
}

/// The field names of a 422 answer, sorted.
fn field_names(out: &Value) -> Vec<String> {
    let mut names: Vec<String> = out["fields"]
        .as_object()
        .expect("fields by name")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

// ---- reading -------------------------------------------------------------------------

async fn the_api_lists_the_accounts_roles_with_permissions_holders_and_locks(app: TestApp) {
    let t = tenants(&app);
    let (viewer, _, managers) = viewer_ops_managers(&app, t.acme);
    app.alias("bob", t.acme).role(viewer).create();
    app.alias("carl", t.acme)
        .role(viewer)
        .all_servers(true)
        .create();
    let mia = app
        .alias("mia", t.acme)
        .role(managers)
        .all_servers(true)
        .create();
    app.role(t.globex, "Theirs")
        .perms(&["servers.view"])
        .create();

    let (status, body) = app
        .api_get("/api/v1/roles", &app.api_key(t.acme, None))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 3);
    let items = body["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Managers", "Ops", "Viewer"],
        "the account's own, by name"
    );
    let viewer_out = &items[2];
    assert_eq!(viewer_out["id"], viewer);
    assert_eq!(
        viewer_out["permissions"],
        serde_json::json!(["servers.view"])
    );
    assert_eq!(viewer_out["alias_users"], 2);
    assert_eq!(viewer_out["dangerous"], serde_json::json!([]));
    assert_eq!(viewer_out["require_two_factor"], false);
    assert!(viewer_out["locked"].is_null(), "the owner may change it");
    let ops = &items[1];
    assert_eq!(
        ops["permissions"],
        serde_json::json!(["servers.view", "servers.reinstall"])
    );
    assert_eq!(ops["dangerous"], serde_json::json!(["servers.reinstall"]));
    assert_eq!(ops["alias_users"], 0);

    // An alias manager sees the same roles, its own and the stronger one locked.
    let (status, body) = app.api_get("/api/v1/roles", &app.api_key(mia, None)).await;
    assert_eq!(status, 200, "{body}");
    let locks: Vec<Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locked"].clone())
        .collect();
    assert_eq!(
        locks,
        [
            Value::from("This is your own role: nobody changes their own rights."),
            Value::from("This role holds permissions you do not hold, so you may not change it."),
            Value::Null,
        ]
    );
}

async fn one_role_is_read_within_the_keys_account_only(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let theirs = app
        .role(t.globex, "Theirs")
        .perms(&["servers.view"])
        .create();
    let key = app.api_key(t.acme, None);
    let (status, body) = app.api_get(&format!("/api/v1/roles/{viewer}"), &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Viewer");
    assert_eq!(body["permissions"], serde_json::json!(["servers.view"]));
    for missing in [
        theirs.to_string(),
        "0".into(),
        "-1".into(),
        "abc".into(),
        "99999999999".into(),
    ] {
        let path = format!("/api/v1/roles/{missing}");
        refused(&app, "GET", &path, &key, None, 404).await;
    }
}

// ---- creating ------------------------------------------------------------------------

async fn a_role_is_created_through_the_api_and_audited(app: TestApp) {
    let t = tenants(&app);
    let key = app.api_key(t.acme, None);
    let (status, body) = app
        .api_post(
            "/api/v1/roles",
            &key,
            r#"{"name":"Support","description":"First line","permissions":["servers.power","servers.view"],"require_two_factor":true}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "Support");
    assert_eq!(body["description"], "First line");
    assert_eq!(
        body["permissions"],
        serde_json::json!(["servers.view", "servers.power"]),
        "catalog order"
    );
    assert_eq!(body["require_two_factor"], true);
    assert_eq!(body["alias_users"], 0);
    let rid = body["id"].as_i64().unwrap() as i32;
    assert_eq!(
        role_row(&app, rid),
        Some((
            "Support".into(),
            "First line".into(),
            keys(&["servers.view", "servers.power"])
        ))
    );
    assert!(steward::models::two_factor::role_requires(&mut app.conn(), rid).unwrap());
    assert_eq!(
        role_audit(&app, t.acme),
        [(
            "role.create".into(),
            "role Support".into(),
            "permissions=servers.view,servers.power".into(),
            true
        )]
    );
    // An empty role is allowed, and the two-factor requirement is off unless asked.
    let (status, body) = app
        .api_post("/api/v1/roles", &key, r#"{"name":"Nothing yet"}"#)
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["permissions"], serde_json::json!([]));
    assert_eq!(body["require_two_factor"], false);
    assert_eq!(role_names(&app, t.acme), ["Nothing yet", "Support"]);
}

async fn bad_names_and_unknown_or_ungrantable_permissions_are_422_and_change_nothing(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    app.role(t.acme, "Ops").perms(&["servers.view"]).create();
    let key = app.api_key(t.acme, None);
    let long_name = format!(r#"{{"name":"{}"}}"#, "n".repeat(61));
    let long_description = format!(r#"{{"name":"Fine","description":"{}"}}"#, "d".repeat(501));
    for (body, fields, message) in [
        (r#"{"name":"  "}"#, vec!["name"], "This field is required."),
        (r#"{}"#, vec!["name"], "This field is required."),
        (long_name.as_str(), vec!["name"], "At most 60 characters."),
        (
            long_description.as_str(),
            vec!["description"],
            "At most 500 characters.",
        ),
        (
            r#"{"name":"VIEWER "}"#,
            vec!["name"],
            "This account already has a role with this name.",
        ),
        (
            r#"{"name":"Sneaky","permissions":["servers.view","servers.fly"]}"#,
            vec!["permissions"],
            "Unknown permissions: servers.fly.",
        ),
        // A customer cannot grant what its kind does not hold; nor what it lacks.
        (
            r#"{"name":"Escalate","permissions":["admin.users","customers.manage"]}"#,
            vec!["permissions"],
            "You may not grant: customers.manage, admin.users.",
        ),
        // Every problem at once, by field.
        (
            r#"{"name":"","permissions":["servers.fly"],"confirm_dangerous":true}"#,
            vec!["name", "permissions"],
            "Unknown permissions: servers.fly.",
        ),
    ] {
        let out = refused(&app, "POST", "/api/v1/roles", &key, Some(body), 422).await;
        assert_eq!(field_names(&out), fields, "{body}: {out}");
        let said: Vec<&str> = out["fields"]
            .as_object()
            .unwrap()
            .values()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert!(said.contains(&message), "{body}: {out}");
    }
    // The same on a save: the role keeps its name and permissions.
    let path = format!("/api/v1/roles/{viewer}");
    for (body, field) in [
        (r#"{"permissions":["servers.teleport"]}"#, "permissions"),
        (r#"{"name":"ops"}"#, "name"),
        (r#"{"name":"\u0000"}"#, "name"),
    ] {
        let out = refused(&app, "PATCH", &path, &key, Some(body), 422).await;
        assert_eq!(field_names(&out), [field], "{body}: {out}");
    }
    // Unreadable JSON and values of the wrong kind are 400.
    for body in [
        r#"{"name": "#,
        r#"{"name":"X","permissions":"servers.view"}"#,
    ] {
        refused(&app, "POST", "/api/v1/roles", &key, Some(body), 400).await;
    }
    assert_eq!(role_names(&app, t.acme), ["Ops", "Viewer"]);
    assert!(role_audit(&app, t.acme).is_empty());
}

async fn dangerous_permissions_need_confirm_dangerous_through_the_api(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let key = app.api_key(t.acme, None);
    let wipers = r#"{"name":"Wipers","permissions":["servers.view","servers.reinstall"]}"#;
    let unconfirmed = r#"{"name":"Wipers","permissions":["servers.view","servers.reinstall"],"confirm_dangerous":false}"#;
    for body in [wipers, unconfirmed] {
        let out = refused(&app, "POST", "/api/v1/roles", &key, Some(body), 422).await;
        assert_eq!(field_names(&out), ["confirm_dangerous"], "{out}");
        assert_eq!(
            out["fields"]["confirm_dangerous"],
            "This role holds dangerous permissions: read the warnings and confirm to save it."
        );
    }
    let (status, body) = app
        .api_post(
            "/api/v1/roles",
            &key,
            r#"{"name":"Wipers","permissions":["servers.view","servers.reinstall"],"confirm_dangerous":true}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["dangerous"], serde_json::json!(["servers.reinstall"]));
    let wipers_id = body["id"].as_i64().unwrap();

    // Adding one to a role needs it too; then the role saves.
    let path = format!("/api/v1/roles/{viewer}");
    let console = r#"{"permissions":["servers.view","servers.console"]}"#;
    refused(&app, "PATCH", &path, &key, Some(console), 422).await;
    assert_eq!(role_row(&app, viewer).unwrap().2, keys(&["servers.view"]));
    let (status, body) = app
        .api(
            "PATCH",
            &path,
            Some(&key),
            Some(r#"{"permissions":["servers.view","servers.console"],"confirm_dangerous":true}"#),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        role_row(&app, viewer).unwrap().2,
        keys(&["servers.view", "servers.console"])
    );
    // As on the Roles tab, every save of a role holding one confirms it, even a
    // new description alone.
    let path = format!("/api/v1/roles/{wipers_id}");
    refused(
        &app,
        "PATCH",
        &path,
        &key,
        Some(r#"{"description":"x"}"#),
        422,
    )
    .await;
    let (status, body) = app
        .api(
            "PATCH",
            &path,
            Some(&key),
            Some(r#"{"description":"x","confirm_dangerous":true}"#),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["description"], "x");
    // Admin permissions are not checked for risk: an admin's own role needs no confirmation.
    let (status, body) = app
        .api_post(
            "/api/v1/roles",
            &app.api_key(t.admin, None),
            r#"{"name":"Auditors","permissions":["admin.audit"]}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

// ---- saving and deleting -------------------------------------------------------------

async fn a_role_is_patched_field_by_field_and_its_holders_get_the_new_rights_at_once(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let support = app
        .role(t.acme, "Support")
        .perms(&["servers.view", "servers.power"])
        .create();
    let helper = app
        .alias("helper", t.acme)
        .role(support)
        .all_servers(true)
        .create();
    let helper_key = app.api_key(helper, None);
    let power = format!("/api/v1/servers/{sid}/power");
    let (status, _) = app
        .api_post(&power, &helper_key, r#"{"action":"on"}"#)
        .await;
    assert_eq!(status, 200, "the holder may switch power");

    let key = app.api_key(t.acme, None);
    let path = format!("/api/v1/roles/{support}");
    let patch = |body: &'static str| {
        let (app, key, path) = (&app, &key, &path);
        async move { app.api("PATCH", path, Some(key), Some(body)).await }
    };
    // An absent field keeps its value.
    let (status, body) = patch(r#"{"description":"Night shift"}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alias_users"], 1);
    assert_eq!(
        role_row(&app, support),
        Some((
            "Support".into(),
            "Night shift".into(),
            keys(&["servers.view", "servers.power"])
        ))
    );
    let (status, body) =
        patch(r#"{"permissions":["servers.view"],"require_two_factor":true}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["require_two_factor"], true);
    // The holder's very next call has the new rights.
    let (status, _) = app
        .api_post(&power, &helper_key, r#"{"action":"off"}"#)
        .await;
    assert_eq!(status, 403, "power was taken from the role");
    let (status, body) = patch(r#"{"name":"First line"}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["require_two_factor"], true, "kept when not sent");
    assert_eq!(
        role_row(&app, support),
        Some((
            "First line".into(),
            "Night shift".into(),
            keys(&["servers.view"])
        ))
    );
    assert_eq!(
        role_audit(&app, t.acme),
        [
            (
                "role.update".into(),
                "role Support".into(),
                "description".into(),
                true
            ),
            (
                "role.update".into(),
                "role Support".into(),
                "removed=servers.power".into(),
                true
            ),
            (
                "role.update".into(),
                "role First line".into(),
                "renamed from Support".into(),
                true
            ),
        ]
    );
}

async fn a_role_is_deleted_through_the_api_unless_alias_users_hold_it(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    app.alias("bob", t.acme).role(viewer).create();
    app.alias("carl", t.acme).role(viewer).create();
    let old = app
        .role(t.acme, "Old")
        .perms(&["servers.view", "servers.rdns"])
        .create();
    let key = app.api_key(t.acme, None);
    // A role in use is kept, and the answer names its holders as the Roles tab does (409).
    let out = refused(
        &app,
        "DELETE",
        &format!("/api/v1/roles/{viewer}"),
        &key,
        None,
        409,
    )
    .await;
    assert_eq!(
        out["error"],
        "Role Viewer is in use by bob, carl. Give these alias users another role before deleting it."
    );
    let (status, body) = app
        .api("DELETE", &format!("/api/v1/roles/{old}"), Some(&key), None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(role_row(&app, old).is_none());
    assert_eq!(role_names(&app, t.acme), ["Viewer"]);
    assert_eq!(
        role_audit(&app, t.acme),
        [(
            "role.delete".into(),
            "role Old".into(),
            "permissions=servers.view,servers.rdns".into(),
            true
        )]
    );
    // Gone: reading or deleting it again is 404.
    let gone = format!("/api/v1/roles/{old}");
    for method in ["GET", "DELETE"] {
        refused(&app, method, &gone, &key, None, 404).await;
    }
}

// ---- refusals ------------------------------------------------------------------------

async fn a_key_without_the_right_to_manage_roles_is_refused_every_role_route(app: TestApp) {
    let t = tenants(&app);
    let viewer = app
        .role(t.acme, "Viewer")
        .perms(&["servers.view", "alias_users.manage"])
        .create();
    let spare = app.role(t.acme, "Spare").perms(&["servers.view"]).create();
    let bob = app
        .alias("bob", t.acme)
        .role(viewer)
        .all_servers(true)
        .create();
    let key = app.api_key(bob, None);
    let one = format!("/api/v1/roles/{spare}");
    let body = r#"{"name":"Mine","permissions":["servers.view"]}"#;
    for (method, path, body) in [
        ("GET", "/api/v1/roles", None),
        ("POST", "/api/v1/roles", Some(body)),
        ("GET", one.as_str(), None),
        ("PATCH", one.as_str(), Some(body)),
        ("DELETE", one.as_str(), None),
    ] {
        let out = refused(&app, method, path, &key, body, 403).await;
        assert_eq!(out["error"], "this key's login may not manage alias roles");
    }
    // Another account's role is refused alike: the right is asked first.
    let theirs = app.role(t.globex, "Theirs").perms(&[]).create();
    refused(
        &app,
        "DELETE",
        &format!("/api/v1/roles/{theirs}"),
        &key,
        None,
        403,
    )
    .await;
    assert_eq!(role_names(&app, t.acme), ["Spare", "Viewer"]);
}

async fn an_alias_manager_cannot_change_its_own_role_or_a_stronger_one_through_the_api(
    app: TestApp,
) {
    let t = tenants(&app);
    let (viewer, ops, managers) = viewer_ops_managers(&app, t.acme);
    app.alias("bob", t.acme)
        .role(viewer)
        .all_servers(true)
        .create();
    let mia = app
        .alias("mia", t.acme)
        .role(managers)
        .all_servers(true)
        .create();
    let key = app.api_key(mia, None);
    let own = format!("/api/v1/roles/{managers}");
    let stronger = format!("/api/v1/roles/{ops}");
    let own_message = "This is your own role: nobody changes their own rights.";
    let beyond = "This role holds permissions you do not hold, so you may not change it.";
    // Its own role: not even a new description, nor a deletion; input is not even read.
    for (method, body) in [
        ("PATCH", Some(r#"{"description":"mine"}"#)),
        ("PATCH", Some(r#"{"name":""}"#)),
        ("DELETE", None),
    ] {
        let out = refused(&app, method, &own, &key, body, 403).await;
        assert_eq!(out["error"], own_message);
    }
    // A stronger role: neither widened nor quietly narrowed, nor deleted.
    for (method, body) in [
        ("PATCH", Some(r#"{"permissions":["servers.view"]}"#)),
        ("DELETE", None),
    ] {
        let out = refused(&app, method, &stronger, &key, body, 403).await;
        assert_eq!(out["error"], beyond);
    }
    // Granting what it lacks is a field error, as on the tab.
    let out = refused(
        &app,
        "POST",
        "/api/v1/roles",
        &key,
        Some(r#"{"name":"Wipers","permissions":["servers.reinstall"],"confirm_dangerous":true}"#),
        422,
    )
    .await;
    assert_eq!(
        out["fields"]["permissions"],
        "You may not grant: servers.reinstall."
    );
    // Within its rights it may.
    let (status, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/roles/{viewer}"),
            Some(&key),
            Some(r#"{"description":"Read only"}"#),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        role_row(&app, ops).unwrap().2,
        keys(&["servers.view", "servers.reinstall"])
    );
    assert_eq!(
        role_row(&app, managers).unwrap().2,
        keys(&["alias_roles.manage", "servers.view"])
    );
}

async fn a_change_that_would_leave_a_holder_beyond_the_caller_is_refused_by_both_doors(
    app: TestApp,
) {
    let t = tenants(&app);
    let s1 = app.server("web1.acme.test").owned_by(t.acme).create();
    app.server("web2.acme.test").owned_by(t.acme).create();
    // The manager switches power on web1 only; "Shared" is held by an alias that reaches
    // every server of the account, "Narrow" by one on web1 only.
    let managers = app
        .role(t.acme, "Managers")
        .perms(&["alias_roles.manage", "servers.view", "servers.power"])
        .create();
    let shared = app.role(t.acme, "Shared").perms(&["servers.view"]).create();
    let narrow = app.role(t.acme, "Narrow").perms(&["servers.view"]).create();
    let mia = app.alias("mia", t.acme).role(managers).create();
    app.assign(mia, s1);
    app.alias("wes", t.acme)
        .role(shared)
        .all_servers(true)
        .create();
    let nina = app.alias("nina", t.acme).role(narrow).create();
    app.assign(nina, s1);
    let key = app.api_key(mia, None);
    let with_power = r#"{"permissions":["servers.view","servers.power"]}"#;
    let out = refused(
        &app,
        "PATCH",
        &format!("/api/v1/roles/{shared}"),
        &key,
        Some(with_power),
        403,
    )
    .await;
    assert_eq!(
        out["error"],
        "This login holds, or would hold, rights beyond your own (permissions or servers)."
    );
    // The Roles tab refuses the same save the same way.
    let tab = app.login("mia").await;
    let before = snapshot(&app);
    assert_status!(
        tab.post(
            &format!("/users/{}/roles/{shared}", t.acme),
            &[
                ("name", "Shared"),
                ("permissions", "servers.view"),
                ("permissions", "servers.power"),
            ],
        )
        .await,
        403
    );
    let after = snapshot(&app);
    assert!(after == before, "{}", before.describe_change(&after));
    assert_eq!(role_row(&app, shared).unwrap().2, keys(&["servers.view"]));
    // Power for a holder within the manager's own servers is fine.
    let (status, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/roles/{narrow}"),
            Some(&key),
            Some(with_power),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        role_row(&app, narrow).unwrap().2,
        keys(&["servers.view", "servers.power"])
    );
}

async fn a_scoped_key_is_limited_by_its_grants_not_by_its_logins_rights(app: TestApp) {
    let t = tenants(&app);
    let ops = app
        .role(t.acme, "Ops")
        .perms(&["servers.view", "servers.reinstall"])
        .create();
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let acme = app.login("acme").await;
    let keys_page = format!("/users/{}/api-keys", t.acme);
    // A key of the owner granted servers.view only: no role route at all.
    let view_only = create_api_key(
        &acme,
        &keys_page,
        &[("name", "Viewer script"), ("permissions", "servers.view")],
    )
    .await;
    let create = r#"{"name":"Made","permissions":["servers.view"]}"#;
    refused(&app, "GET", "/api/v1/roles", &view_only, None, 403).await;
    refused(&app, "POST", "/api/v1/roles", &view_only, Some(create), 403).await;
    refused(
        &app,
        "DELETE",
        &format!("/api/v1/roles/{viewer}"),
        &view_only,
        None,
        403,
    )
    .await;
    // A key granted role management and servers.view: bounded by that grant, though the
    // owner itself holds every user permission.
    let roles_key = create_api_key(
        &acme,
        &keys_page,
        &[
            ("name", "Roles script"),
            ("permissions", "alias_roles.manage"),
            ("permissions", "servers.view"),
        ],
    )
    .await;
    let (status, body) = app.api_get("/api/v1/roles", &roles_key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["items"][0]["locked"],
        "This role holds permissions you do not hold, so you may not change it.",
        "Ops is beyond the key"
    );
    let out = refused(
        &app,
        "POST",
        "/api/v1/roles",
        &roles_key,
        Some(r#"{"name":"Power","permissions":["servers.power"]}"#),
        422,
    )
    .await;
    assert_eq!(
        out["fields"]["permissions"],
        "You may not grant: servers.power."
    );
    let stronger = format!("/api/v1/roles/{ops}");
    refused(
        &app,
        "PATCH",
        &stronger,
        &roles_key,
        Some(r#"{"permissions":["servers.view"]}"#),
        403,
    )
    .await;
    refused(&app, "DELETE", &stronger, &roles_key, None, 403).await;
    // Within the grant it may.
    let (status, body) = app.api_post("/api/v1/roles", &roles_key, create).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(role_names(&app, t.acme), ["Made", "Ops", "Viewer"]);
    // The owner's unscoped key may change Ops.
    let (status, body) = app
        .api(
            "PATCH",
            &stronger,
            Some(&app.api_key(t.acme, None)),
            Some(r#"{"permissions":["servers.view"]}"#),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn another_accounts_role_is_404_for_every_role_route(app: TestApp) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let theirs = app
        .role(t.globex, "Theirs")
        .perms(&["servers.view"])
        .create();
    let body = r#"{"name":"Taken over","permissions":[]}"#;
    for (key, rid) in [
        (app.api_key(t.globex, None), viewer),
        (app.api_key(t.acme, None), theirs),
        // The admin's key acts in the admin's own account, not in its customers'.
        (app.api_key(t.admin, None), viewer),
    ] {
        let path = format!("/api/v1/roles/{rid}");
        refused(&app, "GET", &path, &key, None, 404).await;
        refused(&app, "PATCH", &path, &key, Some(body), 404).await;
        refused(&app, "DELETE", &path, &key, None, 404).await;
    }
    assert_eq!(role_row(&app, viewer).unwrap().0, "Viewer");
    assert_eq!(role_row(&app, theirs).unwrap().0, "Theirs");
}
