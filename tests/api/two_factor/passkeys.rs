//! Passkeys (WebAuthn) over HTTP, on both backends: registering several under names with a
//! software authenticator (authenticator.rs), logging in with one at the two-factor step,
//! deleting them, and every refusal on the way — anonymous clients and other logins,
//! missing CSRF tokens, another login's passkey, forged or replayed answers, a bad name,
//! no recent authentication, impersonation — each checked to change nothing.

use diesel::prelude::*;
use serde_json::Value;
use steward::db::schema::{login_attempts, passkeys, recovery_codes, sessions};

use super::authenticator::{allowed, SoftKey};
use super::{age_sessions, has_factor, location, password_step, reset_factors};
use crate::helpers::{assert_says, csrf_in, Browser, TestApp};

backend_tests!(
    a_login_registers_several_named_passkeys_and_the_first_brings_recovery_codes,
    a_passkey_logs_in_at_the_two_factor_step_and_its_counter_is_kept,
    a_replayed_forged_or_foreign_passkey_answer_is_refused_and_recorded,
    anonymous_clients_reach_no_passkey_route_and_get_no_session,
    passkey_routes_refuse_a_request_without_the_csrf_token,
    deleting_another_logins_passkey_is_404_and_ones_own_is_confirmed_and_audited,
    a_bad_or_taken_name_is_refused_with_422_and_nothing_is_kept,
    passkey_changes_need_a_recent_authentication_and_are_refused_while_impersonating,
    a_managers_reset_removes_the_passkeys_too,
    a_login_that_must_hold_a_factor_may_add_a_passkey_and_then_reaches_the_panel,
);

/// The panel's origin as a browser on localhost reports it (the default relying party).
fn origin(app: &TestApp) -> String {
    app.address.replace("127.0.0.1", "localhost")
}

