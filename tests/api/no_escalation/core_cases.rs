//! The no-escalation rule seen from outside: a few of its cases driven over HTTP against
//! the one rule (`access::rights`, `access::changes`; SECURITY.md, "The no-escalation
//! rule"), each checking the state after the refusal, on both backends. The reported
//! escalations and the generated attacker live beside this file.

use diesel::prelude::*;
use steward::db::schema::{alias_role_permissions, users};

use super::USER_TIER;
use crate::helpers::{assert_redirect_to, TestApp};

backend_tests!(
    an_admins_helper_with_admin_users_cannot_promote_a_customer,
    a_role_edit_that_would_raise_a_holder_beyond_the_editor_is_refused,
    an_impersonation_ends_when_the_targets_reach_outgrows_the_impersonator,
    a_search_or_login_with_a_nul_byte_is_refused_not_a_500,
    a_display_name_with_bidi_or_zero_width_characters_is_refused,
);

async fn an_admins_helper_with_admin_users_cannot_promote_a_customer(app: TestApp) {
    let boss = app.admin("boss");
    let keys: Vec<&str> = [USER_TIER, &["admin.users"]].concat();
    let helpers = app.role(boss, "Helpers").perms(&keys).create();
    app.alias("helper", boss)
        .role(helpers)
        .all_servers(true)
        .create();
    let cust = app.customer("carol", boss);
    let b = app.login("helper").await;
    let url = format!("/users/{cust}");
    let boss_s = boss.to_string();
    for (kind, owner) in [("admin", ""), ("reseller", boss_s.as_str())] {
        assert_status!(
            b.post(
                &url,
                &[
                    ("form", "profile"),
                    ("name", "carol name"),
                    ("email", "carol@example.com"),
                    ("kind", kind),
                    ("owner_id", owner),
                ],
            )
            .await,
            403,
            "kind={kind}"
        );
        let now = app.user(cust).unwrap();
        assert_eq!((now.kind.as_str(), now.owner_id), ("user", Some(boss)));
    }
    // What it does cover, it still edits.
    let res = b.save_profile(&url, "Carol C.", "carol@example.com").await;
    assert_redirect_to(&res, &url);
    assert_eq!(app.user(cust).unwrap().name, "Carol C.");
}

fn role_keys(app: &TestApp, role: i32) -> Vec<String> {
    alias_role_permissions::table
        .filter(alias_role_permissions::role_id.eq(role))
        .select(alias_role_permissions::permission)
        .order(alias_role_permissions::permission)
        .load(&mut app.conn())
        .unwrap()
}

async fn a_role_edit_that_would_raise_a_holder_beyond_the_editor_is_refused(app: TestApp) {
    let boss = app.admin("boss");
    let acme = app.customer("acme", boss);
    let w1 = app.server("w1.example.com").owned_by(acme).create();
    app.server("w2.example.com").owned_by(acme).create();
    let managers = app
        .role(acme, "Managers")
        .perms(&["alias_roles.manage", "servers.view", "servers.power"])
        .create();
    let m = app.alias("manager", acme).role(managers).create();
    app.assign(m, w1);
    let shared = app.role(acme, "Shared").perms(&["servers.view"]).create();
    app.alias("sibling", acme)
        .role(shared)
        .all_servers(true)
        .create();
    let b = app.login("manager").await;
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles/{shared}"),
            &[
                ("name", "Shared"),
                ("description", ""),
                ("permissions", "servers.view"),
                ("permissions", "servers.power"),
            ],
        )
        .await,
        403
    );
    assert_eq!(role_keys(&app, shared), ["servers.view"]);
}

async fn an_impersonation_ends_when_the_targets_reach_outgrows_the_impersonator(app: TestApp) {
    let boss = app.admin("boss");
    let acme = app.customer("acme", boss);
    let w1 = app.server("w1.example.com").owned_by(acme).create();
    let w2 = app.server("w2.example.com").owned_by(acme).create();
    let managers = app
        .role(acme, "Managers")
        .perms(&["alias_users.impersonate", "servers.view"])
        .create();
    let m = app.alias("manager", acme).role(managers).create();
    app.assign(m, w1);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let narrow = app.alias("narrow", acme).role(viewers).create();
    app.assign(narrow, w1);
    let b = app.login("manager").await;
    let res = b
        .post(
            &format!("/users/{acme}/alias-users/{narrow}/impersonate"),
            &[],
        )
        .await;
    assert_redirect_to(&res, "/servers");
    assert_status!(b.get(&format!("/servers/{w1}")).await, 200);
    // The owner gives the target all servers: it now reaches w2, which the manager does not.
    diesel::update(users::table.find(narrow))
        .set(users::all_servers.eq(true))
        .execute(&mut app.conn())
        .unwrap();
    assert_redirect_to(&b.get(&format!("/servers/{w2}")).await, "/servers");
    let page = b.get_html("/servers").await;
    assert!(!page.contains("is acting as"), "{page}");
    assert_status!(
        b.get(&format!("/servers/{w2}")).await,
        404,
        "the session acts as the manager again"
    );
}

async fn a_search_or_login_with_a_nul_byte_is_refused_not_a_500(app: TestApp) {
    let boss = app.admin("boss");
    let acme = app.customer("acme", boss);
    app.server("w1.example.com").owned_by(acme).create();
    let b = app.login("boss").await;
    for url in [
        "/servers?q=a%00b".to_string(),
        "/users?q=%00".to_string(),
        format!("/users/{acme}/servers?q=%00"),
        format!("/users/{acme}/alias-users?q=%00"),
        format!("/users/{acme}/activity?login=%00"),
    ] {
        let res = b.get(&url).await;
        assert_status!(res, 422, "{url}");
        assert!(res.text().await.unwrap().contains("control characters"));
    }
    assert_status!(
        b.post(&format!("/users/{acme}/servers"), &[("server", "w1\0")])
            .await,
        422
    );
    let res = app
        .browser()
        .login("bo\0ss", crate::helpers::PASSWORD)
        .await;
    assert!(res.status().as_u16() < 500, "{}", res.status());
    assert_ne!(
        res.headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string()),
        Some("/servers".to_string()),
        "a username with NUL names nobody"
    );
}

async fn a_display_name_with_bidi_or_zero_width_characters_is_refused(app: TestApp) {
    let boss = app.admin("boss");
    let acme = app.customer("acme", boss);
    let b = app.login("boss").await;
    for name in ["\u{202e}nimda\u{200b}", "ad\u{200d}min"] {
        let res = b
            .save_profile(&format!("/users/{acme}"), name, "acme@example.com")
            .await;
        assert_status!(res, 422, "{name:?}");
        assert!(res.text().await.unwrap().contains("Invisible formatting"));
        assert_eq!(app.user(acme).unwrap().name, "acme name");
    }
}
