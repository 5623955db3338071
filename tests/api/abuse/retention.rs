//! Bounded tables: the purge task removes expired sessions, login attempts older than the
//! Login History retention, and audit entries older than STEWARD_AUDIT_DAYS when set.

use std::time::Duration;

use diesel::prelude::*;
use steward::db::schema::{audit_log, login_attempts, sessions};
use steward::models::now;
use steward::web::limits::Limits;

use super::eventually;
use crate::helpers::{test_limits, TestApp};

with_limits!(
    the_purge_removes_expired_sessions_and_old_login_attempts_and_keeps_the_audit_log => crate::helpers::test_limits(),
    with_audit_days_set_the_purge_removes_older_audit_entries => super::audit_kept_thirty_days(),
);

fn audit_kept_thirty_days() -> Limits {
    Limits {
        audit_days: Some(30),
        ..test_limits()
    }
}

fn session(app: &TestApp, key: &str, expires_in: chrono::Duration) {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key),
            sessions::state.eq("{}"),
            sessions::expires_at.eq(now() + expires_in),
            sessions::created_at.eq(now() - chrono::Duration::days(1)),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

fn attempt(app: &TestApp, username: &str, age: chrono::Duration) {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username_key.eq(username),
            login_attempts::ip.eq("192.0.2.1"),
            login_attempts::user_agent.eq("test"),
            login_attempts::success.eq(false),
            login_attempts::reason.eq("wrong username or password"),
            login_attempts::created_at.eq(now() - age),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

fn audit(app: &TestApp, action: &str, age: chrono::Duration) {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_name.eq("boss"),
            audit_log::action.eq(action),
            audit_log::target.eq(""),
            audit_log::details.eq(""),
            audit_log::ip.eq("192.0.2.1"),
            audit_log::user_agent.eq(""),
            audit_log::via_api.eq(false),
            audit_log::created_at.eq(now() - age),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

fn keys(app: &TestApp) -> Vec<String> {
    sessions::table
        .select(sessions::key_hash)
        .order(sessions::key_hash)
        .load(&mut app.conn())
        .unwrap()
}

fn attempts(app: &TestApp) -> Vec<String> {
    login_attempts::table
        .select(login_attempts::username_key)
        .order(login_attempts::username_key)
        .load(&mut app.conn())
        .unwrap()
}

fn audits(app: &TestApp) -> Vec<String> {
    audit_log::table
        .select(audit_log::action)
        .order(audit_log::action)
        .load(&mut app.conn())
        .unwrap()
}

async fn the_purge_removes_expired_sessions_and_old_login_attempts_and_keeps_the_audit_log(
    app: TestApp,
) {
    let day = chrono::Duration::days(1);
    session(&app, "expired", -chrono::Duration::minutes(1));
    session(&app, "live", chrono::Duration::hours(1));
    attempt(&app, "ninety-one-days", day * 91);
    attempt(&app, "yesterday", day);
    audit(&app, "old.entry", day * 400);
    // The test server purges every 300 ms.
    let purged = eventually(Duration::from_secs(10), || async {
        keys(&app) == ["live"] && attempts(&app) == ["yesterday"]
    })
    .await;
    assert!(purged, "left: {:?} {:?}", keys(&app), attempts(&app));
    // By default the audit log is kept forever.
    assert_eq!(audits(&app), ["old.entry"]);
}

async fn with_audit_days_set_the_purge_removes_older_audit_entries(app: TestApp) {
    let day = chrono::Duration::days(1);
    audit(&app, "a.recent", day * 29);
    audit(&app, "b.old", day * 31);
    let purged = eventually(Duration::from_secs(10), || async {
        audits(&app) == ["a.recent"]
    })
    .await;
    assert!(purged, "left: {:?}", audits(&app));
}
