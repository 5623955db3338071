use crate::helpers::{assert_redirect_to, assert_says, TestApp, PASSWORD};
use steward::models::login_attempt;

backend_tests!(
    logging_in_with_the_right_password_lands_on_the_servers_page,
    a_wrong_password_and_an_unknown_username_get_the_same_message,
    repeated_failures_for_a_username_are_throttled_with_a_clear_message,
    a_disabled_account_cannot_log_in_and_its_open_session_stops_working,
    logging_out_ends_the_session_on_the_server,
    pages_need_a_login,
    every_login_attempt_is_recorded_without_the_password,
);

async fn logging_in_with_the_right_password_lands_on_the_servers_page(app: TestApp) {
    app.admin("boss");
    let b = app.browser();
    let res = b.login("boss", PASSWORD).await;
    assert_redirect_to(&res, "/servers");
    let page = b.get_html("/servers").await;
    assert!(page.contains("Hi, boss name"), "{page}");
}

async fn a_wrong_password_and_an_unknown_username_get_the_same_message(app: TestApp) {
    app.admin("boss");
    let b = app.browser();
    let wrong = b.login("boss", "not-the-password").await;
    assert_status!(wrong, 422);
    let wrong = wrong.text().await.unwrap();
    let unknown = b.login("nobody-here", "not-the-password").await;
    assert_status!(unknown, 422);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Wrong username or password."));
    assert!(unknown.contains("Wrong username or password."));
    // No session was made for either.
    assert_redirect_to(&b.get("/servers").await, "/login");
}

async fn repeated_failures_for_a_username_are_throttled_with_a_clear_message(app: TestApp) {
    app.admin("boss");
    let b = app.browser();
    for _ in 0..5 {
        assert_status!(b.login("boss", "wrong-password").await, 422);
    }
    // Even the right password is refused while throttled.
    let res = b.login("boss", PASSWORD).await;
    assert_says(res, 422, "Too many failed attempts").await;
    // Another username from the same address is not affected.
    app.admin("other");
    assert_status!(b.login("other", PASSWORD).await, 303);
}

async fn a_disabled_account_cannot_log_in_and_its_open_session_stops_working(app: TestApp) {
    let admin = app.admin("boss");
    let customer = app.customer("carol", admin);
    let carol = app.login("carol").await;
    assert_status!(carol.get(&format!("/users/{customer}")).await, 200);

    let boss = app.login("boss").await;
    let res = boss
        .post(
            &format!("/users/{customer}"),
            &[
                ("form", "profile"),
                ("name", "Carol"),
                ("email", "carol@example.com"),
                ("status", "disabled"),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{customer}"));
    assert!(app.user(customer).unwrap().disabled);

    // The open session is refused on its very next request.
    assert_redirect_to(&carol.get(&format!("/users/{customer}")).await, "/login");
    // And a new login is refused.
    assert_status!(app.browser().login("carol", PASSWORD).await, 422);
}

async fn logging_out_ends_the_session_on_the_server(app: TestApp) {
    let admin = app.admin("boss");
    let b = app.login("boss").await;
    let page = format!("/users/{admin}");
    assert_status!(b.get(&page).await, 200);
    // Keep a copy of the session cookie, as someone who stole it would.
    let stolen = b.cookie_header();
    assert_status!(b.get_with_cookie(&page, &stolen).await, 200);
    let sessions_before = count_sessions(&app);
    assert_redirect_to(&b.post("/logout", &[]).await, "/login");
    assert_eq!(
        count_sessions(&app),
        sessions_before - 1,
        "the session row was deleted"
    );
    assert_redirect_to(&b.get(&page).await, "/login");
    assert_redirect_to(&b.get_with_cookie(&page, &stolen).await, "/login");
}

fn count_sessions(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use steward::db::schema::sessions;
    sessions::table
        .filter(sessions::user_id.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn pages_need_a_login(app: TestApp) {
    let b = app.browser();
    for path in ["/", "/servers", "/users", "/users/1", "/account"] {
        assert_redirect_to(&b.get(path).await, "/login");
    }
}

async fn every_login_attempt_is_recorded_without_the_password(app: TestApp) {
    let admin = app.admin("boss");
    let b = app.browser();
    b.login("boss", "a-secret-guess").await;
    b.login("boss", PASSWORD).await;
    let mut conn = app.conn();
    let history = login_attempt::for_account(&mut conn, admin, 1, 10).unwrap();
    assert_eq!(history.total, 2);
    assert!(history.rows[0].success);
    assert!(!history.rows[1].success);
    for row in &history.rows {
        assert!(!format!("{row:?}").contains("a-secret-guess"));
    }
}
