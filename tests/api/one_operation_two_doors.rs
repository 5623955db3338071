//! One operation, two doors: a page and the JSON API call the same operation,
//! so they write the same audit entry and refuse the same way.

use diesel::prelude::*;

use crate::helpers::{assert_redirect_to, tenants, Browser, TestApp, PASSWORD};

backend_tests!(
    power_from_a_page_and_from_the_api_writes_the_same_audit_entry,
    power_is_refused_alike_by_both_doors,
    creating_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
    the_api_refuses_an_alias_user_as_the_tab_does_with_every_field_problem_at_once,
    the_api_refuses_a_role_or_all_servers_the_key_does_not_hold,
    creating_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
    saving_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
    deleting_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
    changing_an_alias_users_role_from_its_page_and_from_the_api_writes_the_same_audit_entry,
    disabling_and_enabling_from_the_page_and_from_the_api_write_the_same_audit_entries,
    deleting_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
    assigning_servers_from_the_dialog_and_from_the_api_writes_the_same_audit_entries,
    inviting_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry,
);

type Row = (Option<i32>, String, String, String, String, bool);

/// The account-level audit rows of one action, oldest first.
fn rows_of(app: &TestApp, action: &str) -> Vec<Row> {
    let entries = app.audit_entries(action);
    entries
        .into_iter()
        .map(|e| {
            (
                e.account_id,
                e.actor_name,
                e.action,
                e.target,
                e.details,
                e.via_api,
            )
        })
        .collect()
}

fn power_rows(app: &TestApp) -> Vec<Row> {
    rows_of(app, "server.power")
}

/// The two rows of `action`, one from each door (page first), after checking that
/// `via_api` is what tells them apart (and no more rows: no copies); both answered with
/// `via_api` cleared, so that they compare with `entry`.
fn one_from_each_door(app: &TestApp, action: &str) -> (Row, Row) {
    let rows = rows_of(app, action);
    assert_eq!(rows.len(), 2, "one entry per door, no copies: {rows:?}");
    let (from_page, mut from_api) = (rows[0].clone(), rows[1].clone());
    assert!(!from_page.5 && from_api.5, "via_api tells the doors apart");
    from_api.5 = false;
    (from_page, from_api)
}

/// Both doors wrote the same row for `action` but for `via_api`: `actor` did it in
/// `account`'s log, on `target`, with `details`.
fn both_doors_wrote(
    app: &TestApp,
    account: i32,
    actor: &str,
    action: &str,
    target: &str,
    details: &str,
) {
    let (from_page, from_api) = one_from_each_door(app, action);
    assert_eq!(from_page, from_api, "{action}");
    assert_eq!(from_page, entry(account, actor, action, target, details));
}

/// An audit row as a page writes it (`via_api` false).
fn entry(account: i32, actor: &str, action: &str, target: &str, details: &str) -> Row {
    (
        Some(account),
        actor.into(),
        action.into(),
        target.into(),
        details.into(),
        false,
    )
}

async fn power_from_a_page_and_from_the_api_writes_the_same_audit_entry(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
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
    both_doors_wrote(
        &app,
        t.acme,
        "boss",
        "server.power",
        "server web1.acme.test",
        "on",
    );
}

