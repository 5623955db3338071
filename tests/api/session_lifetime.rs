//! A session's lifetime as the session store sees it (fixes the benchmark led to,
//! BENCHMARKS.md): a page view writes nothing to the store, yet an active session has its
//! idle expiry extended, and a session past its expiry is logged out.

use diesel::prelude::*;
use steward::db::schema::sessions;
use steward::models::now;

use crate::helpers::TestApp;

backend_tests!(
    a_page_view_writes_nothing_to_the_session_store,
    an_active_session_has_its_idle_expiry_extended,
    a_session_past_its_expiry_is_logged_out,
);

fn session_row(app: &TestApp, user: i32) -> (String, chrono::NaiveDateTime) {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .select((sessions::state, sessions::expires_at))
        .first(&mut app.conn())
        .unwrap()
}

async fn a_page_view_writes_nothing_to_the_session_store(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    let before = session_row(&app, acme);
    // The first page shows the welcome message, which came in its own cookie: showing it
    // writes nothing either.
    assert!(b
        .get_html("/servers")
        .await
        .contains("Welcome to Steward. This is your first login."));
    for _ in 0..3 {
        assert_status!(b.get("/servers").await, 200);
    }
    assert_eq!(session_row(&app, acme), before);
    // A message shows once.
    assert!(!b.get_html("/servers").await.contains("Welcome to Steward"));
}

async fn an_active_session_has_its_idle_expiry_extended(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    diesel::update(sessions::table.filter(sessions::user_id.eq(acme)))
        .set(sessions::expires_at.eq(now() + chrono::Duration::hours(1)))
        .execute(&mut app.conn())
        .unwrap();
    assert_status!(b.get("/servers").await, 200);
    let (_, expires) = session_row(&app, acme);
    assert!(expires > now() + chrono::Duration::hours(11), "{expires}");
}

async fn a_session_past_its_expiry_is_logged_out(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    diesel::update(sessions::table.filter(sessions::user_id.eq(acme)))
        .set(sessions::expires_at.eq(now() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();
    let res = b.get("/servers").await;
    assert_status!(res, 303);
    assert_eq!(res.headers()["location"], "/login");
}
