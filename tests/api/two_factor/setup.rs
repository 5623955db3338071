//! Setting up TOTP and recovery codes on /account/security.

use diesel::prelude::*;
use steward::db::schema::{recovery_codes, totp_factors};

use super::{between, code, enrol, has_factor, location};
use crate::helpers::{assert_says, TestApp};

backend_tests!(
    the_set_up_page_shows_a_qr_code_the_secret_and_its_otpauth_uri,
    a_first_code_turns_totp_on_and_ten_recovery_codes_are_shown_once,
    a_wrong_first_code_is_refused_and_nothing_is_stored,
    the_secret_and_the_recovery_codes_are_not_stored_in_clear,
    new_recovery_codes_make_the_old_ones_stop_working,
    turning_totp_off_needs_a_confirmation_and_removes_every_factor,
);

async fn the_set_up_page_shows_a_qr_code_the_secret_and_its_otpauth_uri(app: TestApp) {
    let admin = app.admin("root");
    app.customer("alice", admin);
    let b = app.login("alice").await;
    let page = b.get_html("/account/security").await;
    assert!(page.contains("Set up an authenticator app"));
    let res = b.post("/account/security/totp/start", &[]).await;
    assert_status!(res, 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg"), "a server-side QR code");
    let secret = between(&page, "id=\"totp-secret\">", "<").unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = between(&page, "id=\"otpauth-uri\">", "<").unwrap();
    assert!(uri.starts_with("otpauth://totp/Steward:alice?"), "{uri}");
    assert!(uri.contains(secret));
}

async fn a_first_code_turns_totp_on_and_ten_recovery_codes_are_shown_once(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    assert!(!has_factor(&app, alice));
    let (_, codes) = enrol(&b).await;
    assert!(has_factor(&app, alice));
    assert_eq!(codes.len(), 10);
    // Shown once: a reload shows none of them.
    let again = b.get_html("/account/security/recovery-codes").await;
    for c in &codes {
        assert!(!again.contains(c.as_str()), "recovery code shown twice");
    }
    assert!(again.contains("10 unused codes"));
    let page = b.get_html("/account/security").await;
    assert!(page.contains("10 of 10 recovery codes are unused"));
    // The account page and Manage Users show the state.
    let root = app.login("root").await;
    let list = root.get_html("/users").await;
    let row = between(&list, ">alice<", "</tr>").unwrap();
    assert!(
        row.contains(">On<"),
        "Manage Users shows two-factor on: {row}"
    );
}

async fn a_wrong_first_code_is_refused_and_nothing_is_stored(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    let page = b
        .post("/account/security/totp/start", &[])
        .await
        .text()
        .await
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\">", "<")
        .unwrap()
        .to_string();
    let wrong = if code(&secret, 0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let res = b.post("/account/security/totp", &[("code", wrong)]).await;
    assert_says(res, 422, "does not match").await;
    assert!(!has_factor(&app, alice));
    // Without a set-up under way, a code is sent back to the start.
    let fresh = app.login("alice").await;
    let res = fresh
        .post("/account/security/totp", &[("code", &code(&secret, 0))])
        .await;
    assert_eq!(location(&res), "/account/security");
    assert!(!has_factor(&app, alice));
}

async fn the_secret_and_the_recovery_codes_are_not_stored_in_clear(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    let (secret, codes) = enrol(&b).await;
    let mut conn = app.conn();
    let stored: String = totp_factors::table
        .find(alice)
        .select(totp_factors::secret)
        .first(&mut conn)
        .unwrap();
    assert!(!stored.contains(&secret));
    let hashes: Vec<String> = recovery_codes::table
        .filter(recovery_codes::user_id.eq(alice))
        .select(recovery_codes::code_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(hashes.len(), 10);
    for c in &codes {
        assert!(hashes.iter().all(|h| !h.contains(c.as_str())));
    }
}

async fn new_recovery_codes_make_the_old_ones_stop_working(app: TestApp) {
    let admin = app.admin("root");
    app.customer("alice", admin);
    let b = app.login("alice").await;
    let (_, old) = enrol(&b).await;
    let res = b.post("/account/security/recovery-codes", &[]).await;
    assert_eq!(location(&res), "/account/security/recovery-codes");
    let page = b.get_html("/account/security/recovery-codes").await;
    assert!(!page.contains(old[0].as_str()));
    let list = between(&page, "id=\"recovery-codes\">", "</ul>").unwrap();
    let new_code = between(list, "<li>", "</li>").unwrap().to_string();
    let (_, status) = super::login_with_code(&app, "alice", &old[0]).await;
    assert_eq!(status, 422, "an old recovery code no longer works");
    let (_, status) = super::login_with_code(&app, "alice", &new_code).await;
    assert_eq!(status, 303, "a new recovery code works");
}

async fn turning_totp_off_needs_a_confirmation_and_removes_every_factor(app: TestApp) {
    let admin = app.admin("root");
    let alice = app.customer("alice", admin);
    let b = app.login("alice").await;
    enrol(&b).await;
    assert_status!(
        b.post("/account/security/totp/delete", &[]).await,
        422,
        "asks first"
    );
    assert!(has_factor(&app, alice));
    let res = b
        .post("/account/security/totp/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(location(&res), "/account/security");
    assert!(!has_factor(&app, alice));
    let left: i64 = recovery_codes::table
        .filter(recovery_codes::user_id.eq(alice))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
    // A password alone logs in again.
    let (_, to) = super::password_step(&app, "alice").await;
    assert_eq!(to, "/servers");
}
