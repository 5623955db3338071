//! Impersonation, the Activity log and Login History.

use diesel::prelude::*;
use steward::db::schema::{audit_log, users};

use crate::helpers::{assert_redirect_to, assert_says, Browser, TestApp, PASSWORD};

backend_tests!(
    an_admin_impersonates_a_customer_and_acts_with_exactly_its_rights,
    returning_restores_the_original_login_and_nothing_more,
    an_owner_impersonates_its_alias_user_and_sees_only_its_servers,
    an_alias_never_impersonates_its_parent_itself_or_a_stronger_sibling,
    an_alias_with_the_right_impersonates_a_weaker_sibling,
    a_reseller_impersonates_its_customers_and_their_aliases_but_no_one_elses,
    nobody_impersonates_an_admin,
    impersonation_does_not_nest,
    disabled_and_expired_logins_cannot_be_impersonated,
    actions_while_impersonating_are_recorded_with_both_identities,
    passwords_cannot_be_changed_while_impersonating,
    a_failed_action_writes_no_audit_row,
    an_alias_with_activity_view_sees_entries_but_not_other_logins_addresses,
    login_history_records_failures_without_telling_the_guesser_whether_the_username_exists,
    the_global_audit_log_is_for_admins_with_admin_audit,
    impersonation_ends_when_the_right_to_it_is_withdrawn,
);

async fn an_admin_impersonates_a_customer_and_acts_with_exactly_its_rights(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("globex", admin);
    app.server("web1.acme.test").owned_by(acme).create();
    app.server("db.globex.test").owned_by(other).create();
    let b = app.login("boss").await;
    b.impersonate(&format!("/users/{acme}")).await;
    let page = b.get_html("/servers").await;
    assert!(page.contains("impersonation-banner"));
    assert!(page.contains("<strong>boss name</strong> is acting as <strong>acme name</strong>"));
    assert!(page.contains("Return to boss name"));
    assert!(page.contains("web1.acme.test") && !page.contains("db.globex.test"));
    // The admin's own powers are gone while acting as the customer.
    assert_status!(b.get("/users").await, 403);
    assert_status!(b.get(&format!("/users/{other}")).await, 404);
}

async fn returning_restores_the_original_login_and_nothing_more(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("boss").await;
    b.impersonate(&format!("/users/{acme}")).await;
    let res = b.post("/impersonation/stop", &[]).await;
    assert_redirect_to(&res, &format!("/users/{acme}"));
    let page = b.get_html("/users").await;
    assert!(!page.contains("impersonation-banner"));
    assert!(page.contains("Hi, boss name"));
    // One entry in the customer's log and one in the admin's own.
    let starts: Vec<_> = app
        .audit_entries("impersonation.start")
        .iter()
        .map(|e| e.account_id)
        .collect();
    assert_eq!(starts, vec![Some(acme), Some(admin)]);
    assert!(!app.audit_entries("impersonation.stop").is_empty());
    // Stopping again is harmless.
    assert_redirect_to(&b.post("/impersonation/stop", &[]).await, "/servers");
}

async fn an_owner_impersonates_its_alias_user_and_sees_only_its_servers(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let a = app.alias("helper", acme).perms(&["servers.view"]).create();
    let web1 = app.server("web1.acme.test").owned_by(acme).create();
    app.server("web2.acme.test").owned_by(acme).create();
    app.assign(a, web1);
    let owner = app.login("acme").await;
    owner
        .impersonate(&format!("/users/{acme}/alias-users/{a}"))
        .await;
    let page = owner.get_html("/servers").await;
    assert!(page.contains("is acting as"));
    assert!(page.contains("web1.acme.test") && !page.contains("web2.acme.test"));
    // The alias user's rights: no alias management.
    assert_status!(owner.get(&format!("/users/{acme}/alias-users")).await, 403);
    assert_redirect_to(
        &owner.post("/impersonation/stop", &[]).await,
        &format!("/users/{acme}/alias-users"),
    );
    assert_status!(owner.get(&format!("/users/{acme}/alias-users")).await, 200);
}

