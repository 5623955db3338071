//! The login's second step: a login with a factor is pending after its password, reaches
//! nothing else (pages and API), expires after five minutes; codes work once; wrong codes
//! are throttled and recorded in Login History.

use diesel::prelude::*;
use steward::db::schema::{login_attempts, sessions};

use super::{age_sessions, code, enrol, location, login_with_code, password_step};
use crate::helpers::TestApp;

backend_tests!(
    a_login_without_a_factor_logs_in_with_its_password_as_before,
    a_login_with_a_factor_is_sent_to_the_two_factor_step_and_reaches_nothing_else,
    a_totp_code_logs_in_and_the_same_code_is_refused_a_second_time,
    a_recovery_code_logs_in_once,
    the_two_factor_step_expires_after_five_minutes,
    wrong_codes_are_throttled_per_login_and_recorded_in_login_history,
    an_api_key_of_a_login_with_a_factor_works_as_before,
);

async fn an_api_key_of_a_login_with_a_factor_works_as_before(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    enrol(&app.login("alice").await).await;
    let (_, key) = crate::matrix::api_key(&app, alice);
    let b = app.browser();
    assert_status!(
        b.client
            .get(b.url("/api/v1/me"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap(),
        200,
        "keys are their own credential"
    );
}

async fn a_login_without_a_factor_logs_in_with_its_password_as_before(app: TestApp) {
    let admin = app.admin("root");
    app.customer("alice", admin);
    let (b, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/servers");
    assert_status!(b.get("/servers").await, 200);
}

async fn a_login_with_a_factor_is_sent_to_the_two_factor_step_and_reaches_nothing_else(
    app: TestApp,
) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    enrol(&app.login("alice").await).await;
    let (b, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/login/two-factor");
    assert!(b
        .get_html("/login/two-factor")
        .await
        .contains("authenticator app"));
    // Pages: every one sends the pending session to /login.
    for path in [
        "/servers",
        "/account",
        "/account/security",
        &format!("/users/{alice}"),
        &format!("/users/{alice}/api-keys"),
        "/reauth?next=/servers",
    ] {
        let res = b.get(path).await;
        assert_status!(res, 303, "{path}");
        assert_eq!(location(&res), "/login", "{path}");
    }
    let res = b
        .post(&format!("/users/{alice}/api-keys"), &[("name", "x")])
        .await;
    assert_eq!(location(&res), "/login");
    // The API: the cookie is no credential there.
    assert_status!(b.get("/api/v1/me").await, 401);
    // The session row names no logged-in login.
    let logged_in: i64 = sessions::table
        .filter(sessions::user_id.eq(alice))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(logged_in, 1, "only the enrolling browser is logged in");
}

async fn a_totp_code_logs_in_and_the_same_code_is_refused_a_second_time(app: TestApp) {
    let admin = app.admin("root");
    app.customer("alice", admin);
    let (secret, _) = enrol(&app.login("alice").await).await;
    // The set-up used this step's code: a later step's code (within the one-step skew).
    let next = code(&secret, 1);
    let (b, status) = login_with_code(&app, "alice", &next).await;
    assert_eq!(status, 303);
    assert_status!(b.get("/servers").await, 200);
    let (b2, status) = login_with_code(&app, "alice", &next).await;
    assert_eq!(status, 422, "a code works once");
    assert_eq!(location(&b2.get("/servers").await), "/login");
    // The step already used at set-up is refused too.
    let (_, status) = login_with_code(&app, "alice", &code(&secret, 0)).await;
    assert_eq!(status, 422);
    // Two steps away is outside the skew.
    let (_, status) = login_with_code(&app, "alice", &code(&secret, 3)).await;
    assert_eq!(status, 422);
}

async fn a_recovery_code_logs_in_once(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let (_, codes) = enrol(&app.login("alice").await).await;
    let (b, status) = login_with_code(&app, "alice", &codes[3].to_uppercase()).await;
    assert_eq!(status, 303, "case does not matter");
    assert_status!(b.get("/servers").await, 200);
    let (_, status) = login_with_code(&app, "alice", &codes[3]).await;
    assert_eq!(status, 422, "a recovery code works once");
    let left = steward::models::two_factor::recovery_codes_left(&mut app.conn(), alice).unwrap();
    assert_eq!(left, 9);
}

async fn the_two_factor_step_expires_after_five_minutes(app: TestApp) {
    let admin = app.admin("root");
    app.customer("alice", admin);
    let (secret, _) = enrol(&app.login("alice").await).await;
    let (b, _) = password_step(&app, "alice").await;
    age_sessions(&app, "two_factor_pending_since", 5 * 60 + 5);
    let res = b.get("/login/two-factor").await;
    assert_eq!(location(&res), "/login");
    let res = b
        .post("/login/two-factor", &[("code", &code(&secret, 1))])
        .await;
    assert_eq!(location(&res), "/login");
    assert_eq!(location(&b.get("/servers").await), "/login");
}

async fn wrong_codes_are_throttled_per_login_and_recorded_in_login_history(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let (secret, _) = enrol(&app.login("alice").await).await;
    let right = code(&secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        // A right password between tries buys no more guesses.
        let (_, status) = login_with_code(&app, "alice", wrong).await;
        assert_eq!(status, 422);
    }
    let (b, to) = password_step(&app, "alice").await;
    assert_eq!(to, "/login/two-factor");
    let res = b.post("/login/two-factor", &[("code", &right)]).await;
    assert_status!(res, 422, "throttled even with the right code");
    assert!(res.text().await.unwrap().contains("Too many wrong codes"));
    let failures: i64 = login_attempts::table
        .filter(login_attempts::user_id.eq(alice))
        .filter(login_attempts::reason.eq("wrong two-factor code"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(failures, 5);
    let root = app.login("root").await;
    let history = root.get_html(&format!("/users/{alice}/logins")).await;
    assert!(history.contains("wrong two-factor code"));
}
