//! No state for strangers: a session row exists only after a successful login, the login
//! form's CSRF protection needs none, and a login keeps at most 50 sessions.

use diesel::prelude::*;
use steward::db::schema::{audit_log, sessions};
use steward::models::now;
use steward::security::token;
use steward::web::limits::MAX_SESSIONS_PER_LOGIN;

use crate::helpers::{assert_says, TestApp, PASSWORD};

backend_tests!(
    a_thousand_anonymous_visits_and_failed_logins_leave_the_sessions_table_unchanged,
    the_login_form_still_refuses_a_post_without_its_token,
    a_login_keeps_at_most_fifty_sessions_and_the_oldest_ends_audited,
);

fn session_count(app: &TestApp) -> i64 {
    sessions::table.count().get_result(&mut app.conn()).unwrap()
}

async fn a_thousand_anonymous_visits_and_failed_logins_leave_the_sessions_table_unchanged(
    app: TestApp,
) {
    app.admin("boss");
    let before = session_count(&app);
    assert_eq!(before, 0);
    // 1,000 GET /login from 8 clients, each a new visitor (no cookie jar).
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = format!("{}/login", app.address);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for _ in 0..125 {
                let res = client.get(&url).send().await.unwrap();
                assert_says(res, 200, "csrf_token").await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Failed logins (with a valid form token), and anonymous visits to other pages.
    let b = app.browser();
    for _ in 0..10 {
        assert_status!(b.login("nobody", "wrong-password").await, 422);
        assert_status!(b.get("/servers").await, 303);
    }
    assert_eq!(session_count(&app), before, "strangers wrote session rows");
    // The first successful login writes exactly one.
    assert_status!(b.login("boss", PASSWORD).await, 303);
    assert_eq!(session_count(&app), before + 1);
    assert_status!(b.get("/servers").await, 200);
}

async fn the_login_form_still_refuses_a_post_without_its_token(app: TestApp) {
    app.admin("boss");
    let b = app.browser();
    b.get("/login").await;
    // No token, a made-up token, and a real token from another visitor's cookie.
    let none = b
        .post_raw("/login", &[("username", "boss"), ("password", PASSWORD)])
        .await;
    assert_status!(none, 403);
    let forged = b
        .post_raw(
            "/login",
            &[
                ("username", "boss"),
                ("password", PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_status!(forged, 403);
    let other = app.browser();
    let other_token = crate::helpers::csrf_in(&other.get_html("/login").await).unwrap();
    let stolen = b
        .post_raw(
            "/login",
            &[
                ("username", "boss"),
                ("password", PASSWORD),
                ("csrf_token", &other_token),
            ],
        )
        .await;
    assert_status!(stolen, 403);
    assert_eq!(session_count(&app), 0);
    // With its own token the login works.
    assert_status!(b.login("boss", PASSWORD).await, 303);
}

async fn a_login_keeps_at_most_fifty_sessions_and_the_oldest_ends_audited(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    // 50 live sessions already, the oldest first.
    let mut c = app.conn();
    let mut hashes = Vec::new();
    for i in 0..MAX_SESSIONS_PER_LOGIN {
        let hash = token::sha256_hex(&format!("old-session-{i}"));
        diesel::insert_into(sessions::table)
            .values((
                sessions::key_hash.eq(&hash),
                sessions::user_id.eq(Some(acme)),
                sessions::state.eq("{}"),
                sessions::expires_at.eq(now() + chrono::Duration::hours(6)),
                sessions::created_at.eq(now() - chrono::Duration::minutes(600 - i)),
            ))
            .execute(&mut c)
            .unwrap();
        hashes.push(hash);
    }
    drop(c);
    let mine = |app: &TestApp| -> Vec<String> {
        sessions::table
            .filter(sessions::user_id.eq(acme))
            .select(sessions::key_hash)
            .load(&mut app.conn())
            .unwrap()
    };
    let b = app.login("acme").await;
    let now_held = mine(&app);
    assert_eq!(now_held.len() as i64, MAX_SESSIONS_PER_LOGIN);
    assert!(!now_held.contains(&hashes[0]), "the oldest session ended");
    assert!(now_held.contains(&hashes[1]));
    assert_status!(b.get("/servers").await, 200);
    // Two more logins: still 50, the next oldest gone, each ending audited.
    app.login("acme").await;
    app.login("acme").await;
    let now_held = mine(&app);
    assert_eq!(now_held.len() as i64, MAX_SESSIONS_PER_LOGIN);
    assert!(!now_held.contains(&hashes[1]) && !now_held.contains(&hashes[2]));
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("session.limit"))
        .filter(audit_log::actor_id.eq(acme))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 3);
    // Another login's sessions are untouched.
    assert_status!(b.get("/servers").await, 200);
}