async fn an_alias_never_impersonates_its_parent_itself_or_a_stronger_sibling(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let imp = app
        .role(acme, "Impersonators")
        .perms(&["alias_users.impersonate", "servers.view"])
        .create();
    let strong = app
        .role(acme, "Strong")
        .perms(&["servers.view", "servers.power"])
        .create();
    let me = app.alias("me", acme).role(imp).all_servers(true).create();
    let big = app
        .alias("big", acme)
        .role(strong)
        .all_servers(true)
        .create();
    let b = app.login("me").await;
    for path in [
        format!("/users/{acme}/impersonate"),
        format!("/users/{acme}/alias-users/{me}/impersonate"),
        format!("/users/{acme}/alias-users/{big}/impersonate"),
    ] {
        assert_status!(b.post(&path, &[]).await, 403, "{path}");
    }
    assert!(app.audit_entries("impersonation.start").is_empty());
    assert!(!b.get_html("/servers").await.contains("is acting as"));
}

async fn an_alias_with_the_right_impersonates_a_weaker_sibling(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let imp = app
        .role(acme, "Impersonators")
        .perms(&["alias_users.impersonate", "servers.view"])
        .create();
    let viewer = app.role(acme, "Viewer").perms(&["servers.view"]).create();
    app.alias("me", acme).role(imp).all_servers(true).create();
    let weak = app.alias("weak", acme).role(viewer).create();
    let b = app.login("me").await;
    // It sees the list (to pick whom), without management actions.
    let tab = b.get_html(&format!("/users/{acme}/alias-users")).await;
    assert!(tab.contains(&format!("/users/{acme}/alias-users/{weak}/impersonate")));
    assert!(!tab.contains(&format!("/users/{acme}/alias-users/{weak}/disable")));
    let res = b
        .post(
            &format!("/users/{acme}/alias-users/{weak}/impersonate"),
            &[],
        )
        .await;
    assert_redirect_to(&res, "/servers");
    assert!(b.get_html("/servers").await.contains("is acting as"));
}

async fn a_reseller_impersonates_its_customers_and_their_aliases_but_no_one_elses(app: TestApp) {
    let admin = app.admin("boss");
    let r1 = app.reseller("res-one", admin);
    let r2 = app.reseller("res-two", admin);
    let mine = app.customer("mine", r1);
    let theirs = app.customer("theirs", r2);
    let mine_alias = app
        .alias("mine-helper", mine)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let b = app.login("res-one").await;
    assert_status!(
        b.post(&format!("/users/{theirs}/impersonate"), &[]).await,
        404
    );
    assert_status!(b.post(&format!("/users/{r2}/impersonate"), &[]).await, 404);
    assert!(b
        .get_html("/users")
        .await
        .contains(&format!("/users/{mine}/impersonate")));
    assert_redirect_to(
        &b.post(
            &format!("/users/{mine}/alias-users/{mine_alias}/impersonate"),
            &[],
        )
        .await,
        "/servers",
    );
    assert_status!(b.post("/impersonation/stop", &[]).await, 303);
    b.impersonate(&format!("/users/{mine}")).await;
}

async fn nobody_impersonates_an_admin(app: TestApp) {
    let admin = app.admin("boss");
    let other_admin = app.admin("boss2");
    let b = app.login("boss").await;
    assert_status!(
        b.post(&format!("/users/{other_admin}/impersonate"), &[])
            .await,
        403
    );
    assert_status!(
        b.post(&format!("/users/{admin}/impersonate"), &[]).await,
        403
    );
    assert!(!b
        .get_html("/users")
        .await
        .contains(&format!("/users/{other_admin}/impersonate")));
}

