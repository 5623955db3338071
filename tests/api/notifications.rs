//! Notices to the account owner by mail, on both backends: a risky or admin
//! permission granted to one of its logins (role edit, role change, creation), two-factor
//! removed or reset (by a manager, by the login itself, at the console), and a sign-in
//! from an address the login never used; each names who did it, an impersonator
//! included; none when the account opted out, for a harmless grant, on the first sign-in
//! or from a known address. Mails are read as they arrived at the app's SMTP server
//! (`mails`).

use diesel::prelude::*;
use steward::db::schema::{audit_log, mail_outbox};

use crate::backend_tests_with;
use crate::helpers::net::steward_command;
use crate::helpers::{Browser, TestApp, PASSWORD};
use crate::ops::browser_via_proxy;
use crate::two_factor::{enrol, reset_factors};

backend_tests!(
    a_role_edit_that_adds_a_risky_permission_to_a_held_role_tells_the_owner,
    a_harmless_grant_or_a_role_nobody_holds_tells_nobody,
    a_role_change_to_a_risky_role_tells_the_owner_of_the_alias_user,
    an_alias_user_created_with_a_risky_role_is_notified_through_either_door,
    the_impersonator_is_named_in_the_notice,
    a_managers_two_factor_reset_tells_the_owner,
    a_login_removing_its_own_authenticator_app_tells_the_owner,
    the_console_reset_tells_the_owner,
    an_account_that_opted_out_gets_no_notice,
    only_who_may_set_the_policy_may_turn_notifications_off,
);

backend_tests_with!(crate::ops::behind_loopback_proxy;
    a_sign_in_from_a_new_address_tells_the_owner_but_not_the_first_nor_a_known_one);

/// A queued mail as the tests read it.
#[derive(Debug, Clone)]
struct Mail {
    kind: String,
    recipient: String,
    subject: String,
    text: String,
    html: String,
}

/// The mails queued so far, oldest first, as they arrived at the app's SMTP server: each
/// queued row (its kind, recipient and subject) waits for its message at the sink, whose
/// bodies are what the recipient reads. The one place that knows where mails are read.
async fn mails(app: &TestApp) -> Vec<Mail> {
    let queued: Vec<(String, String, String)> = mail_outbox::table
        .order(mail_outbox::id)
        .select((
            mail_outbox::kind,
            mail_outbox::recipient,
            mail_outbox::subject,
        ))
        .load(&mut app.conn())
        .unwrap();
    let arrived = app
        .mail
        .wait_for(queued.len(), std::time::Duration::from_secs(10))
        .await;
    let mut unused: Vec<_> = arrived.into_iter().map(Some).collect();
    queued
        .into_iter()
        .map(|(kind, recipient, subject)| {
            let m = unused
                .iter_mut()
                .find(|m| {
                    m.as_ref()
                        .is_some_and(|m| m.subject == subject && m.to.contains(&recipient))
                })
                .and_then(Option::take)
                .unwrap_or_else(|| panic!("the {kind} mail to {recipient} arrived"));
            Mail {
                kind,
                recipient,
                subject,
                text: m.text.unwrap_or_default(),
                html: m.html.unwrap_or_default(),
            }
        })
        .collect()
}

/// The only mail queued, which must be of `kind`, to `recipient`.
async fn only_mail(app: &TestApp, kind: &str, recipient: &str) -> Mail {
    let all = mails(app).await;
    assert_eq!(all.len(), 1, "one mail queued: {all:#?}");
    let m = all[0].clone();
    assert_eq!(m.kind, kind, "{m:#?}");
    assert_eq!(m.recipient, recipient, "{m:#?}");
    m
}

/// The owner (or its manager) saves the role `role` of `account` with the form `fields`.
async fn save_role(b: &Browser, account: i32, role: i32, fields: &[(&str, &str)]) {
    assert_status!(
        b.post(&format!("/users/{account}/roles/{role}"), fields)
            .await,
        303
    );
}

/// Saves the role Ops (holding servers.view) with the risky `permission` added, confirmed.
async fn add_to_ops(b: &Browser, account: i32, ops: i32, permission: &str) {
    save_role(
        b,
        account,
        ops,
        &[
            ("name", "Ops"),
            ("permissions", "servers.view"),
            ("permissions", permission),
            ("confirm_dangerous", "yes"),
        ],
    )
    .await;
}