/// POSTs `body` as JSON with the session's CSRF token in the header.
async fn post_json(b: &Browser, token: &str, path: &str, body: &Value) -> reqwest::Response {
    b.client
        .post(b.url(path))
        .header("X-CSRF-Token", token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Starts a registration named `name`: the status and the JSON answer.
async fn start(b: &Browser, name: &str) -> (u16, Value) {
    let res = b
        .post(
            "/account/security/passkeys/register/start",
            &[("name", name)],
        )
        .await;
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Registers `key` under `name` for the logged-in browser; answers where it leads.
async fn register(b: &Browser, key: &SoftKey, name: &str) -> String {
    let (status, options) = start(b, name).await;
    assert_eq!(status, 200, "start: {options}");
    let token = b.csrf().await;
    finish_registration(b, &token, key, &options).await
}

/// Finishes a registration started with `options` with `key`'s answer, which the panel
/// must accept; answers where it sends the browser next.
async fn finish_registration(b: &Browser, token: &str, key: &SoftKey, options: &Value) -> String {
    let res = post_json(
        b,
        token,
        "/account/security/passkeys/register/finish",
        &key.register(options),
    )
    .await;
    redirect_of(res).await
}

/// An accepted passkey step's answer (200, JSON): where it sends the browser next.
async fn redirect_of(res: reqwest::Response) -> String {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["redirect"].as_str().unwrap().to_string()
}

fn names_of(app: &TestApp, login: i32) -> Vec<String> {
    passkeys::table
        .filter(passkeys::user_id.eq(login))
        .order(passkeys::id.asc())
        .select(passkeys::name)
        .load(&mut app.conn())
        .unwrap()
}

fn attempts(app: &TestApp, login: i32, reason: &str) -> i64 {
    login_attempts::table
        .filter(login_attempts::user_id.eq(Some(login)))
        .filter(login_attempts::reason.eq(reason))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// alice (a customer) logged in, with one passkey registered; answers her id and the key.
async fn alice_with_passkey(app: &TestApp) -> (i32, Browser, SoftKey) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    let key = SoftKey::new(&origin(app));
    register(&b, &key, "Laptop").await;
    (alice, b, key)
}

fn root_id(app: &TestApp) -> i32 {
    app.user_named("root").unwrap().id
}

/// The pending session's own token (the two-factor page's forms carry it).
async fn pending_token(b: &Browser) -> String {
    let page = b.get_html("/login/two-factor").await;
    csrf_in(&page).expect("the two-factor page carries a token")
}

async fn passkey_login_start(b: &Browser, token: &str) -> (u16, Value) {
    let res = b
        .client
        .post(b.url("/login/two-factor/passkey/start"))
        .header("X-CSRF-Token", token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn a_login_registers_several_named_passkeys_and_the_first_brings_recovery_codes(
    app: TestApp,
) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    let page = b.get_html("/account/security").await;
    assert!(
        page.contains("id=\"passkey-register\""),
        "the form is there"
    );
    assert!(page.contains("/static/passkeys.js"), "with its script");

    let (status, options) = start(&b, "Laptop").await;
    assert_eq!(status, 200);
    let pk = &options["publicKey"];
    assert_eq!(
        pk["rp"]["id"], "localhost",
        "the relying party is localhost"
    );
    assert_eq!(pk["user"]["name"], "alice");
    assert_eq!(
        pk["authenticatorSelection"]["userVerification"], "required",
        "{options}"
    );
    // The state waits server-side, in the session row; the cookie carries only its key.
    let rows: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(Some(alice)))
        .select(sessions::state)
        .load(&mut app.conn())
        .unwrap();
    assert!(rows.iter().any(|s| s.contains("passkey_registration")));
    assert!(!b.cookie_header().contains("passkey"));

    let laptop = SoftKey::new(&origin(&app));
    let token = b.csrf().await;
    assert_eq!(
        finish_registration(&b, &token, &laptop, &options).await,
        "/account/security/recovery-codes",
        "the first factor comes with recovery codes"
    );
    assert!(has_factor(&app, alice));
    let codes: i64 = recovery_codes::table
        .filter(recovery_codes::user_id.eq(alice))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(codes, 10);
    let shown = b.get_html("/account/security/recovery-codes").await;
    assert!(shown.contains("id=\"recovery-codes\""), "shown once");

    // A second and a third, under their own names; no new codes.
    let phone = SoftKey::new(&origin(&app));
    assert_eq!(register(&b, &phone, "Phone").await, "/account/security");
    let key = SoftKey::new(&origin(&app));
    register(&b, &key, "Security key <b>").await;
    assert_eq!(
        names_of(&app, alice),
        ["Laptop", "Phone", "Security key <b>"]
    );
    assert_eq!(app.audit_count("two_factor.passkey_add"), 3);
    let page = b.get_html("/account/security").await;
    assert!(page.contains("Phone"));
    assert!(page.contains("Security key &#60;b&#62;") || page.contains("Security key &lt;b&gt;"));
    assert!(!page.contains("Security key <b>"), "names are escaped");
    // Manage Users shows the factor.
    let root = app.login("root").await;
    let list = root.get_html("/users").await;
    let row = super::between(&list, ">alice<", "</tr>").unwrap();
    assert!(row.contains(">On<"), "{row}");
}

async fn a_passkey_logs_in_at_the_two_factor_step_and_its_counter_is_kept(app: TestApp) {
    let (alice, _, mut key) = alice_with_passkey(&app).await;
    let (b, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/login/two-factor", "a passkey is a second factor");
    let page = b.get_html("/login/two-factor").await;
    assert!(page.contains("Use a passkey"));
    // Nothing else is reachable yet.
    assert_eq!(location(&b.get("/servers").await), "/login");
    let token = pending_token(&b).await;
    let (status, options) = passkey_login_start(&b, &token).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(
        allowed(&options),
        [key.id.clone()],
        "only her passkey is offered"
    );
    let res = post_json(
        &b,
        &token,
        "/login/two-factor/passkey/finish",
        &key.assert(&options),
    )
    .await;
    assert_eq!(redirect_of(res).await, "/servers");
    assert_status!(b.get("/servers").await, 200, "logged in");
    assert_eq!(attempts(&app, alice, "passkey accepted"), 1);
    let (used, record): (Option<chrono::NaiveDateTime>, String) = passkeys::table
        .filter(passkeys::user_id.eq(alice))
        .select((passkeys::last_used_at, passkeys::passkey))
        .first(&mut app.conn())
        .unwrap();
    assert!(used.is_some(), "the last use is kept");
    assert!(
        record.contains("\"counter\":1"),
        "the counter moved: {record}"
    );

    // Again from another browser: the counter goes on.
    let (b2, _) = password_step(&app, "alice").await;
    let token = pending_token(&b2).await;
    let (_, options) = passkey_login_start(&b2, &token).await;
    assert_status!(
        post_json(
            &b2,
            &token,
            "/login/two-factor/passkey/finish",
            &key.assert(&options),
        )
        .await,
        200
    );
}

async fn a_replayed_forged_or_foreign_passkey_answer_is_refused_and_recorded(app: TestApp) {
    let (alice, _, mut key) = alice_with_passkey(&app).await;
    // bob holds his own passkey.
    let admin = root_id(&app);
    app.customer("bob", admin);
    let bob_browser = app.login("bob").await;
    let mut bobs = SoftKey::new(&origin(&app));
    register(&bob_browser, &bobs, "Bob's").await;

    let (b, _) = password_step(&app, "alice").await;
    let token = pending_token(&b).await;
    // Finish without a start.
    assert_status!(
        post_json(&b, &token, "/login/two-factor/passkey/finish", &Value::Null).await,
        422
    );

    // A good answer, then the same answer again: the challenge is used up.
    let (_, options) = passkey_login_start(&b, &token).await;
    let answer = key.assert(&options);
    // bob's passkey answering alice's challenge is refused (not one of hers) ...
    let foreign = bobs.assert(&options);
    assert_status!(
        post_json(&b, &token, "/login/two-factor/passkey/finish", &foreign).await,
        422
    );
    assert_eq!(attempts(&app, alice, "passkey refused"), 1, "recorded");
    // ... and used the challenge up: alice's own good answer to it is refused now too.
    assert_status!(
        post_json(&b, &token, "/login/two-factor/passkey/finish", &answer).await,
        422
    );
    assert_eq!(
        location(&b.get("/servers").await),
        "/login",
        "not logged in"
    );

    // An answer from another origin (a phishing site) is refused.
    let (_, options) = passkey_login_start(&b, &token).await;
    key.origin = "http://evil.localhost:1".into();
    assert_status!(
        post_json(
            &b,
            &token,
            "/login/two-factor/passkey/finish",
            &key.assert(&options),
        )
        .await,
        422
    );
    assert_eq!(attempts(&app, alice, "passkey refused"), 2);
    assert_eq!(attempts(&app, alice, "passkey accepted"), 0);

    // Failures count with wrong codes: past the limit, the step is throttled.
    for _ in 0..10 {
        let (status, options) = passkey_login_start(&b, &token).await;
        if status == 429 {
            break;
        }
        post_json(
            &b,
            &token,
            "/login/two-factor/passkey/finish",
            &bobs.assert(&options),
        )
        .await;
    }
    let (status, body) = passkey_login_start(&b, &token).await;
    assert_eq!(status, 429, "throttled: {body}");
}

async fn anonymous_clients_reach_no_passkey_route_and_get_no_session(app: TestApp) {
    let (_, _, _) = alice_with_passkey(&app).await;
    let count =
        |app: &TestApp| -> i64 { sessions::table.count().get_result(&mut app.conn()).unwrap() };
    let before = count(&app);
    let anon = app.browser();
    for path in [
        "/login/two-factor/passkey/start",
        "/login/two-factor/passkey/finish",
        "/account/security/passkeys/register/start",
        "/account/security/passkeys/register/finish",
        "/account/security/passkeys/1/delete",
    ] {
        // Without a token: the CSRF guard refuses.
        assert_status!(
            anon.post_raw(path, &[("name", "x")]).await,
            403,
            "{path} without a token"
        );
        // With the login form's token: sent to log in, and nothing kept for it.
        let res = anon.post(path, &[("name", "x")]).await;
        assert_status!(res, 303, "{path}");
        assert_eq!(location(&res), "/login", "{path}");
    }
    assert_eq!(
        count(&app),
        before,
        "no session row for an anonymous client"
    );
}

async fn passkey_routes_refuse_a_request_without_the_csrf_token(app: TestApp) {
    let (alice, b, _) = alice_with_passkey(&app).await;
    let pk: i32 = passkeys::table
        .filter(passkeys::user_id.eq(alice))
        .select(passkeys::id)
        .first(&mut app.conn())
        .unwrap();
    assert_status!(
        b.post_raw(
            "/account/security/passkeys/register/start",
            &[("name", "Phone")],
        )
        .await,
        403
    );
    assert_status!(
        b.client
            .post(b.url("/account/security/passkeys/register/finish"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
        403
    );
    assert_status!(
        b.post_raw(
            &format!("/account/security/passkeys/{pk}/delete"),
            &[("confirm", "yes")],
        )
        .await,
        403
    );
    assert_status!(
        b.post_raw(
            &format!("/account/security/passkeys/{pk}/delete"),
            &[("confirm", "yes"), ("csrf_token", "forged")],
        )
        .await,
        403
    );
    assert_eq!(names_of(&app, alice), ["Laptop"], "nothing deleted");
    // The pending step's routes too.
    let (p, _) = password_step(&app, "alice").await;
    assert_status!(
        p.post_raw("/login/two-factor/passkey/start", &[]).await,
        403
    );
}

async fn deleting_another_logins_passkey_is_404_and_ones_own_is_confirmed_and_audited(
    app: TestApp,
) {
    let (alice, b, _) = alice_with_passkey(&app).await;
    let phone = SoftKey::new(&origin(&app));
    register(&b, &phone, "Phone").await;
    let ids: Vec<i32> = passkeys::table
        .filter(passkeys::user_id.eq(alice))
        .order(passkeys::id.asc())
        .select(passkeys::id)
        .load(&mut app.conn())
        .unwrap();
    // Another login of the same installation, and alice's own manager: 404 both.
    let admin = root_id(&app);
    app.customer("bob", admin);
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    for who in [&bob, &root] {
        assert_status!(
            who.post(
                &format!("/account/security/passkeys/{}/delete", ids[0]),
                &[("confirm", "yes")],
            )
            .await,
            404
        );
    }
    for bad in ["0", "-1", "abc", "99999999999"] {
        assert_status!(
            b.post(
                &format!("/account/security/passkeys/{bad}/delete"),
                &[("confirm", "yes")],
            )
            .await,
            404,
            "{bad}"
        );
    }
    assert_eq!(names_of(&app, alice), ["Laptop", "Phone"]);
    // Without confirm=yes: the question (422, as every confirmed action), nothing deleted.
    let res = b
        .post(
            &format!("/account/security/passkeys/{}/delete", ids[0]),
            &[],
        )
        .await;
    assert_says(res, 422, "Delete the passkey").await;
    assert_eq!(names_of(&app, alice), ["Laptop", "Phone"]);
    let res = b
        .post(
            &format!("/account/security/passkeys/{}/delete", ids[0]),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/account/security");
    assert_eq!(names_of(&app, alice), ["Phone"]);
    assert_eq!(app.audit_count("two_factor.passkey_delete"), 1);
    assert!(has_factor(&app, alice), "Phone is left");
    // The last one: no factor left, and the recovery codes go with it.
    b.post(
        &format!("/account/security/passkeys/{}/delete", ids[1]),
        &[("confirm", "yes")],
    )
    .await;
    assert!(!has_factor(&app, alice));
    let codes: i64 = recovery_codes::table
        .filter(recovery_codes::user_id.eq(alice))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(codes, 0, "recovery codes do not outlive the last factor");
    let (_, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/servers", "a password alone logs in again");
}

async fn a_bad_or_taken_name_is_refused_with_422_and_nothing_is_kept(app: TestApp) {
    let (alice, b, _) = alice_with_passkey(&app).await;
    let long = "x".repeat(65);
    for name in ["", "   ", long.as_str(), "tab\there", "Laptop"] {
        let (status, body) = start(&b, name).await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let rows: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(Some(alice)))
        .select(sessions::state)
        .load(&mut app.conn())
        .unwrap();
    assert!(
        !rows.iter().any(|s| s.contains("passkey_registration")),
        "no registration waits after a refusal"
    );
    // A finish without a start, and a forged credential after one.
    let token = b.csrf().await;
    let finish = "/account/security/passkeys/register/finish";
    assert_status!(
        post_json(&b, &token, finish, &serde_json::json!({})).await,
        422
    );
    let (_, options) = start(&b, "Phone").await;
    let mut forged = SoftKey::new(&origin(&app)).register(&options);
    forged["response"]["clientDataJSON"] = Value::String("e30".into());
    assert_status!(post_json(&b, &token, finish, &forged).await, 422);
    // The start was used up by the refusal: a good answer to it is refused now.
    assert_status!(
        post_json(
            &b,
            &token,
            finish,
            &SoftKey::new(&origin(&app)).register(&options),
        )
        .await,
        422
    );
    // The same credential twice.
    let again = SoftKey::new(&origin(&app));
    register(&b, &again, "Phone").await;
    let (_, options) = start(&b, "Phone 2").await;
    assert_status!(
        post_json(&b, &token, finish, &again.register(&options)).await,
        422
    );
    assert_eq!(names_of(&app, alice), ["Laptop", "Phone"]);
}

async fn passkey_changes_need_a_recent_authentication_and_are_refused_while_impersonating(
    app: TestApp,
) {
    let (alice, b, _) = alice_with_passkey(&app).await;
    let pk: i32 = passkeys::table
        .filter(passkeys::user_id.eq(alice))
        .select(passkeys::id)
        .first(&mut app.conn())
        .unwrap();
    age_sessions(&app, "authenticated_at", 16 * 60);
    let res = b
        .post(
            "/account/security/passkeys/register/start",
            &[("name", "Phone")],
        )
        .await;
    assert_eq!(location(&res), "/reauth?next=%2Faccount%2Fsecurity");
    let res = b
        .post(
            &format!("/account/security/passkeys/{pk}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert!(location(&res).starts_with("/reauth?"), "{}", location(&res));
    assert_eq!(names_of(&app, alice), ["Laptop"]);

    // The admin impersonating alice neither adds nor deletes her passkeys.
    let root = app.login("root").await;
    assert_status!(
        root.post(&format!("/users/{alice}/impersonate"), &[]).await,
        303
    );
    assert_status!(
        root.post(
            "/account/security/passkeys/register/start",
            &[("name", "Mine")],
        )
        .await,
        403
    );
    assert_status!(
        root.post(
            &format!("/account/security/passkeys/{pk}/delete"),
            &[("confirm", "yes")],
        )
        .await,
        403
    );
    assert_eq!(names_of(&app, alice), ["Laptop"]);
}

async fn a_managers_reset_removes_the_passkeys_too(app: TestApp) {
    let (alice, _, _) = alice_with_passkey(&app).await;
    let root = app.login("root").await;
    assert_status!(reset_factors(&root, &format!("/users/{alice}")).await, 303);
    assert!(names_of(&app, alice).is_empty());
    assert!(!has_factor(&app, alice));
    let (_, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/servers");
}

async fn a_login_that_must_hold_a_factor_may_add_a_passkey_and_then_reaches_the_panel(
    app: TestApp,
) {
    let admin = app.admin("root");
    let owner = app.customer("acme", admin);
    let role = app.role(owner, "Ops").perms(&["servers.view"]).create();
    let ops = app.alias("acme-ops", owner).role(role).create();
    steward::models::two_factor::set_account_requires_for_aliases(&mut app.conn(), owner, true)
        .unwrap();
    let b = app.login("acme-ops").await;
    let res = b.get("/servers").await;
    assert!(
        location(&res).starts_with("/account/security"),
        "only the set-up is reachable: {}",
        location(&res)
    );
    let key = SoftKey::new(&origin(&app));
    assert_eq!(
        register(&b, &key, "Phone").await,
        "/account/security/recovery-codes"
    );
    assert!(has_factor(&app, ops));
    assert_status!(b.get("/servers").await, 200, "set up: in");
}