async fn power_is_refused_alike_by_both_doors(app: TestApp) {
    let t = tenants(&app);
    let sid = app.server("web1.acme.test").owned_by(t.acme).create();
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob_id = app
        .alias("bob", t.acme)
        .role(viewer)
        .all_servers(true)
        .create();
    let bob = app.login("bob").await;
    let key = app.api_key(bob_id, None);
    // Power on, from the page as `bob` and through the API with its key: both statuses.
    let from_both_doors = |sid: i32| {
        let (app, bob, key) = (&app, &bob, &key);
        async move {
            let page = bob
                .post(&format!("/servers/{sid}/power"), &[("action", "on")])
                .await;
            let path = format!("/api/v1/servers/{sid}/power");
            let (api, _) = app.api_post(&path, key, r#"{"action":"on"}"#).await;
            (page.status().as_u16(), api)
        }
    };
    assert_eq!(from_both_doors(sid).await, (403, 403));
    // Another tenant's server is not there, from either door.
    let foreign = app.server("db1.globex.test").owned_by(t.globex).create();
    assert_eq!(from_both_doors(foreign).await, (404, 404));
    assert!(power_rows(&app).is_empty());
}

fn create_rows(app: &TestApp) -> Vec<Row> {
    rows_of(app, "alias.create")
}

fn logins_named(app: &TestApp, prefix: &str) -> Vec<(String, Option<i32>, Option<i32>, bool)> {
    use steward::db::schema::users;
    users::table
        .filter(users::username.like(format!("{prefix}%")))
        .order(users::username)
        .select((
            users::username,
            users::parent_id,
            users::role_id,
            users::all_servers,
        ))
        .load(&mut app.conn())
        .unwrap()
}

/// The owner of `account` creates the alias user "ops-tab" on its tab with the form
/// `fields`, then "ops-api" through the API with the same fields as JSON (`json`); both
/// must succeed. Answers the API's body.
async fn create_from_each_door(
    app: &TestApp,
    account: i32,
    fields: &[(&str, &str)],
    json: serde_json::Value,
) -> serde_json::Value {
    let page = app.login("acme").await;
    let mut form = vec![("username", "ops-tab"), ("email", "tab@example.com")];
    form.extend_from_slice(fields);
    let res = page
        .post(&format!("/users/{account}/alias-users"), &form)
        .await;
    assert_redirect_to(&res, &format!("/users/{account}/alias-users"));
    let mut json = json;
    json["username"] = "ops-api".into();
    json["email"] = "api@example.com".into();
    let (status, body) = app
        .api_post(
            "/api/v1/alias-users",
            &app.api_key(account, None),
            &json.to_string(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// The alias.create rows of both doors: the same but for the door and the name.
fn assert_created_alike(app: &TestApp, account: i32, details: &str) {
    let (from_tab, from_api) = one_from_each_door(app, "alias.create");
    let created = |name: &str| entry(account, "acme", "alias.create", name, details);
    assert_eq!(from_tab, created("alias user ops-tab"));
    assert_eq!(from_api, created("alias user ops-api"));
}

async fn creating_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let body = create_from_each_door(
        &app,
        t.acme,
        &[
            ("password", "a-long-password"),
            ("role_id", &viewer.to_string()),
            ("expires_at", "2099-06-30"),
        ],
        serde_json::json!({
            "password": "a-long-password",
            "role_id": viewer,
            "expires_at": "2099-06-30",
        }),
    )
    .await;
    assert_eq!(body["username"], "ops-api");
    assert_eq!(body["role"]["name"], "Viewer");
    assert_eq!(body["expires_on"], "2099-06-30");
    assert_eq!(body["status"], "active");
    // Both logins exist alike, and the API's logs in with its password.
    assert_eq!(
        logins_named(&app, "ops-"),
        vec![
            ("ops-api".into(), Some(t.acme), Some(viewer), false),
            ("ops-tab".into(), Some(t.acme), Some(viewer), false),
        ]
    );
    assert_status!(app.browser().login("ops-api", "a-long-password").await, 303);
    // One audit row each, the same but for the door and the name.
    assert_created_alike(
        &app,
        t.acme,
        "role=Viewer, all_servers=false, expires=2099-06-30",
    );
}

async fn the_api_refuses_an_alias_user_as_the_tab_does_with_every_field_problem_at_once(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let theirs = app
        .role(t.globex, "Viewer")
        .perms(&["servers.view"])
        .create();
    let key = app.api_key(t.acme, None);
    // A taken username (another account's login), a bad email, a short password, a past
    // expiry: all four reported in one answer, by field, with the page's messages.
    let (status, body) = app
        .api_post(
            "/api/v1/alias-users",
            &key,
            &format!(
                r#"{{"username":"globex","email":"nope","password":"short","role_id":{viewer},"expires_at":"2020-01-01"}}"#
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].is_string());
    let fields = body["fields"].as_object().expect("fields by name");
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["email", "expires_at", "password", "username"]);
    assert_eq!(fields["username"], "This username is taken.");
    // The tab says the same next to its fields.
    let page = app.login("acme").await;
    let res = page
        .post(
            &format!("/users/{}/alias-users", t.acme),
            &[
                ("username", "globex"),
                ("email", "nope"),
                ("password", "short"),
                ("role_id", &viewer.to_string()),
                ("expires_at", "2020-01-01"),
            ],
        )
        .await;
    assert_status!(res, 422);
    let html = res.text().await.unwrap();
    for (_, message) in fields {
        let message = message.as_str().unwrap();
        assert!(html.contains(message), "the tab shows {message:?} too");
    }
    // Another account's role is not one of this account's roles.
    let (status, body) = app
        .api_post(
            "/api/v1/alias-users",
            &key,
            &format!(
                r#"{{"username":"ops-x","email":"x@example.com","password":"a-long-password","role_id":{theirs}}}"#
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["role_id"].is_string());
    // An invitation with a password as well: the invited login chooses its own.
    let (status, body) = app
        .api_post(
            "/api/v1/alias-users",
            &key,
            &format!(
                r#"{{"username":"ops-y","email":"y@example.com","invite":true,"password":"a-long-password","role_id":{viewer}}}"#
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["password"].is_string());
    // Unreadable JSON is 400; nothing was created by any of it.
    let (status, _) = app
        .api_post("/api/v1/alias-users", &key, r#"{"username": 5"#)
        .await;
    assert_eq!(status, 400);
    assert!(logins_named(&app, "ops-").is_empty());
    assert!(create_rows(&app).is_empty());
}

async fn the_api_refuses_a_role_or_all_servers_the_key_does_not_hold(app: TestApp) {
    let t = tenants(&app);
    // A manager that may create alias users but holds only servers.view and its assigned
    // servers: a role with power, or all servers, is beyond it — from either door.
    let manager_role = app
        .role(t.acme, "Managers")
        .perms(&["servers.view", "alias_users.manage"])
        .create();
    let powerful = app
        .role(t.acme, "Power")
        .perms(&["servers.view", "servers.power"])
        .create();
    let plain = app.role(t.acme, "Plain").perms(&["servers.view"]).create();
    let mia = app.alias("mia", t.acme).role(manager_role).create();
    let key = app.api_key(mia, None);
    let body = |name: &str, role: i32, all: bool| {
        format!(
            r#"{{"username":"{name}","email":"{name}@example.com","password":"a-long-password","role_id":{role},"all_servers":{all}}}"#
        )
    };
    let (status, out) = app
        .api_post("/api/v1/alias-users", &key, &body("ops-p", powerful, false))
        .await;
    assert_eq!(status, 403, "{out}");
    let (status, out) = app
        .api_post("/api/v1/alias-users", &key, &body("ops-a", plain, true))
        .await;
    assert_eq!(status, 403, "{out}");
    let page = app.login("mia").await;
    assert_status!(
        page.post(
            &format!("/users/{}/alias-users", t.acme),
            &[
                ("username", "ops-q"),
                ("email", "q@example.com"),
                ("password", PASSWORD),
                ("role_id", &powerful.to_string()),
            ],
        )
        .await,
        403
    );
    assert!(logins_named(&app, "ops-").is_empty());
    // Within its own rights it may.
    let (status, out) = app
        .api_post("/api/v1/alias-users", &key, &body("ops-ok", plain, false))
        .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(logins_named(&app, "ops-").len(), 1);
    // A key of the owner scoped to servers.view cannot manage alias users at all.
    let acme = app.login("acme").await;
    let scoped = crate::helpers::create_api_key(
        &acme,
        &format!("/users/{}/api-keys", t.acme),
        &[("name", "Viewer script"), ("permissions", "servers.view")],
    )
    .await;
    let (status, _) = app
        .api_post("/api/v1/alias-users", &scoped, &body("ops-s", plain, false))
        .await;
    assert_eq!(status, 403);
    assert_eq!(logins_named(&app, "ops-").len(), 1);
    // Nor read them, nor the account's audit log: the account's own key was granted less
    // than the account holds, and the grant decides (it used to pass as "the account").
    for path in ["/api/v1/alias-users", "/api/v1/audit"] {
        let (status, _) = app.api_get(path, &scoped).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = app
        .api_get("/api/v1/audit", &app.api_key(t.acme, None))
        .await;
    assert_eq!(status, 200, "an unscoped key of the account reads it");
}

// ---- roles: the same change through each door, on the same starting state -----------

fn drop_role(app: &TestApp, rid: i32) {
    steward::models::role::Role::delete(&mut app.conn(), rid).unwrap();
}

/// Submits a form of `account`'s roles tab to `path`; the tab answers with itself.
async fn submit_role_form(page: &Browser, account: i32, path: &str, fields: &[(&str, &str)]) {
    let res = page.post(path, fields).await;
    assert_redirect_to(&res, &format!("/users/{account}/roles"));
}

fn role_named(app: &TestApp, account: i32, name: &str) -> Option<(i32, Vec<String>)> {
    use steward::db::schema::alias_roles;
    let id: Option<i32> = alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .filter(alias_roles::name.eq(name))
        .select(alias_roles::id)
        .first(&mut app.conn())
        .optional()
        .unwrap();
    id.map(|id| {
        let mut keys = steward::models::role::permissions_of(&mut app.conn(), id).unwrap();
        keys.sort();
        (id, keys)
    })
}

async fn creating_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry(app: TestApp) {
    let t = tenants(&app);
    let page = app.login("acme").await;
    submit_role_form(
        &page,
        t.acme,
        &format!("/users/{}/roles", t.acme),
        &[
            ("name", "Support"),
            ("description", "First line"),
            ("permissions", "servers.view"),
            ("permissions", "servers.power"),
        ],
    )
    .await;
    let (rid, keys) = role_named(&app, t.acme, "Support").expect("made by the tab");
    assert_eq!(keys, ["servers.power", "servers.view"]);
    // The same role again, through the API, on the same starting state.
    drop_role(&app, rid);
    let (status, body) = app
        .api_post(
            "/api/v1/roles",
            &app.api_key(t.acme, None),
            r#"{"name":"Support","description":"First line","permissions":["servers.view","servers.power"]}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        role_named(&app, t.acme, "Support").map(|r| r.1),
        Some(keys),
        "the same role"
    );
    both_doors_wrote(
        &app,
        t.acme,
        "acme",
        "role.create",
        "role Support",
        "permissions=servers.view,servers.power",
    );
}

async fn saving_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry(app: TestApp) {
    let t = tenants(&app);
    let start = ["servers.view", "servers.power"];
    let support = app.role(t.acme, "Support").perms(&start).create();
    let bob = app
        .alias("bob", t.acme)
        .role(support)
        .all_servers(true)
        .create();
    let page = app.login("acme").await;
    submit_role_form(
        &page,
        t.acme,
        &format!("/users/{}/roles/{support}", t.acme),
        &[
            ("name", "First line"),
            ("description", "Night shift"),
            ("permissions", "servers.view"),
            ("permissions", "servers.rdns"),
        ],
    )
    .await;
    let after_tab = role_named(&app, t.acme, "First line").expect("saved by the tab");
    // Back to the starting state, then the same save through the API.
    let again = app.role(t.acme, "Support").perms(&start).create();
    use steward::db::schema::users;
    diesel::update(users::table.find(bob))
        .set(users::role_id.eq(Some(again)))
        .execute(&mut app.conn())
        .unwrap();
    drop_role(&app, support);
    let (status, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/roles/{again}"),
            Some(&app.api_key(t.acme, None)),
            Some(
                r#"{"name":"First line","description":"Night shift","permissions":["servers.view","servers.rdns"]}"#,
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alias_users"], 1);
    assert_eq!(
        role_named(&app, t.acme, "First line"),
        Some((again, after_tab.1)),
        "the same role"
    );
    both_doors_wrote(
        &app,
        t.acme,
        "acme",
        "role.update",
        "role First line",
        "renamed from Support; description; added=servers.rdns; removed=servers.power",
    );
}

async fn deleting_a_role_from_the_tab_and_from_the_api_writes_the_same_audit_entry(app: TestApp) {
    let t = tenants(&app);
    let old = app
        .role(t.acme, "Old")
        .perms(&["servers.view", "servers.rdns"])
        .create();
    let page = app.login("acme").await;
    submit_role_form(
        &page,
        t.acme,
        &format!("/users/{}/roles/{old}/delete", t.acme),
        &[],
    )
    .await;
    assert!(role_named(&app, t.acme, "Old").is_none());
    let again = app
        .role(t.acme, "Old")
        .perms(&["servers.view", "servers.rdns"])
        .create();
    let (status, body) = app
        .api(
            "DELETE",
            &format!("/api/v1/roles/{again}"),
            Some(&app.api_key(t.acme, None)),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(role_named(&app, t.acme, "Old").is_none());
    both_doors_wrote(
        &app,
        t.acme,
        "acme",
        "role.delete",
        "role Old",
        "permissions=servers.view,servers.rdns",
    );
    // A role in use is refused alike: 409 from both doors, with the same words.
    let held = app.role(t.acme, "Held").perms(&["servers.view"]).create();
    app.alias("bob", t.acme)
        .role(held)
        .all_servers(true)
        .create();
    let res = page
        .post(&format!("/users/{}/roles/{held}/delete", t.acme), &[])
        .await;
    assert_status!(res, 409);
    let html = res.text().await.unwrap();
    let (status, body) = app
        .api(
            "DELETE",
            &format!("/api/v1/roles/{held}"),
            Some(&app.api_key(t.acme, None)),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(html.contains(message), "the tab says {message:?} too");
    assert_eq!(rows_of(&app, "role.delete").len(), 2);
}

fn set_alias(app: &TestApp, id: i32, role_id: i32, disabled: bool, all_servers: bool) {
    use steward::db::schema::users;
    diesel::update(users::table.find(id))
        .set((
            users::role_id.eq(Some(role_id)),
            users::disabled.eq(disabled),
            users::all_servers.eq(all_servers),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

async fn changing_an_alias_users_role_from_its_page_and_from_the_api_writes_the_same_audit_entry(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let ops = app
        .role(t.acme, "Ops")
        .perms(&["servers.view", "servers.power"])
        .create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let page = app.login("acme").await;
    let res = page
        .post(
            &format!("/users/{}/alias-users/{bob}/role", t.acme),
            &[("role_id", &ops.to_string())],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{}/alias-users/{bob}", t.acme));
    // Back to where the page started, then the same change through the API.
    set_alias(&app, bob, viewer, false, false);
    let key = app.api_key(t.acme, None);
    let (status, body) = app
        .api_call(
            "PATCH",
            &format!("/api/v1/alias-users/{bob}"),
            &key,
            Some(&format!(r#"{{"role_id":{ops}}}"#)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.user(bob).unwrap().role_id, Some(ops));
    both_doors_wrote(
        &app,
        t.acme,
        "acme",
        "alias.role",
        "alias user bob",
        "role Viewer -> Ops; gains: servers.power; loses: nothing",
    );
}

async fn disabling_and_enabling_from_the_page_and_from_the_api_write_the_same_audit_entries(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let page = app.login("acme").await;
    let key = app.api_key(t.acme, None);
    let url = format!("/users/{}/alias-users/{bob}", t.acme);
    let api = format!("/api/v1/alias-users/{bob}");
    for (form, body, disabled) in [
        ("disable", r#"{"disabled":true}"#, true),
        ("enable", r#"{"disabled":false}"#, false),
    ] {
        set_alias(&app, bob, viewer, !disabled, false);
        assert_status!(
            page.post(&format!("{url}/{form}"), &[]).await,
            303,
            "{form}"
        );
        assert_eq!(app.user(bob).unwrap().disabled, disabled);
        set_alias(&app, bob, viewer, !disabled, false);
        let (status, out) = app.api_call("PATCH", &api, &key, Some(body)).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(app.user(bob).unwrap().disabled, disabled);
        let action = format!("alias.{form}");
        both_doors_wrote(&app, t.acme, "acme", &action, "alias user bob", "");
    }
}

async fn deleting_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let carol = app.alias("carol", t.acme).role(viewer).create();
    let page = app.login("acme").await;
    let res = page
        .post(
            &format!("/users/{}/alias-users/{bob}/delete", t.acme),
            &[("confirm", "yes")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{}/alias-users", t.acme));
    let key = app.api_key(t.acme, None);
    let (status, _) = app
        .api_call(
            "DELETE",
            &format!("/api/v1/alias-users/{carol}"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(app.user(bob).is_none() && app.user(carol).is_none());
    // The same row but for the name of the alias user each door deleted.
    let (from_page, from_api) = one_from_each_door(&app, "alias.delete");
    assert_eq!(
        from_page,
        entry(t.acme, "acme", "alias.delete", "alias user bob", "")
    );
    assert_eq!(
        from_api,
        entry(t.acme, "acme", "alias.delete", "alias user carol", "")
    );
}

async fn assigning_servers_from_the_dialog_and_from_the_api_writes_the_same_audit_entries(
    app: TestApp,
) {
    let t = tenants(&app);
    let s1 = app.server("web1.acme.test").owned_by(t.acme).create();
    let theirs = app.server("db1.globex.test").owned_by(t.globex).create();
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let bob = app.alias("bob", t.acme).role(viewer).create();
    let page = app.login("acme").await;
    let key = app.api_key(t.acme, None);
    let dialog = format!("/users/{}/alias-users/{bob}/servers", t.acme);
    let api = format!("/api/v1/alias-users/{bob}/servers");
    let unassign_all = |app: &TestApp| {
        use steward::db::schema::alias_servers;
        diesel::delete(alias_servers::table.filter(alias_servers::alias_id.eq(bob)))
            .execute(&mut app.conn())
            .unwrap();
    };
    // Each dialog action, then the API statement that does the same from the same start.
    let (s1_id, s1_list) = (
        s1.to_string(),
        format!(r#"{{"all":false,"server_ids":[{s1}]}}"#),
    );
    // (action, its other fields, the API body, the details both doors write)
    type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let steps: [Step; 3] = [
        (
            "assign",
            &[("server_id", &s1_id)],
            &s1_list,
            "1 server: web1.acme.test",
        ),
        ("all", &[], r#"{"all":true}"#, "all servers of the account"),
        (
            "none",
            &[("confirm", "yes")],
            r#"{"all":false,"server_ids":[]}"#,
            "no servers",
        ),
    ];
    for (action, fields, body, details) in steps {
        // Where each step starts: nothing for assign and all, s1 with all servers for none.
        let start = |app: &TestApp| {
            unassign_all(app);
            set_alias(app, bob, viewer, false, action == "none");
            if action == "none" {
                app.assign(bob, s1);
            }
        };
        start(&app);
        let mut form = vec![("action", action)];
        form.extend_from_slice(fields);
        assert_status!(page.post(&dialog, &form).await, 303, "{action}");
        start(&app);
        let (status, out) = app.api_call("PUT", &api, &key, Some(body)).await;
        assert_eq!(status, 200, "{action}: {out}");
        let name = format!("alias.servers.{action}");
        both_doors_wrote(&app, t.acme, "acme", &name, "alias user bob", details);
    }
    // Another account's server is refused alike, and changes nothing.
    unassign_all(&app);
    assert_status!(
        page.post(
            &dialog,
            &[("action", "assign"), ("server_id", &theirs.to_string())],
        )
        .await,
        404
    );
    let (status, _) = app
        .api_call(
            "PUT",
            &api,
            &key,
            Some(&format!(r#"{{"all":false,"server_ids":[{theirs}]}}"#)),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(rows_of(&app, "alias.servers.assign").len(), 2);
}

async fn inviting_an_alias_user_from_the_tab_and_from_the_api_writes_the_same_audit_entry(
    app: TestApp,
) {
    let t = tenants(&app);
    let viewer = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let body = create_from_each_door(
        &app,
        t.acme,
        &[
            ("password", ""),
            ("invite", "yes"),
            ("role_id", &viewer.to_string()),
        ],
        serde_json::json!({ "invite": true, "role_id": viewer }),
    )
    .await;
    assert_eq!(body["status"], "invited");
    assert!(body["invited_at"].is_string(), "{body}");
    assert_created_alike(
        &app,
        t.acme,
        "role=Viewer, all_servers=false, invited by e-mail",
    );
}
