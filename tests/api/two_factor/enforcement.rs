//! Policies that demand a factor: the account owner's for its alias users, a role's, and
//! the installation's (STEWARD_REQUIRE_2FA). A login that must hold one and holds none
//! reaches only its set-up; a policy applies at once, to open sessions too.

use steward::access::two_factor::InstallPolicy;
use steward::db::Backend;

use super::{enrol, location, password_step};
use crate::helpers::{assert_says, spawn_app_with, TestApp};

backend_tests!(
    an_owner_policy_sends_its_alias_users_to_set_up_and_nothing_else,
    a_role_that_requires_two_factor_sends_its_holders_to_set_up,
    the_role_editor_saves_require_two_factor_and_offers_it_ticked_for_risky_permissions,
    only_the_owner_or_a_manager_sets_the_alias_policy,
);

/// Checks that `b` reaches only the set-up pages.
async fn reaches_only_set_up(b: &crate::helpers::Browser, account: i32) {
    for path in ["/servers", "/account", &format!("/users/{account}")] {
        let res = b.get(path).await;
        assert_eq!(location(&res), "/account/security", "{path}");
    }
    let page = b.get_html("/account/security").await;
    assert!(page.contains("Set up two-factor authentication to continue"));
}

async fn an_owner_policy_sends_its_alias_users_to_set_up_and_nothing_else(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    app.alias("dev", acme).role(viewers).create();
    let open = app.login("dev").await;
    assert_status!(open.get("/servers").await, 200);
    let owner = app.login("acme").await;
    let tab = owner.get_html(&format!("/users/{acme}/alias-users")).await;
    assert!(tab.contains("not required"));
    let res = owner
        .post(
            &format!("/users/{acme}/security-policy"),
            &[("require_two_factor_for_aliases", "yes")],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{acme}/alias-users"));
    // At once, in the session already open.
    reaches_only_set_up(&open, acme).await;
    // And after a fresh password.
    let (b, _) = password_step(&app, "dev").await;
    reaches_only_set_up(&b, acme).await;
    // The owner itself is not concerned.
    assert_status!(owner.get("/servers").await, 200);
    // Setting up a factor opens the panel again.
    enrol(&b).await;
    assert_status!(b.get("/servers").await, 200);
    // The tab shows the state of each alias user.
    let tab = owner.get_html(&format!("/users/{acme}/alias-users")).await;
    assert!(tab.contains("required"));
    let row = super::between(&tab, ">dev<", "</tr>").unwrap();
    assert!(row.contains(">On<"), "{row}");
    // Turned off, the rule no longer applies.
    owner
        .post(
            &format!("/users/{acme}/security-policy"),
            &[("require_two_factor_for_aliases", "no")],
        )
        .await;
    let other = app.alias("ops", acme).role(viewers).create();
    let b = app.login("ops").await;
    assert_status!(b.get("/servers").await, 200);
    assert!(!super::has_factor(&app, other));
}

async fn a_role_that_requires_two_factor_sends_its_holders_to_set_up(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let strict = app.role(acme, "Strict").perms(&["servers.view"]).create();
    let loose = app.role(acme, "Loose").perms(&["servers.view"]).create();
    steward::models::two_factor::set_role_requires(&mut app.conn(), strict, true).unwrap();
    app.alias("dev", acme).role(strict).create();
    app.alias("ops", acme).role(loose).create();
    let (dev, _) = password_step(&app, "dev").await;
    reaches_only_set_up(&dev, acme).await;
    let (ops, to) = password_step(&app, "ops").await;
    assert_eq!(to, "/servers");
    assert_status!(ops.get("/servers").await, 200);
}

async fn the_role_editor_saves_require_two_factor_and_offers_it_ticked_for_risky_permissions(
    app: TestApp,
) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let owner = app.login("acme").await;
    // A risky permission without confirmation: the editor comes back with the box ticked.
    let res = owner
        .post(
            &format!("/users/{acme}/roles"),
            &[("name", "Rebuilders"), ("permissions", "servers.reinstall")],
        )
        .await;
    assert_says(res, 422, r#"name="require_two_factor" value="yes" checked"#).await;
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/roles"),
                &[
                    ("name", "Rebuilders"),
                    ("permissions", "servers.reinstall"),
                    ("confirm_dangerous", "yes"),
                    ("require_two_factor", "yes"),
                ],
            )
            .await,
        303
    );
    let roles = steward::models::role::Role::list_for_account(&mut app.conn(), acme).unwrap();
    let rid = roles.iter().find(|r| r.name == "Rebuilders").unwrap().id;
    assert!(steward::models::two_factor::role_requires(&mut app.conn(), rid).unwrap());
    let editor = owner.get_html(&format!("/users/{acme}/roles/{rid}")).await;
    assert!(editor.contains(r#"name="require_two_factor" value="yes" checked"#));
    // Saved without the box, the requirement goes.
    owner
        .post(
            &format!("/users/{acme}/roles/{rid}"),
            &[
                ("name", "Rebuilders"),
                ("permissions", "servers.reinstall"),
                ("confirm_dangerous", "yes"),
            ],
        )
        .await;
    assert!(!steward::models::two_factor::role_requires(&mut app.conn(), rid).unwrap());
}

async fn only_the_owner_or_a_manager_sets_the_alias_policy(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let other = app.customer("other", admin);
    let manager = app
        .role(acme, "Managers")
        .perms(&["alias_users.manage"])
        .create();
    app.alias("mgr", acme).role(manager).create();
    let requires = |app: &TestApp| {
        steward::models::two_factor::account_requires_for_aliases(&mut app.conn(), acme).unwrap()
    };
    let path = format!("/users/{acme}/security-policy");
    let body = [("require_two_factor_for_aliases", "yes")];
    let b = app.login("mgr").await;
    assert_status!(b.post(&path, &body).await, 403);
    let b = app.login("other").await;
    assert_status!(b.post(&path, &body).await, 404);
    assert!(!requires(&app));
    let b = app.login("acme").await;
    assert_status!(
        b.post(&path, &[("require_two_factor_for_aliases", "maybe")])
            .await,
        422
    );
    assert!(!requires(&app));
    let b = app.login("root").await;
    assert_status!(b.post(&path, &body).await, 303);
    assert!(requires(&app));
    let _ = other;
}

/// The installation's policy is read at start, so each case has its own app.
async fn installation(policy: InstallPolicy, backend: Backend) {
    let app = spawn_app_with(backend, |s| s.require_two_factor = policy).await;
    let admin = app.admin("root");
    let reseller = app.reseller("res", admin);
    let customer = app.customer("cust", reseller);
    let viewers = app
        .role(customer, "Viewers")
        .perms(&["servers.view"])
        .create();
    app.alias("dev", customer).role(viewers).create();
    for (login, account, staff) in [
        ("root", admin, true),
        ("res", reseller, true),
        ("cust", customer, false),
        ("dev", customer, false),
    ] {
        let (b, _) = password_step(&app, login).await;
        let demanded = policy == InstallPolicy::All || (staff && policy == InstallPolicy::Staff);
        if demanded {
            reaches_only_set_up(&b, account).await;
            enrol(&b).await;
        }
        assert_status!(b.get("/servers").await, 200, "{login} under {policy:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_policy_staff_demands_a_factor_of_admins_and_resellers_only() {
    installation(InstallPolicy::Staff, Backend::Sqlite).await;
    installation(InstallPolicy::Staff, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_policy_all_demands_a_factor_of_every_login() {
    installation(InstallPolicy::All, Backend::Sqlite).await;
}
