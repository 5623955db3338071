//! Login throttling counts failures per (username, client address) and per
//! client address, so one attacker cannot lock a login out for everyone; a slower
//! per-username backstop delays answers instead of locking; admins see throttled
//! addresses and lift a throttle, audited. The app trusts loopback as its proxy, so each
//! test client picks its client address with `X-Forwarded-For`.

use std::time::Instant;

use diesel::prelude::*;
use steward::db::schema::{audit_log, login_attempts};
use steward::models::login_attempt::NewLoginAttempt;
use steward::models::now;
use steward::models::throttle::{ADDRESS_LIMIT, BACKSTOP_DELAY, BACKSTOP_LIMIT, PAIR_LIMIT};

use super::browser_via_proxy;
use crate::backend_tests_with;
use crate::helpers::{assert_says, TestApp, PASSWORD};

backend_tests_with!(crate::ops::behind_loopback_proxy;
    failures_from_one_address_do_not_lock_the_login_for_another_address,
    an_address_with_many_failures_is_locked_for_every_username_and_no_other_address_is,
    a_success_settles_the_failures_of_its_own_address,
    the_per_username_backstop_delays_answers_but_never_locks_the_login,
    admins_see_throttled_addresses_and_lift_a_throttle_with_an_audit_entry,
);

const LOCKED: &str = "Too many failed attempts";

/// Failed attempts written straight to the database, as earlier requests would have.
fn failures(app: &TestApp, username: &str, ip: &str, n: i64) {
    let mut c = app.conn();
    for _ in 0..n {
        NewLoginAttempt {
            username_key: username,
            user_id: None,
            account_id: None,
            ip,
            user_agent: "attacker",
            success: false,
            reason: "wrong username or password",
            created_at: now(),
        }
        .insert(&mut c)
        .unwrap();
    }
}

