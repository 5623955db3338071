//! Open sessions: a login sees its own on /account/security (browser, address,
//! this one marked), ends one or all others, and a manager who covers a login sees and
//! ends all of its sessions on its page. Ended sessions are logged out at their next
//! request; everything is audited.

use diesel::prelude::*;
use steward::db::schema::{audit_log, sessions};

use crate::helpers::{assert_redirect_to, tenants, Browser, TestApp, PASSWORD};

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

backend_tests!(
    a_login_sees_its_sessions_with_browser_and_address_and_this_one_marked,
    ending_one_session_logs_that_client_out_at_its_next_request,
    ending_all_other_sessions_needs_confirmation_and_keeps_this_one,
    another_logins_session_cannot_be_ended_and_is_404,
    a_manager_sees_and_ends_every_session_of_a_login_it_covers,
);

async fn login_as(app: &TestApp, username: &str, user_agent: &str) -> Browser {
    let b = Browser::with_user_agent(&app.address, user_agent);
    assert_status!(
        b.login(username, PASSWORD).await,
        303,
        "login of {username}"
    );
    b
}

/// The public id of the session `b` is logged in with, as its Security page marks it,
/// checked against the database.
async fn public_id_of(app: &TestApp, b: &Browser) -> String {
    let page = b.get_html("/account/security").await;
    let row = page
        .split("<tr")
        .find(|r| r.contains("This session"))
        .expect("this session is marked");
    let id = regex::Regex::new(r#"/account/sessions/([A-Za-z0-9_-]+)/end"#)
        .unwrap()
        .captures(row)
        .expect("an end button")[1]
        .to_string();
    let known: i64 = sessions::table
        .filter(sessions::public_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(known, 1);
    id
}

/// Whether `b` is still logged in (its next request is not sent to /login).
async fn logged_in(b: &Browser) -> bool {
    let res = b.get("/servers").await;
    res.status().as_u16() == 200
}

fn audited(app: &TestApp, action: &str) -> Vec<(Option<i32>, String, String)> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .select((audit_log::account_id, audit_log::target, audit_log::details))
        .load(&mut app.conn())
        .unwrap()
}

async fn a_login_sees_its_sessions_with_browser_and_address_and_this_one_marked(app: TestApp) {
    let t = tenants(&app);
    let firefox = login_as(&app, "acme", FIREFOX_LINUX).await;
    let chrome = login_as(&app, "acme", CHROME_WINDOWS).await;
    // Another login's session is not listed.
    login_as(&app, "globex", CHROME_WINDOWS).await;
    let page = firefox.get_html("/account/security").await;
    assert!(page.contains("Firefox on Linux") && page.contains("Chrome on Windows"));
    assert!(page.contains("127.0.0.1"));
    assert_eq!(page.matches("This session").count(), 1);
    // "This session" is the Firefox row.
    let row = page
        .split("<tr")
        .find(|r| r.contains("This session"))
        .unwrap();
    assert!(row.contains("Firefox on Linux"), "{row}");
    assert!(page.contains(&public_id_of(&app, &chrome).await));
    assert_eq!(
        page.matches("/end\"").count(),
        2,
        "one end button per session"
    );
    // The page carries only public ids, never a session key's hash.
    let hashes: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(t.acme))
        .select(sessions::key_hash)
        .load(&mut app.conn())
        .unwrap();
    assert!(hashes.iter().all(|h| !page.contains(h.as_str())));
}

async fn ending_one_session_logs_that_client_out_at_its_next_request(app: TestApp) {
    let t = tenants(&app);
    let mine = login_as(&app, "acme", FIREFOX_LINUX).await;
    let other = login_as(&app, "acme", CHROME_WINDOWS).await;
    assert!(logged_in(&other).await);
    let id = public_id_of(&app, &other).await;
    let res = mine.post(&format!("/account/sessions/{id}/end"), &[]).await;
    assert_redirect_to(&res, "/account/security");
    assert!(!logged_in(&other).await, "the ended session is logged out");
    assert!(logged_in(&mine).await, "this one stays");
    let entries = audited(&app, "session.end");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, Some(t.acme));
    assert!(
        entries[0].1.contains("Chrome on Windows"),
        "{:?}",
        entries[0]
    );
    // Ending it again: it is gone.
    assert_status!(
        mine.post(&format!("/account/sessions/{id}/end"), &[]).await,
        404
    );
}