/// The owner gives its alias user `alias` the role `role`.
async fn give_role(b: &Browser, account: i32, alias: i32, role: i32) {
    assert_status!(
        b.post(
            &format!("/users/{account}/alias-users/{alias}/role"),
            &[("role_id", &role.to_string())],
        )
        .await,
        303
    );
}

/// The owner creates the alias user `username` with the role `role` on its tab.
async fn create_alias(b: &Browser, account: i32, username: &str, role: i32) {
    assert_status!(
        b.post(
            &format!("/users/{account}/alias-users"),
            &[
                ("username", username),
                ("email", &format!("{username}@example.com")),
                ("password", "a-long-password"),
                ("role_id", &role.to_string()),
            ],
        )
        .await,
        303
    );
}

/// Turns the account's notices on or off (`notify_owner`: "yes", "no", or anything else).
async fn set_notices(b: &Browser, account: i32, notify_owner: &str) -> reqwest::Response {
    b.post(
        &format!("/users/{account}/notifications"),
        &[("notify_owner", notify_owner)],
    )
    .await
}

fn says(m: &Mail, what: &str) {
    assert!(
        m.text.contains(what) && m.html.contains(what),
        "both bodies say {what:?}: {m:#?}"
    );
}

async fn a_role_edit_that_adds_a_risky_permission_to_a_held_role_tells_the_owner(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    app.alias("dev", acme).role(ops).create();
    app.alias("tester", acme).role(ops).create();
    let owner = app.login("acme").await;
    add_to_ops(&owner, acme, ops, "servers.console").await;
    let m = only_mail(&app, "risky_grant", "acme@example.com").await;
    says(&m, "customer acme");
    says(&m, "servers.console");
    says(&m, "dev, tester");
    says(&m, "role Ops");
    says(&m, "127.0.0.1");
    assert!(m.subject.contains("acme"), "{m:#?}");
}

async fn a_harmless_grant_or_a_role_nobody_holds_tells_nobody(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let unused = app.role(acme, "Unused").perms(&["servers.view"]).create();
    app.alias("dev", acme).role(ops).create();
    let owner = app.login("acme").await;
    // A permission without risk, to a held role.
    save_role(
        &owner,
        acme,
        ops,
        &[
            ("name", "Ops"),
            ("permissions", "servers.view"),
            ("permissions", "servers.power"),
        ],
    )
    .await;
    // A risky permission, to a role nobody holds.
    save_role(
        &owner,
        acme,
        unused,
        &[
            ("name", "Unused"),
            ("permissions", "servers.reinstall"),
            ("confirm_dangerous", "yes"),
        ],
    )
    .await;
    // A risky role held before: saving it again grants nothing new.
    let risky = app.role(acme, "Risky").perms(&["servers.console"]).create();
    app.alias("ops", acme).role(risky).create();
    save_role(
        &owner,
        acme,
        risky,
        &[
            ("name", "Risky renamed"),
            ("permissions", "servers.console"),
            ("confirm_dangerous", "yes"),
        ],
    )
    .await;
    let n: i64 = steward::models::role::permissions_of(&mut app.conn(), unused)
        .unwrap()
        .len() as i64;
    assert_eq!(n, 1, "the saves happened");
    assert!(mails(&app).await.is_empty(), "{:#?}", mails(&app).await);
}

async fn a_role_change_to_a_risky_role_tells_the_owner_of_the_alias_user(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let keys = app
        .role(acme, "Keys")
        .perms(&["servers.view", "api_keys.manage"])
        .create();
    let dev = app.alias("dev", acme).role(viewers).create();
    let owner = app.login("acme").await;
    give_role(&owner, acme, dev, keys).await;
    assert_eq!(app.user(dev).unwrap().role_id, Some(keys));
    let m = only_mail(&app, "risky_grant", "acme@example.com").await;
    says(&m, "customer acme");
    says(&m, "from Viewers to Keys");
    says(&m, "api_keys.manage");
    says(&m, "Login: ");
    says(&m, "dev");
    // Back to the harmless role: nothing gained, nothing told.
    give_role(&owner, acme, dev, viewers).await;
    assert_eq!(mails(&app).await.len(), 1);
}