async fn login_status(app: &TestApp, from: &str, username: &str, password: &str) -> (u16, String) {
    let res = browser_via_proxy(&app.address, from)
        .login(username, password)
        .await;
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn failures_from_one_address_do_not_lock_the_login_for_another_address(app: TestApp) {
    app.admin("boss");
    let attacker = "203.0.113.66";
    for _ in 0..PAIR_LIMIT {
        let (status, page) = login_status(&app, attacker, "boss", "guess").await;
        assert_eq!(status, 422);
        assert!(!page.contains(LOCKED));
    }
    // The attacker's address is now locked for this login, even with the right password.
    let (status, page) = login_status(&app, attacker, "boss", PASSWORD).await;
    assert_eq!(status, 422);
    assert!(page.contains(LOCKED), "{page}");
    // The owner, from anywhere else, logs in as usual.
    let (status, _) = login_status(&app, "198.51.100.7", "boss", PASSWORD).await;
    assert_eq!(status, 303);
    // Still locked for the attacker: the owner's success elsewhere forgives nothing there.
    let (_, page) = login_status(&app, attacker, "boss", PASSWORD).await;
    assert!(page.contains(LOCKED));
}

async fn an_address_with_many_failures_is_locked_for_every_username_and_no_other_address_is(
    app: TestApp,
) {
    app.admin("boss");
    let sprayer = "203.0.113.77";
    // A password spray: a few guesses each at many usernames, none over the pair limit.
    for i in 0..ADDRESS_LIMIT {
        failures(&app, &format!("user{}", i % 20), sprayer, 1);
    }
    let (status, page) = login_status(&app, sprayer, "boss", PASSWORD).await;
    assert_eq!(status, 422);
    assert!(
        page.contains(LOCKED),
        "boss was never guessed, but the address is locked"
    );
    let (status, _) = login_status(&app, "198.51.100.7", "boss", PASSWORD).await;
    assert_eq!(status, 303);
}

async fn a_success_settles_the_failures_of_its_own_address(app: TestApp) {
    app.admin("boss");
    let office = "198.51.100.20";
    for _ in 0..PAIR_LIMIT - 1 {
        assert_eq!(login_status(&app, office, "boss", "typo").await.0, 422);
    }
    assert_eq!(login_status(&app, office, "boss", PASSWORD).await.0, 303);
    // Earlier typos no longer count: another run of typos short of the limit is fine.
    for _ in 0..PAIR_LIMIT - 1 {
        assert_eq!(login_status(&app, office, "boss", "typo").await.0, 422);
    }
    assert_eq!(login_status(&app, office, "boss", PASSWORD).await.0, 303);
    // The rows stay in Login History.
    let rows: i64 = login_attempts::table
        .filter(login_attempts::username_key.eq("boss"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(rows, 2 * PAIR_LIMIT);
}

async fn the_per_username_backstop_delays_answers_but_never_locks_the_login(app: TestApp) {
    app.admin("boss");
    // A botnet: many addresses, each far below its own limits.
    for i in 0..BACKSTOP_LIMIT {
        failures(
            &app,
            "boss",
            &format!("10.66.{}.{}", i / 200, i % 200 + 1),
            1,
        );
    }
    let started = Instant::now();
    let (status, _) = login_status(&app, "198.51.100.7", "boss", PASSWORD).await;
    let took = started.elapsed();
    assert_eq!(status, 303, "the backstop never locks the owner out");
    assert!(
        took >= BACKSTOP_DELAY,
        "answered in {took:?}, before the backstop's delay"
    );
    // A wrong password is an ordinary failure, not a lock-out.
    let (status, page) = login_status(&app, "198.51.100.8", "boss", "guess").await;
    assert_eq!(status, 422);
    assert!(page.contains("Wrong username or password.") && !page.contains(LOCKED));
    // Throttle and backstop are per username: another login is unaffected.
    app.admin("other");
    assert_eq!(
        login_status(&app, "198.51.100.7", "other", PASSWORD)
            .await
            .0,
        303
    );
}

async fn admins_see_throttled_addresses_and_lift_a_throttle_with_an_audit_entry(app: TestApp) {
    let admin = app.admin("root");
    app.admin("boss");
    let reseller = app.reseller("res", admin);
    app.customer("cust", reseller);
    let attacker = "203.0.113.66";
    failures(&app, "boss", attacker, PAIR_LIMIT);
    failures(&app, "someone", "203.0.113.99", ADDRESS_LIMIT);
    assert!(login_status(&app, attacker, "boss", PASSWORD)
        .await
        .1
        .contains(LOCKED));

    let root = browser_via_proxy(&app.address, "198.51.100.1");
    assert_status!(root.login("root", PASSWORD).await, 303);
    let page = root.get_html("/admin/throttles").await;
    assert!(
        page.contains(&format!(r#"<td class="mono">{attacker}</td>"#)),
        "{page}"
    );
    assert!(
        page.contains("boss (6)"),
        "5 failures and the locked attempt: {page}"
    );
    assert!(page.contains("203.0.113.99") && page.contains("every username"));

    // Only admins (and their alias users with admin.users) may see or lift.
    let res_b = browser_via_proxy(&app.address, "198.51.100.2");
    assert_status!(res_b.login("res", PASSWORD).await, 303);
    assert_status!(res_b.get("/admin/throttles").await, 403);
    assert_status!(
        res_b
            .post("/admin/throttles/lift", &[("ip", attacker)])
            .await,
        403
    );
    assert!(login_status(&app, attacker, "boss", PASSWORD)
        .await
        .1
        .contains(LOCKED));

    // Without the CSRF token nothing is lifted.
    assert_status!(
        root.post_raw("/admin/throttles/lift", &[("ip", attacker)])
            .await,
        403
    );
    // A bad address is a 422 with a message, and lifts nothing.
    let res = root
        .post("/admin/throttles/lift", &[("ip", "not-an-address")])
        .await;
    assert_says(res, 422, "Enter the client address").await;
    assert!(login_status(&app, attacker, "boss", PASSWORD)
        .await
        .1
        .contains(LOCKED));

    assert_status!(
        root.post(
            "/admin/throttles/lift",
            &[("ip", attacker), ("username", "boss")],
        )
        .await,
        303
    );
    assert_eq!(login_status(&app, attacker, "boss", PASSWORD).await.0, 303);
    let page = root.get_html("/admin/throttles").await;
    assert!(page.contains("Throttle lifted on 203.0.113.66 for boss"));
    assert!(
        !page.contains(&format!(r#"<td class="mono">{attacker}</td>"#)),
        "{page}"
    );
    assert!(page.contains(r#"<td class="mono">203.0.113.99</td>"#));

    let audit: Vec<(String, String, String, Option<i32>)> = audit_log::table
        .filter(audit_log::action.eq("throttle.lift"))
        .select((
            audit_log::target,
            audit_log::details,
            audit_log::ip,
            audit_log::actor_id,
        ))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].0, format!("address {attacker}"));
    assert!(audit[0].1.contains("username=boss"), "{}", audit[0].1);
    assert_eq!(audit[0].2, "198.51.100.1");
    assert_eq!(audit[0].3, Some(admin));
}
