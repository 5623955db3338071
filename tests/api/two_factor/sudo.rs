//! Sudo mode: creating API keys, changing factors, starting an impersonation and saving a
//! role with a risky permission need an authentication in the last 15 minutes; otherwise
//! /reauth asks and returns to the page.

use diesel::prelude::*;
use steward::db::schema::api_keys;

use super::{age_sessions, code, enrol, location};
use crate::helpers::{TestApp, PASSWORD};

backend_tests!(
    an_old_session_confirms_its_password_before_creating_an_api_key_and_comes_back,
    sensitive_actions_after_fifteen_minutes_go_to_reauth,
    reauth_takes_a_code_and_refuses_a_wrong_password,
    reauth_never_returns_to_another_site,
);

const AGE: i64 = 16 * 60;

async fn an_old_session_confirms_its_password_before_creating_an_api_key_and_comes_back(
    app: TestApp,
) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    age_sessions(&app, "authenticated_at", AGE);
    let path = format!("/users/{acme}/api-keys");
    let res = b
        .post(&path, &[("name", "Deploy"), ("expires_at", "")])
        .await;
    assert_status!(res, 303);
    let to = location(&res);
    assert_eq!(to, format!("/reauth?next=%2Fusers%2F{acme}%2Fapi-keys"));
    let count = |app: &TestApp| -> i64 {
        api_keys::table
            .filter(api_keys::user_id.eq(acme))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(count(&app), 0, "no key without a recent authentication");
    let page = b.get_html(&to).await;
    assert!(page.contains(&format!(r#"name="next" value="/users/{acme}/api-keys""#)));
    let res = b
        .post(
            "/reauth",
            &[("password", PASSWORD), ("next", &path), ("code", "")],
        )
        .await;
    assert_eq!(location(&res), path, "back to the page");
    assert_status!(
        b.post(&path, &[("name", "Deploy"), ("expires_at", "")])
            .await,
        303
    );
    assert_eq!(count(&app), 1);
}

async fn sensitive_actions_after_fifteen_minutes_go_to_reauth(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let b = app.login("root").await;
    let owner = app.login("acme").await;
    age_sessions(&app, "authenticated_at", AGE);
    // Starting an impersonation.
    let res = b.post(&format!("/users/{acme}/impersonate"), &[]).await;
    assert!(
        location(&res).starts_with("/reauth?next="),
        "{}",
        location(&res)
    );
    let impersonating: i64 = steward::db::schema::sessions::table
        .filter(steward::db::schema::sessions::impersonator_id.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(impersonating, 0, "no impersonation started");
    // Changing factors.
    let res = owner.post("/account/security/totp/start", &[]).await;
    assert_eq!(location(&res), "/reauth?next=%2Faccount%2Fsecurity");
    // Saving a role with a risky permission (a harmless one needs nothing).
    let res = owner
        .post(
            &format!("/users/{acme}/roles"),
            &[
                ("name", "Rebuild"),
                ("permissions", "servers.reinstall"),
                ("confirm_dangerous", "yes"),
            ],
        )
        .await;
    assert!(location(&res).starts_with("/reauth?next="));
    let res = owner
        .post(
            &format!("/users/{acme}/roles"),
            &[("name", "Viewers"), ("permissions", "servers.view")],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{acme}/roles"));
    let names: Vec<String> = steward::models::role::Role::list_for_account(&mut app.conn(), acme)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Viewers"]);
}

async fn reauth_takes_a_code_and_refuses_a_wrong_password(app: TestApp) {
    let admin = app.admin("root");
    app.customer("acme", admin);
    let b = app.login("acme").await;
    let (secret, _) = enrol(&b).await;
    age_sessions(&app, "authenticated_at", AGE);
    assert_status!(
        b.post(
            "/reauth",
            &[
                ("password", "wrong-password"),
                ("next", "/account/security"),
            ],
        )
        .await,
        422
    );
    let res = b.post("/account/security/recovery-codes", &[]).await;
    assert!(location(&res).starts_with("/reauth"));
    let res = b
        .post(
            "/reauth",
            &[("code", &code(&secret, 1)), ("next", "/account/security")],
        )
        .await;
    assert_eq!(location(&res), "/account/security");
    let res = b.post("/account/security/recovery-codes", &[]).await;
    assert_eq!(location(&res), "/account/security/recovery-codes");
}

async fn reauth_never_returns_to_another_site(app: TestApp) {
    let admin = app.admin("root");
    app.customer("acme", admin);
    let b = app.login("acme").await;
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let res = b
            .post("/reauth", &[("password", PASSWORD), ("next", next)])
            .await;
        assert_eq!(location(&res), "/servers", "{next}");
    }
}
