//! `STEWARD_TRUSTED_PROXIES`. Only a trusted peer may name the client address
//! through `X-Forwarded-For` / `Forwarded`, and the right-most untrusted address is the
//! client; the one address decided is what Login History, the audit log and throttling
//! record.

use diesel::prelude::*;
use steward::db::schema::login_attempts;

use super::browser_via_proxy;
use crate::backend_tests_with;
use crate::helpers::{TestApp, PASSWORD};

backend_tests!(an_untrusted_peer_cannot_choose_its_address_with_forwarding_headers);

backend_tests_with!(crate::ops::behind_loopback_proxy;
    forwarded_addresses_are_recorded_in_login_history_and_audit);

fn login_ips(app: &TestApp, username: &str) -> Vec<String> {
    login_attempts::table
        .filter(login_attempts::username_key.eq(username))
        .order(login_attempts::id)
        .select(login_attempts::ip)
        .load(&mut *app.conn())
        .unwrap()
}

fn audit_ips(app: &TestApp, action: &str) -> Vec<String> {
    let entries = app.audit_entries(action);
    entries.into_iter().map(|e| e.ip).collect()
}

/// The admin "boss" logs in from a client whose requests carry `X-Forwarded-For:
/// forwarded`, and creates a role (an audited change).
async fn log_in_and_act_forwarded_for(app: &TestApp, admin: i32, forwarded: &str) {
    let b = browser_via_proxy(&app.address, forwarded);
    assert_status!(b.login("boss", PASSWORD).await, 303);
    assert_status!(
        b.post(
            &format!("/users/{admin}/roles"),
            &[("name", "Viewers"), ("permissions", "servers.view")],
        )
        .await,
        303
    );
}

async fn an_untrusted_peer_cannot_choose_its_address_with_forwarding_headers(app: TestApp) {
    let admin = app.admin("boss");
    log_in_and_act_forwarded_for(&app, admin, "198.51.100.7").await;
    // No proxy is trusted by default: the socket's address is recorded, not the header's.
    assert_eq!(login_ips(&app, "boss"), ["127.0.0.1"]);
    assert_eq!(audit_ips(&app, "role.create"), ["127.0.0.1"]);
}

async fn forwarded_addresses_are_recorded_in_login_history_and_audit(app: TestApp) {
    let admin = app.admin("boss");
    // The client forged the first entry; the trusted proxy appended the real address.
    log_in_and_act_forwarded_for(&app, admin, "6.6.6.6, 198.51.100.7").await;
    assert_eq!(login_ips(&app, "boss"), ["198.51.100.7"]);
    assert_eq!(audit_ips(&app, "role.create"), ["198.51.100.7"]);

    // RFC 7239 `Forwarded`, when the proxy sends no X-Forwarded-For.
    let b = crate::helpers::Browser::new(&app.address);
    let token = b.csrf().await;
    let res = b
        .client
        .post(b.url("/login"))
        .header(
            "Forwarded",
            r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#,
        )
        .form(&[
            ("username", "boss"),
            ("password", "wrong-password"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_status!(res, 422);
    assert_eq!(login_ips(&app, "boss"), ["198.51.100.7", "2001:db8::7"]);
}