async fn ending_all_other_sessions_needs_confirmation_and_keeps_this_one(app: TestApp) {
    tenants(&app);
    let mine = login_as(&app, "acme", FIREFOX_LINUX).await;
    let second = login_as(&app, "acme", CHROME_WINDOWS).await;
    let third = app.login("acme").await;
    let bystander = app.login("globex").await;
    assert_status!(
        mine.post("/account/sessions/end-others", &[]).await,
        422,
        "asks first"
    );
    assert!(logged_in(&second).await && logged_in(&third).await);
    let res = mine
        .post("/account/sessions/end-others", &[("confirm", "yes")])
        .await;
    assert_redirect_to(&res, "/account/security");
    assert!(!logged_in(&second).await && !logged_in(&third).await);
    assert!(logged_in(&mine).await && logged_in(&bystander).await);
    let entries = audited(&app, "session.end_others");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].2, "ended=2");
}

async fn another_logins_session_cannot_be_ended_and_is_404(app: TestApp) {
    tenants(&app);
    let acme = app.login("acme").await;
    let globex = app.login("globex").await;
    let theirs = public_id_of(&app, &globex).await;
    assert_status!(
        acme.post(&format!("/account/sessions/{theirs}/end"), &[])
            .await,
        404
    );
    assert!(logged_in(&globex).await);
    assert!(audited(&app, "session.end").is_empty());
}

async fn a_manager_sees_and_ends_every_session_of_a_login_it_covers(app: TestApp) {
    let t = tenants(&app);
    let acme_ff = login_as(&app, "acme", FIREFOX_LINUX).await;
    let acme_2 = app.login("acme").await;
    let globex = app.login("globex").await;
    let reseller = app.login("northwind").await;
    // The reseller sees its customer's sessions on the customer's page.
    let page = reseller.get_html(&format!("/users/{}", t.acme)).await;
    assert!(
        page.contains("Firefox on Linux"),
        "the customer's sessions are listed"
    );
    assert!(page.contains(&format!("/users/{}/sessions/end", t.acme)));
    // Not another reseller's customer (globex belongs to the admin): 404.
    assert_status!(
        reseller
            .post(
                &format!("/users/{}/sessions/end", t.globex),
                &[("confirm", "yes")],
            )
            .await,
        404
    );
    assert!(logged_in(&globex).await);
    // The customer itself may not end its reseller's sessions.
    let res = acme_ff
        .post(
            &format!("/users/{}/sessions/end", t.reseller),
            &[("confirm", "yes")],
        )
        .await;
    assert!(matches!(res.status().as_u16(), 403 | 404));
    assert!(logged_in(&reseller).await);
    // Without confirmation nothing ends.
    let url = format!("/users/{}/sessions/end", t.acme);
    assert_status!(reseller.post(&url, &[]).await, 422);
    assert!(logged_in(&acme_ff).await);
    let res = reseller.post(&url, &[("confirm", "yes")]).await;
    assert_redirect_to(&res, &format!("/users/{}", t.acme));
    assert!(!logged_in(&acme_ff).await && !logged_in(&acme_2).await);
    assert!(logged_in(&reseller).await);
    let entries = audited(&app, "session.end_all");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, Some(t.acme));
    assert_eq!(entries[0].2, "ended=2");

    // The owner ends its alias user's sessions on the alias user's page.
    let r = app.role(t.acme, "Viewer").perms(&["servers.view"]).create();
    let ops = app
        .alias("acme-ops", t.acme)
        .role(r)
        .all_servers(true)
        .create();
    let ops_b = login_as(&app, "acme-ops", CHROME_WINDOWS).await;
    let owner = app.login("acme").await;
    let alias_page = format!("/users/{}/alias-users/{ops}", t.acme);
    let page = owner.get_html(&alias_page).await;
    assert!(page.contains("Chrome on Windows"));
    let res = owner
        .post(&format!("{alias_page}/sessions/end"), &[("confirm", "yes")])
        .await;
    assert_redirect_to(&res, &alias_page);
    assert!(!logged_in(&ops_b).await);
    assert!(logged_in(&owner).await);
    // The alias user cannot end its owner's sessions.
    let ops_b = app.login("acme-ops").await;
    let res = ops_b.post(&url, &[("confirm", "yes")]).await;
    assert!(matches!(res.status().as_u16(), 403 | 404));
    assert!(logged_in(&owner).await);
}