async fn an_alias_user_created_with_a_risky_role_is_notified_through_either_door(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let risky = app
        .role(acme, "Rescuers")
        .perms(&["servers.view", "servers.rescue"])
        .create();
    let harmless = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let owner = app.login("acme").await;
    create_alias(&owner, acme, "viewer", harmless).await;
    assert!(mails(&app).await.is_empty(), "a harmless role tells nobody");
    create_alias(&owner, acme, "rescuer", risky).await;
    let m = only_mail(&app, "risky_grant", "acme@example.com").await;
    says(&m, "rescuer");
    says(&m, "servers.rescue");
    says(&m, "created with the role Rescuers");
    says(&m, "customer acme");

    // The JSON API door calls the same operation.
    let (_, key) = crate::matrix::world::api_key(&app, acme);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/alias-users", app.address))
        .bearer_auth(&key)
        .json(&serde_json::json!({
            "username": "apirescuer",
            "email": "apirescuer@example.com",
            "password": "a-long-password",
            "role_id": risky,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.text().await);
    let all = mails(&app).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    says(&all[1], "apirescuer");
    says(&all[1], "customer acme (through an API key)");
}

async fn the_impersonator_is_named_in_the_notice(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    app.alias("dev", acme).role(ops).create();
    let root = app.login("root").await;
    root.impersonate(&format!("/users/{acme}")).await;
    add_to_ops(&root, acme, ops, "alias_users.impersonate").await;
    let m = only_mail(&app, "risky_grant", "acme@example.com").await;
    says(&m, "admin root, acting as acme");
    says(&m, "alias_users.impersonate");
}

async fn a_managers_two_factor_reset_tells_the_owner(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let dev = app.alias("dev", acme).create();
    enrol(&app.login("dev").await).await;
    enrol(&app.login("acme").await).await;
    assert!(mails(&app).await.is_empty());
    // An admin resets the customer's own factors: the customer is told, as the owner.
    let root = app.login("root").await;
    assert_status!(reset_factors(&root, &format!("/users/{acme}")).await, 303);
    let m = only_mail(&app, "two_factor_removed", "acme@example.com").await;
    says(&m, "admin root");
    says(&m, "every second factor was reset");
    assert!(m.subject.contains("acme"), "{m:#?}");
    // The owner resets its alias user's: the owner is told too (the record every reset
    // leaves, whoever did it).
    let owner = app.login("acme").await;
    assert_status!(
        reset_factors(&owner, &format!("/users/{acme}/alias-users/{dev}")).await,
        303
    );
    let all = mails(&app).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[1].recipient, "acme@example.com");
    says(&all[1], "customer acme");
    says(&all[1], "dev");
}

async fn a_login_removing_its_own_authenticator_app_tells_the_owner(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    app.alias("dev", acme).create();
    let dev = app.login("dev").await;
    enrol(&dev).await;
    assert_status!(
        dev.post("/account/security/totp/delete", &[("confirm", "yes")])
            .await,
        303
    );
    let m = only_mail(&app, "two_factor_removed", "acme@example.com").await;
    says(&m, "alias user dev");
    says(&m, "removed its authenticator app");
    says(&m, "no second factor left");
    assert!(m.subject.contains("dev"), "{m:#?}");
}

async fn the_console_reset_tells_the_owner(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    app.alias("dev", acme).create();
    enrol(&app.login("dev").await).await;
    let out = steward_command(&app.database_url, &["reset-2fa", "--username", "dev"]);
    assert!(out.status.success(), "{out:?}");
    let m = only_mail(&app, "two_factor_removed", "acme@example.com").await;
    says(&m, "steward reset-2fa");
    says(&m, "dev");
}

async fn a_sign_in_from_a_new_address_tells_the_owner_but_not_the_first_nor_a_known_one(
    app: TestApp,
) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    app.alias("dev", acme).create();
    let sign_in = |ip: &'static str, who: &'static str| {
        let b = browser_via_proxy(&app.address, ip);
        async move {
            assert_status!(
                b.login(who, PASSWORD).await,
                303,
                "{who} signs in from {ip}"
            );
        }
    };
    // The first sign-in ever, and the next ones from the same address: nothing.
    sign_in("198.51.100.7", "dev").await;
    sign_in("198.51.100.7", "dev").await;
    assert!(mails(&app).await.is_empty(), "{:#?}", mails(&app).await);
    // A wrong password from a new address tells nobody.
    let b = browser_via_proxy(&app.address, "203.0.113.9");
    assert_ne!(
        b.login("dev", "wrong-password").await.status().as_u16(),
        303
    );
    assert!(mails(&app).await.is_empty());
    // The right one does, once.
    sign_in("203.0.113.9", "dev").await;
    let m = only_mail(&app, "new_address", "acme@example.com").await;
    says(&m, "203.0.113.9");
    says(&m, "dev");
    assert!(m.subject.contains("203.0.113.9"), "{m:#?}");
    sign_in("203.0.113.9", "dev").await;
    sign_in("198.51.100.7", "dev").await;
    assert_eq!(mails(&app).await.len(), 1, "known addresses tell nobody");
    // The account's own login tells the account.
    sign_in("198.51.100.7", "acme").await;
    sign_in("192.0.2.44", "acme").await;
    let all = mails(&app).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[1].recipient, "acme@example.com");
    says(&all[1], "192.0.2.44");
}

