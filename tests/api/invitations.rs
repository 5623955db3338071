//! Invitations: a login created with `invite=yes` has no password and is
//! "invited" until it chooses one through the link mailed to it; the link works once,
//! for 72 hours, and is stored hashed. Owners resend (a new link; the old one stops
//! working) or cancel (the login goes). The mail is read as it arrived at the app's
//! SMTP server (`invitation_link`).

use diesel::prelude::*;
use steward::db::schema::{audit_log, invitations, mail_outbox};

use crate::helpers::snapshot::{snapshot, Snapshot};
use crate::helpers::{assert_redirect_to, assert_says, tenants, Browser, Tenants, TestApp};

backend_tests!(
    inviting_an_alias_user_creates_an_invited_login_and_queues_one_mail_with_the_link,
    the_link_sets_the_password_and_then_the_login_logs_in,
    the_link_works_once,
    an_expired_link_answers_410_and_changes_nothing,
    a_too_short_password_is_refused_next_to_the_field_and_the_link_still_works,
    a_resend_makes_the_old_link_stop_working_and_the_new_one_work,
    cancelling_an_invitation_removes_the_invited_login,
    an_invited_login_cannot_log_in_and_is_told_what_a_wrong_password_is_told,
    an_address_that_already_belongs_to_a_login_gets_422_and_nothing_is_created,
    the_api_invites_an_alias_user_through_the_same_operation,
    an_account_is_invited_resent_accepted_and_another_cancelled,
    resend_and_cancel_of_a_login_that_is_no_longer_invited_answer_409,
    a_manager_who_may_not_manage_the_login_gets_403_or_404_and_nothing_changes,
    the_anonymous_invitation_page_writes_no_row_and_sets_no_session,
);

const NEW_PASSWORD: &str = "chosen-by-me-123";