/// The admin "boss" acting as its customer "acme", whose alias user "helper" sees every
/// server of the account; answers (acme, helper, boss's browser).
async fn boss_acting_as_acme(app: &TestApp) -> (i32, i32, Browser) {
    let acme = app.customer("acme", app.admin("boss"));
    let helper = app
        .alias("helper", acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let b = app.login("boss").await;
    b.impersonate(&format!("/users/{acme}")).await;
    (acme, helper, b)
}

async fn impersonation_does_not_nest(app: TestApp) {
    let (acme, a, b) = boss_acting_as_acme(&app).await;
    let res = b
        .post(&format!("/users/{acme}/alias-users/{a}/impersonate"), &[])
        .await;
    assert_says(res, 403, "return first").await;
    assert!(b
        .get_html("/servers")
        .await
        .contains("is acting as <strong>acme name</strong>"));
}

async fn disabled_and_expired_logins_cannot_be_impersonated(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let r = app.role(acme, "Viewer").perms(&["servers.view"]).create();
    let off = app.alias("off", acme).role(r).all_servers(true).create();
    let old = app.alias("old", acme).role(r).all_servers(true).create();
    diesel::update(users::table.find(off))
        .set(users::disabled.eq(true))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(users::table.find(old))
        .set(users::expires_on.eq(Some(steward::models::now().date())))
        .execute(&mut app.conn())
        .unwrap();
    let owner = app.login("acme").await;
    for a in [off, old] {
        assert_status!(
            owner
                .post(&format!("/users/{acme}/alias-users/{a}/impersonate"), &[])
                .await,
            403
        );
    }
    let tab = owner.get_html(&format!("/users/{acme}/alias-users")).await;
    assert!(!tab.contains(&format!("/alias-users/{off}/impersonate")));
    let disabled_customer = app.customer("gone", admin);
    diesel::update(users::table.find(disabled_customer))
        .set(users::disabled.eq(true))
        .execute(&mut app.conn())
        .unwrap();
    let boss = app.login("boss").await;
    assert_status!(
        boss.post(&format!("/users/{disabled_customer}/impersonate"), &[])
            .await,
        403
    );
}

async fn actions_while_impersonating_are_recorded_with_both_identities(app: TestApp) {
    let (acme, a, b) = boss_acting_as_acme(&app).await;
    assert_status!(
        b.post(&format!("/users/{acme}/alias-users/{a}/disable"), &[])
            .await,
        303
    );
    let rows = app.audit_entries("alias.disable");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor_name, "acme");
    assert_eq!(rows[0].impersonator_name.as_deref(), Some("boss"));
    assert_eq!(rows[0].account_id, Some(acme));
    // The customer sees it on its Activity tab, with both names.
    assert_status!(b.post("/impersonation/stop", &[]).await, 303);
    let owner = app.login("acme").await;
    let activity = owner.get_html(&format!("/users/{acme}/activity")).await;
    assert!(activity.contains("alias.disable") && activity.contains("as impersonated by boss"));
    assert!(activity.contains("impersonation.start"));
}

async fn passwords_cannot_be_changed_while_impersonating(app: TestApp) {
    let (acme, a, b) = boss_acting_as_acme(&app).await;
    let page = b.get_html(&format!("/users/{acme}")).await;
    assert!(!page.contains("Change password"));
    assert_status!(
        b.post(
            &format!("/users/{acme}"),
            &[
                ("form", "password"),
                ("current_password", PASSWORD),
                ("new_password", "a-hijacked-password"),
            ],
        )
        .await,
        403
    );
    assert_redirect_to(
        &b.post("/impersonation/stop", &[]).await,
        &format!("/users/{acme}"),
    );
    let owner = app.login("acme").await;
    owner
        .impersonate(&format!("/users/{acme}/alias-users/{a}"))
        .await;
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/alias-users/{a}/password"),
                &[
                    ("current_password", PASSWORD),
                    ("password", "a-hijacked-password"),
                ],
            )
            .await,
        403
    );
    assert_status!(app.browser().login("acme", PASSWORD).await, 303);
    assert_status!(app.browser().login("helper", PASSWORD).await, 303);
}

async fn a_failed_action_writes_no_audit_row(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    let before: i64 = audit_log::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    // Invalid input (422), a forbidden action (403) and foreign ids (404).
    let invalid = b.save_profile(&format!("/users/{acme}"), "", "bad").await;
    assert_status!(invalid, 422);
    // Its admin is not even visible to a customer (404); impersonating itself is forbidden.
    let hidden = b.post(&format!("/users/{admin}/impersonate"), &[]).await;
    assert_status!(hidden, 404);
    let forbidden = b.post(&format!("/users/{acme}/impersonate"), &[]).await;
    assert_status!(forbidden, 403);
    let foreign = b.post("/users/999999/alias-users/1/disable", &[]).await;
    assert_status!(foreign, 404);
    let after: i64 = audit_log::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(before, after);
}