async fn an_account_that_opted_out_gets_no_notice(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let risky = app
        .role(acme, "Console")
        .perms(&["servers.console"])
        .create();
    let dev = app.alias("dev", acme).role(viewers).create();
    let owner = app.login("acme").await;
    let tab = owner.get_html(&format!("/users/{acme}/alias-users")).await;
    assert!(tab.contains(&format!("action=\"/users/{acme}/notifications\"")));
    assert!(tab.contains("Turn them off"));
    assert_status!(set_notices(&owner, acme, "maybe").await, 422);
    assert!(notifies(&app, acme));
    assert_status!(set_notices(&owner, acme, "no").await, 303);
    assert!(!notifies(&app, acme));
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("notifications.update"))
        .filter(audit_log::details.eq("notify_owner=false"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
    assert!(owner
        .get_html(&format!("/users/{acme}/alias-users"))
        .await
        .contains("Turn them on"));
    give_role(&owner, acme, dev, risky).await;
    assert_eq!(
        app.user(dev).unwrap().role_id,
        Some(risky),
        "the change happened"
    );
    enrol(&app.login("dev").await).await;
    let root = app.login("root").await;
    assert_status!(
        reset_factors(&root, &format!("/users/{acme}/alias-users/{dev}")).await,
        303
    );
    assert!(mails(&app).await.is_empty(), "{:#?}", mails(&app).await);
    // On again: the next grant is told.
    assert_status!(set_notices(&owner, acme, "yes").await, 303);
    assert!(notifies(&app, acme));
    give_role(&owner, acme, dev, viewers).await;
    give_role(&owner, acme, dev, risky).await;
    assert_eq!(mails(&app).await.len(), 1);
}

fn notifies(app: &TestApp, account: i32) -> bool {
    steward::models::user::notifies_owner(&mut app.conn(), account).unwrap()
}

async fn only_who_may_set_the_policy_may_turn_notifications_off(app: TestApp) {
    let admin = app.admin("root");
    let acme = app.customer("acme", admin);
    app.alias("mgr", acme)
        .perms(&["alias_users.manage"])
        .create();
    let other = app.customer("other", admin);
    let path = format!("/users/{acme}/notifications");
    let mgr = app.login("mgr").await;
    assert_status!(
        mgr.post(&path, &[("notify_owner", "no")]).await,
        403,
        "an alias user never sets it"
    );
    assert!(!mgr
        .get_html(&format!("/users/{acme}/alias-users"))
        .await
        .contains("/notifications\""));
    let stranger = app.login("other").await;
    assert_status!(
        stranger.post(&path, &[("notify_owner", "no")]).await,
        404,
        "another tenant does not see it"
    );
    assert!(notifies(&app, acme));
    let _ = other;
    // Its admin may (it may edit the account).
    let root = app.login("root").await;
    assert_status!(root.post(&path, &[("notify_owner", "no")]).await, 303);
    assert!(!notifies(&app, acme));
}
