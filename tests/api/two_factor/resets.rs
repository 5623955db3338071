//! Resets: a manager who covers a login may reset its factors (audited); one who does not
//! cover it may not; nobody resets their own this way; nobody sees or changes the target's
//! factors while impersonating. And the console's `steward reset-2fa`.

use super::{enrol, has_factor, location, password_step, reset_factors};
use crate::helpers::net::steward_command;
use crate::helpers::TestApp;

backend_tests!(
    an_owner_resets_the_factors_of_its_alias_user_after_confirming,
    a_manager_who_does_not_cover_the_login_may_not_reset_it,
    an_admin_resets_a_customers_factors_but_nobody_its_own_this_way,
    while_impersonating_nobody_sees_or_changes_the_targets_factors,
    the_console_command_reset_2fa_removes_every_factor_of_a_login,
);

async fn an_owner_resets_the_factors_of_its_alias_user_after_confirming(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let dev = app.alias("dev", acme).create();
    enrol(&app.login("dev").await).await;
    let owner = app.login("acme").await;
    let page = owner
        .get_html(&format!("/users/{acme}/alias-users/{dev}"))
        .await;
    assert!(page.contains("Reset two-factor"));
    let path = format!("/users/{acme}/alias-users/{dev}/two-factor/reset");
    assert_status!(owner.post(&path, &[]).await, 422, "asks first");
    assert!(has_factor(&app, dev));
    let res = owner.post(&path, &[("confirm", "yes")]).await;
    assert_eq!(location(&res), format!("/users/{acme}/alias-users/{dev}"));
    assert!(!has_factor(&app, dev));
    assert_eq!(app.audit_count("two_factor.reset"), 1);
    let (_, to) = password_step(&app, "dev").await;
    assert_eq!(to, "/servers", "the password alone logs in again");
}

async fn a_manager_who_does_not_cover_the_login_may_not_reset_it(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    // The manager lacks a permission the boss holds: it does not cover the boss.
    app.alias("mgr", acme)
        .perms(&["alias_users.manage"])
        .create();
    let boss = app
        .alias("boss", acme)
        .perms(&["alias_users.manage", "activity.view"])
        .create();
    enrol(&app.login("boss").await).await;
    let mgr = app.login("mgr").await;
    let res = reset_factors(&mgr, &format!("/users/{acme}/alias-users/{boss}")).await;
    assert_status!(res, 403, "{}", location(&res));
    assert!(has_factor(&app, boss));
    assert_eq!(app.audit_count("two_factor.reset"), 0);
    // Another tenant does not even see it.
    app.customer("other", admin);
    let other = app.login("other").await;
    assert_status!(
        reset_factors(&other, &format!("/users/{acme}/alias-users/{boss}")).await,
        404
    );
    assert!(has_factor(&app, boss));
}

async fn an_admin_resets_a_customers_factors_but_nobody_its_own_this_way(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    enrol(&app.login("acme").await).await;
    let root = app.login("root").await;
    enrol(&root).await;
    let page = root.get_html(&format!("/users/{acme}")).await;
    assert!(page.contains("Reset two-factor"));
    let res = reset_factors(&root, &format!("/users/{acme}")).await;
    assert_eq!(location(&res), format!("/users/{acme}"));
    assert!(!has_factor(&app, acme));
    assert_status!(reset_factors(&root, &format!("/users/{admin}")).await, 403);
    assert!(has_factor(&app, admin));
    // The customer may not reset its admin.
    let owner = app.login("acme").await;
    assert_status!(reset_factors(&owner, &format!("/users/{admin}")).await, 404);
    assert!(has_factor(&app, admin));
}

async fn while_impersonating_nobody_sees_or_changes_the_targets_factors(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let dev = app.alias("dev", acme).create();
    enrol(&app.login("acme").await).await;
    enrol(&app.login("dev").await).await;
    let root = app.login("root").await;
    let res = root.post(&format!("/users/{acme}/impersonate"), &[]).await;
    assert_eq!(location(&res), "/servers");
    assert_status!(root.get("/account/security").await, 403);
    assert_status!(
        root.post("/account/security/totp/delete", &[("confirm", "yes")])
            .await,
        403
    );
    assert_status!(
        root.post("/account/security/recovery-codes", &[]).await,
        403
    );
    // Acting as the owner, its alias user's factors are not reset either.
    assert_status!(
        reset_factors(&root, &format!("/users/{acme}/alias-users/{dev}")).await,
        403
    );
    assert!(has_factor(&app, acme));
    assert!(has_factor(&app, dev));
}

async fn the_console_command_reset_2fa_removes_every_factor_of_a_login(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    enrol(&app.login("acme").await).await;
    let out = steward_command(&app.database_url, &["reset-2fa", "--username", "ACME"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Removed every second factor of acme"));
    assert!(!has_factor(&app, acme));
    assert_eq!(app.audit_count("two_factor.reset"), 1);
    let out = steward_command(&app.database_url, &["reset-2fa", "--username", "nobody"]);
    assert!(!out.status.success());
}