/// The newest invitation link mailed to `email`: as many invitation mails as the queue
/// holds for it must have arrived at the app's SMTP sink, and the last one carries it.
async fn invitation_link(app: &TestApp, email: &str) -> String {
    let queued: i64 = mail_outbox::table
        .filter(mail_outbox::recipient.eq(email))
        .filter(mail_outbox::kind.eq("invitation"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(queued > 0, "no invitation mail to {email}");
    let re = regex::Regex::new(r"https?://\S+/invitations/[A-Za-z0-9_-]+").unwrap();
    let links: Vec<String> = app
        .mails_to(email, queued as usize)
        .await
        .iter()
        .filter_map(|m| {
            re.find(m.text.as_deref().unwrap_or(""))
                .map(|l| l.as_str().to_string())
        })
        .collect();
    assert_eq!(
        links.len(),
        queued as usize,
        "each invitation mail carries a link"
    );
    links.last().unwrap().clone()
}

/// The path of a link of this app (the browsers take paths).
fn path_of(app: &TestApp, link: &str) -> String {
    link.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{link} is not a link to {}", app.address))
        .to_string()
}

fn mails_to(app: &TestApp, email: &str) -> i64 {
    mail_outbox::table
        .filter(mail_outbox::recipient.eq(email))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// The account acme (owner logged in) with a role, inviting `username` at `email`.
async fn invite_alias(app: &TestApp, b: &Browser, acme: i32, rid: i32, username: &str) -> i32 {
    let email = format!("{username}@invited.test");
    let res = b
        .post(
            &format!("/users/{acme}/alias-users"),
            &[
                ("username", username),
                ("email", &email),
                ("password", ""),
                ("invite", "yes"),
                ("role_id", &rid.to_string()),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/alias-users"));
    app.user_named(username)
        .expect("the invited login exists")
        .id
}

/// acme's alias user "anna" (`id`) with a Viewer role, invited at `anna@invited.test` by
/// the account owner, who stays logged in as `owner`.
struct Anna {
    t: Tenants,
    owner: Browser,
    id: i32,
}

async fn anna_invited(app: &TestApp) -> Anna {
    let t = tenants(app);
    let rid = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let owner = app.login("acme").await;
    let id = invite_alias(app, &owner, t.acme, rid, "anna").await;
    Anna { t, owner, id }
}

/// The logins, invitations, mails and audit rows are as `before` (logging in adds
/// session rows, which may differ).
fn assert_no_invitation_changed(app: &TestApp, before: &Snapshot) {
    let after = snapshot(app);
    for table in ["users", "invitations", "mail_outbox", "audit_log"] {
        assert!(
            !before.changed_tables(&after).contains(&table.to_string()),
            "{table} changed: {}",
            before.describe_change(&after)
        );
    }
}

/// Invites the alias user `username` at `email` with the role `rid` through the JSON API
/// with `key`; answers the status and the body.
async fn api_invite(
    app: &TestApp,
    key: &str,
    username: &str,
    email: &str,
    rid: i32,
) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "username": username,
        "email": email,
        "invite": true,
        "role_id": rid,
    });
    app.api_post("/api/v1/alias-users", key, &body.to_string())
        .await
}

async fn accept(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    app.browser()
        .post(&path_of(app, link), &[("password", password)])
        .await
}

async fn inviting_an_alias_user_creates_an_invited_login_and_queues_one_mail_with_the_link(
    app: TestApp,
) {
    let Anna { t, owner: b, id } = anna_invited(&app).await;
    let anna = app.user(id).unwrap();
    assert!(anna.invited_at.is_some(), "the login is invited");
    assert!(steward::security::password::is_unusable(
        &anna.password_hash
    ));
    assert_eq!(mails_to(&app, "anna@invited.test"), 1, "one mail queued");
    let link = invitation_link(&app, "anna@invited.test").await;
    let mail = app.mails_to("anna@invited.test", 1).await.remove(0);
    assert!(mail.subject.contains("anna"), "{}", mail.subject);
    let (text, html) = (mail.text.unwrap(), mail.html.unwrap());
    for body in [&text, &html] {
        assert!(body.contains(&link), "both bodies carry the link");
        assert!(body.contains("acme"), "who invited, and to which account");
        assert!(body.contains("72 hours"));
    }
    // The queue keeps the link only until the mail has left (the worker marks it sent
    // just after the SMTP server took it).
    let mut tries = 0;
    let (sensitive, kept_text, kept_html) = loop {
        let (status, sensitive, text, html): (String, bool, String, String) = mail_outbox::table
            .filter(mail_outbox::recipient.eq("anna@invited.test"))
            .select((
                mail_outbox::status,
                mail_outbox::sensitive,
                mail_outbox::body_text,
                mail_outbox::body_html,
            ))
            .first(&mut app.conn())
            .unwrap();
        tries += 1;
        if status == "sent" || tries > 200 {
            assert_eq!(status, "sent");
            break (sensitive, text, html);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert!(sensitive, "the body carries a secret");
    let token = link.rsplit('/').next().unwrap();
    assert!(
        !kept_text.contains(token) && !kept_html.contains(token),
        "blanked once sent"
    );
    // Only the link's hash is stored.
    let hashes: Vec<String> = invitations::table
        .filter(invitations::user_id.eq(id))
        .select(invitations::token_hash)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], token);
    assert_eq!(hashes[0], steward::security::token::sha256_hex(token));
    // The tab shows it invited, with the time it was sent; the audit row says so.
    let tab = b.get_html(&format!("/users/{}/alias-users", t.acme)).await;
    assert!(tab.contains("status-invited"), "the tab shows the status");
    assert!(tab.contains("sent 20"), "with the time it was sent");
    let page = b
        .get_html(&format!("/users/{}/alias-users/{id}", t.acme))
        .await;
    assert!(page.contains("/invitation/resend") && page.contains("/invitation/cancel"));
    let details: String = audit_log::table
        .filter(audit_log::action.eq("alias.create"))
        .select(audit_log::details)
        .first(&mut app.conn())
        .unwrap();
    assert!(details.contains("invited"), "{details}");
}

async fn the_link_sets_the_password_and_then_the_login_logs_in(app: TestApp) {
    let Anna { t, owner: b, id } = anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    let visitor = app.browser();
    let page = visitor.get_html(&path_of(&app, &link)).await;
    assert!(page.contains("anna"), "the page names the username");
    assert!(page.contains(r#"name="password""#));
    let res = visitor
        .post(&path_of(&app, &link), &[("password", NEW_PASSWORD)])
        .await;
    assert_redirect_to(&res, "/login?notice=password-set");
    let login_page = visitor.get_html("/login?notice=password-set").await;
    assert!(login_page.contains("Your password is set"));
    let anna = app.user(id).unwrap();
    assert!(anna.invited_at.is_none(), "no longer invited");
    assert_status!(
        app.browser().login("anna", NEW_PASSWORD).await,
        303,
        "the new password logs in"
    );
    assert_eq!(app.audit_count("invitation.accept"), 1);
    let used: Option<chrono::NaiveDateTime> = invitations::table
        .filter(invitations::user_id.eq(id))
        .select(invitations::used_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(used.is_some(), "the link is marked used");
    // The tab shows it active now.
    let tab = b.get_html(&format!("/users/{}/alias-users", t.acme)).await;
    assert!(!tab.contains("status-invited"));
}

async fn the_link_works_once(app: TestApp) {
    let Anna { id, .. } = anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    assert_status!(accept(&app, &link, NEW_PASSWORD).await, 303);
    let hash = app.user(id).unwrap().password_hash;
    // A second use, to set another password: as unknown as a made-up link.
    assert_status!(accept(&app, &link, "another-password-9").await, 404);
    assert_eq!(app.browser().get_page(&path_of(&app, &link)).await.0, 404);
    assert_eq!(app.user(id).unwrap().password_hash, hash, "unchanged");
    assert_eq!(app.audit_count("invitation.accept"), 1);
    assert_eq!(
        app.browser().get_page("/invitations/made-up-token").await.0,
        404
    );
}

async fn an_expired_link_answers_410_and_changes_nothing(app: TestApp) {
    let Anna { id, .. } = anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    let past = steward::models::now() - chrono::Duration::hours(1);
    diesel::update(invitations::table.filter(invitations::user_id.eq(id)))
        .set(invitations::expires_at.eq(past))
        .execute(&mut app.conn())
        .unwrap();
    let (status, page) = app.browser().get_page(&path_of(&app, &link)).await;
    assert_eq!(status, 410);
    assert!(page.contains("new invitation"), "it says what to do");
    let before = snapshot(&app);
    assert_status!(accept(&app, &link, NEW_PASSWORD).await, 410);
    assert_eq!(snapshot(&app), before, "nothing changed");
    assert!(app.user(id).unwrap().invited_at.is_some());
    assert_status!(app.browser().login("anna", NEW_PASSWORD).await, 422);
}

async fn a_too_short_password_is_refused_next_to_the_field_and_the_link_still_works(app: TestApp) {
    anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    let before = snapshot(&app);
    let res = accept(&app, &link, "short").await;
    assert_status!(res, 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("password-error") && html.contains("at least 10 characters"));
    assert_eq!(snapshot(&app), before, "nothing changed");
    assert_status!(accept(&app, &link, NEW_PASSWORD).await, 303);
}

async fn a_resend_makes_the_old_link_stop_working_and_the_new_one_work(app: TestApp) {
    let Anna { t, owner: b, id } = anna_invited(&app).await;
    let old = invitation_link(&app, "anna@invited.test").await;
    let res = b
        .post(
            &format!("/users/{}/alias-users/{id}/invitation/resend", t.acme),
            &[],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{}/alias-users/{id}", t.acme));
    assert_eq!(mails_to(&app, "anna@invited.test"), 2, "a second mail");
    let new = invitation_link(&app, "anna@invited.test").await;
    assert_ne!(old, new);
    assert_eq!(app.audit_count("alias.invitation_resend"), 1);
    let rows: i64 = invitations::table
        .filter(invitations::user_id.eq(id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(rows, 1, "one live invitation per login");
    assert_status!(accept(&app, &old, NEW_PASSWORD).await, 404);
    assert!(app.user(id).unwrap().invited_at.is_some());
    assert_status!(accept(&app, &new, NEW_PASSWORD).await, 303);
    assert_status!(app.browser().login("anna", NEW_PASSWORD).await, 303);
}

async fn cancelling_an_invitation_removes_the_invited_login(app: TestApp) {
    let Anna { t, owner: b, id } = anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    let res = b
        .post(
            &format!("/users/{}/alias-users/{id}/invitation/cancel", t.acme),
            &[],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{}/alias-users", t.acme));
    assert!(app.user(id).is_none(), "the login is gone");
    assert_eq!(app.audit_count("alias.invitation_cancel"), 1);
    assert_status!(accept(&app, &link, NEW_PASSWORD).await, 404);
    let left: i64 = invitations::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0, "its link went with it");
}

async fn an_invited_login_cannot_log_in_and_is_told_what_a_wrong_password_is_told(app: TestApp) {
    let Anna { t, owner: b, .. } = anna_invited(&app).await;
    for attempt in ["", "!invited", NEW_PASSWORD] {
        let res = app.browser().login("anna", attempt).await;
        assert_status!(res, 422, "{attempt:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Wrong username or password."), "{attempt:?}");
    }
    let unknown = app.browser().login("nobody-here", NEW_PASSWORD).await;
    assert_status!(unknown, 422);
    // Nobody acts as it before it has chosen a password, not even its owner.
    let id = app.user_named("anna").unwrap().id;
    let before = snapshot(&app);
    let res = b
        .post(
            &format!("/users/{}/alias-users/{id}/impersonate", t.acme),
            &[],
        )
        .await;
    assert_says(res, 403, "still invited").await;
    assert_eq!(snapshot(&app), before);
}

async fn an_address_that_already_belongs_to_a_login_gets_422_and_nothing_is_created(app: TestApp) {
    let t = tenants(&app);
    let rid = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let b = app.login("acme").await;
    let before = snapshot(&app);
    // globex@example.com is the account globex's address (any login's counts).
    let res = b
        .post(
            &format!("/users/{}/alias-users", t.acme),
            &[
                ("username", "anna"),
                ("email", "GLOBEX@example.com"),
                ("password", ""),
                ("invite", "yes"),
                ("role_id", &rid.to_string()),
            ],
        )
        .await;
    assert_says(res, 422, "This address already belongs to a login.").await;
    let admin = app.login("boss").await;
    let res = admin
        .post(
            "/users",
            &[
                ("username", "newco"),
                ("email", "acme@example.com"),
                ("password", ""),
                ("invite", "yes"),
                ("kind", "user"),
                ("owner_id", &t.admin.to_string()),
            ],
        )
        .await;
    assert_says(res, 422, "This address already belongs to a login.").await;
    let key = app.api_key(t.acme, None);
    let (status, body) = api_invite(&app, &key, "anna", "boss@example.com", rid).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["fields"]["email"],
        "This address already belongs to a login."
    );
    assert_no_invitation_changed(&app, &before);
    assert!(app.user_named("anna").is_none() && app.user_named("newco").is_none());
}

async fn the_api_invites_an_alias_user_through_the_same_operation(app: TestApp) {
    let t = tenants(&app);
    let rid = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let key = app.api_key(t.acme, None);
    let (status, body) = api_invite(&app, &key, "anna", "anna@invited.test", rid).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "invited");
    let id = body["id"].as_i64().unwrap() as i32;
    let (status, shown) = app
        .api_get(&format!("/api/v1/alias-users/{id}"), &key)
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["status"], "invited");
    assert_eq!(mails_to(&app, "anna@invited.test"), 1);
    let link = invitation_link(&app, "anna@invited.test").await;
    assert_status!(accept(&app, &link, NEW_PASSWORD).await, 303);
    let (_, shown) = app
        .api_get(&format!("/api/v1/alias-users/{id}"), &key)
        .await;
    assert_eq!(shown["status"], "active");
    assert!(shown["invited_at"].is_null());
    // Inviting without an address is refused on the field.
    let (status, body) = api_invite(&app, &key, "bert", "", rid).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["email"].is_string());
}

async fn an_account_is_invited_resent_accepted_and_another_cancelled(app: TestApp) {
    let t = tenants(&app);
    let admin = app.login("boss").await;
    for name in ["newco", "gone"] {
        assert_status!(
            admin
                .post(
                    "/users",
                    &[
                        ("username", name),
                        ("email", &format!("{name}@invited.test")),
                        ("password", ""),
                        ("invite", "yes"),
                        ("kind", "user"),
                        ("owner_id", &t.admin.to_string()),
                    ],
                )
                .await,
            303,
            "{name}"
        );
    }
    let newco = app.user_named("newco").unwrap();
    assert!(newco.invited_at.is_some());
    let detail = admin.get_html(&format!("/users/{}", newco.id)).await;
    assert!(detail.contains("status-invited") && detail.contains("/invitation/resend"));
    let old = invitation_link(&app, "newco@invited.test").await;
    let res = admin
        .post(&format!("/users/{}/invitation/resend", newco.id), &[])
        .await;
    assert_redirect_to(&res, &format!("/users/{}", newco.id));
    let new = invitation_link(&app, "newco@invited.test").await;
    assert_status!(accept(&app, &old, NEW_PASSWORD).await, 404);
    assert_status!(accept(&app, &new, NEW_PASSWORD).await, 303);
    assert_status!(app.browser().login("newco", NEW_PASSWORD).await, 303);
    assert_eq!(
        app.audit_count("account.invitation_resend"),
        2,
        "the admin's log and the account's"
    );
    let gone = app.user_named("gone").unwrap();
    let res = admin
        .post(&format!("/users/{}/invitation/cancel", gone.id), &[])
        .await;
    assert_redirect_to(&res, "/users");
    assert!(app.user(gone.id).is_none());
    assert_eq!(app.audit_count("account.invitation_cancel"), 1);
}

async fn resend_and_cancel_of_a_login_that_is_no_longer_invited_answer_409(app: TestApp) {
    let t = tenants(&app);
    let rid = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let plain = app.alias("plain", t.acme).role(rid).create();
    let b = app.login("acme").await;
    let before = snapshot(&app);
    for action in ["resend", "cancel"] {
        let res = b
            .post(
                &format!("/users/{}/alias-users/{plain}/invitation/{action}", t.acme),
                &[],
            )
            .await;
        assert_status!(res, 409, "{action}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("already set its password"));
    }
    let admin = app.login("boss").await;
    assert_status!(
        admin
            .post(&format!("/users/{}/invitation/resend", t.globex), &[])
            .await,
        409
    );
    assert_no_invitation_changed(&app, &before);
    assert!(app.user(plain).is_some());
}

async fn a_manager_who_may_not_manage_the_login_gets_403_or_404_and_nothing_changes(app: TestApp) {
    let t = tenants(&app);
    let everything = app
        .role(t.acme, "Everything")
        .perms(&["servers.view", "servers.power"])
        .create();
    let managers = app
        .role(t.acme, "Managers")
        .perms(&["alias_users.manage", "servers.view"])
        .create();
    app.alias("mgr", t.acme).role(managers).create();
    let owner = app.login("acme").await;
    // Stronger than the manager: a permission it lacks, and all servers.
    assert_status!(
        owner
            .post(
                &format!("/users/{}/alias-users", t.acme),
                &[
                    ("username", "strong"),
                    ("email", "strong@invited.test"),
                    ("password", ""),
                    ("invite", "yes"),
                    ("role_id", &everything.to_string()),
                    ("all_servers", "on"),
                ],
            )
            .await,
        303
    );
    let strong = app.user_named("strong").unwrap().id;
    let link = invitation_link(&app, "strong@invited.test").await;
    let mgr = app.login("mgr").await;
    let other = app.login("globex").await;
    let before = snapshot(&app);
    for action in ["resend", "cancel"] {
        let path = format!("/users/{}/alias-users/{strong}/invitation/{action}", t.acme);
        assert_status!(mgr.post(&path, &[]).await, 403, "{action}");
        assert_status!(other.post(&path, &[]).await, 404, "{action}");
        // Another account's owner on an account's own invitation: not its to see.
        let path = format!("/users/{}/invitation/{action}", t.acme);
        assert_status!(other.post(&path, &[]).await, 404, "{action}");
        // The account owner on itself.
        assert_status!(owner.post(&path, &[]).await, 403, "{action}");
    }
    assert_no_invitation_changed(&app, &before);
    assert_status!(
        accept(&app, &link, NEW_PASSWORD).await,
        303,
        "the link still works"
    );
}

async fn the_anonymous_invitation_page_writes_no_row_and_sets_no_session(app: TestApp) {
    anna_invited(&app).await;
    let link = invitation_link(&app, "anna@invited.test").await;
    let before = snapshot(&app);
    let visitor = app.browser();
    let res = visitor.get(&path_of(&app, &link)).await;
    assert_status!(res, 200);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().all(|c| c.starts_with("steward_login_csrf=")),
        "only the stateless CSRF cookie: {cookies:?}"
    );
    assert_eq!(
        res.headers().get("referrer-policy").unwrap(),
        "no-referrer",
        "the link does not leave in a Referer"
    );
    let _ = visitor.get("/invitations/made-up-token").await;
    // No session, login attempt, audit row or anything else.
    assert_eq!(snapshot(&app), before, "no row written");
}