async fn an_alias_with_activity_view_sees_entries_but_not_other_logins_addresses(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let viewer = app
        .role(acme, "Auditors")
        .perms(&["activity.view"])
        .create();
    let blind = app.role(acme, "Blind").perms(&["servers.view"]).create();
    app.alias("auditor", acme)
        .role(viewer)
        .all_servers(true)
        .create();
    app.alias("blind", acme)
        .role(blind)
        .all_servers(true)
        .create();
    // The owner does something (from 127.0.0.1).
    let owner = app.login("acme").await;
    owner
        .save_profile(
            &format!("/users/{acme}"),
            "Acme Renamed",
            "acme@example.com",
        )
        .await;
    let auditor = app.login("auditor").await;
    let page = auditor.get_html(&format!("/users/{acme}/activity")).await;
    assert!(page.contains("account.update"));
    assert!(
        !page.contains("127.0.0.1"),
        "other logins' addresses are hidden"
    );
    // The cell that stands for the address, not the layout's hidden inputs.
    assert!(page.contains("<td class=\"mono\"><span class=\"muted\">hidden</span></td>"));
    let full = owner.get_html(&format!("/users/{acme}/activity")).await;
    assert!(full.contains("127.0.0.1"));
    // Without activity.view there is no tab.
    let b = app.login("blind").await;
    assert_status!(b.get(&format!("/users/{acme}/activity")).await, 403);
    // Filters work.
    let filtered = owner
        .get_html(&format!("/users/{acme}/activity?action=alias."))
        .await;
    assert!(!filtered.contains("account.update"));
}

async fn login_history_records_failures_without_telling_the_guesser_whether_the_username_exists(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    app.alias("helper", acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let guesser = app.browser();
    let known = guesser
        .login("helper", "wrong-guess-1")
        .await
        .text()
        .await
        .unwrap();
    let unknown = guesser
        .login("nobody-at-all", "wrong-guess-1")
        .await
        .text()
        .await
        .unwrap();
    let strip = |s: &str| s.replace("nobody-at-all", "X").replace("helper", "X");
    assert_eq!(strip(&known), strip(&unknown), "the same page either way");
    app.login("helper").await;
    let owner = app.login("acme").await;
    let history = owner.get_html(&format!("/users/{acme}/logins")).await;
    assert!(history.contains("helper"));
    assert!(history.contains("wrong username or password"));
    assert!(history.contains("Success"));
    assert!(!history.contains("wrong-guess-1"), "never the password");
    assert!(
        !history.contains("nobody-at-all"),
        "unknown usernames belong to no account"
    );
}

async fn the_global_audit_log_is_for_admins_with_admin_audit(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("res", admin);
    let b = app.login("boss").await;
    b.save_profile(&format!("/users/{r}"), "Reseller Inc", "res@example.com")
        .await;
    let page = b.get_html("/audit").await;
    assert!(page.contains("account.update") && page.contains("Audit log"));
    assert_status!(app.login("res").await.get("/audit").await, 403);
}

async fn impersonation_ends_when_the_right_to_it_is_withdrawn(app: TestApp) {
    let admin = app.admin("boss");
    let r1 = app.reseller("res-one", admin);
    let r2 = app.reseller("res-two", admin);
    let c = app.customer("carol", r1);
    let b = app.login("res-one").await;
    b.impersonate(&format!("/users/{c}")).await;
    assert!(b.get_html("/servers").await.contains("is acting as"));
    // The admin moves the customer to another reseller.
    diesel::update(users::table.find(c))
        .set(users::owner_id.eq(Some(r2)))
        .execute(&mut app.conn())
        .unwrap();
    // The real login no longer covers the target: the impersonation ends and the session
    // returns to the real login.
    assert_redirect_to(&b.get("/servers").await, "/servers");
    let page = b.get_html("/servers").await;
    assert!(!page.contains("is acting as"), "{page}");
    assert!(page.contains("no longer act as carol"), "{page}");
}
