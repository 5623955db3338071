//! Safe by default: destructive actions ask first on the server (422, nothing
//! changed, access checked before the question), "all servers" is a setting and not a
//! wipe, a new API key is shown once after a redirect, and one expiry rule on every path.

use diesel::prelude::*;
use steward::db::schema::{api_keys, server_jobs, users};

use crate::helpers::{assert_redirect_to, secret_in, Browser, TestApp, PASSWORD};

backend_tests!(
    power_off_reset_and_rescue_answer_422_without_confirm_yes_and_change_nothing,
    a_reinstall_needs_the_servers_hostname_typed,
    deleting_an_alias_user_or_a_server_needs_confirm_yes,
    access_is_checked_before_any_confirmation,
    no_servers_needs_confirm_yes_and_clears_the_list_and_all_servers,
    turning_all_servers_off_keeps_the_assigned_list,
    reloading_the_api_key_page_never_makes_a_second_key_nor_shows_the_secret_again,
    api_key_names_are_unique_among_a_logins_live_keys,
    a_past_expiry_is_refused_the_same_way_on_every_path,
    the_json_api_powers_off_without_a_confirmation,
    the_logs_read_in_words_with_labels_and_one_row_per_impersonation_event,
);

fn job_count(app: &TestApp, sid: i32) -> i64 {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn all_servers(app: &TestApp, alias: i32) -> bool {
    users::table
        .find(alias)
        .select(users::all_servers)
        .first(&mut app.conn())
        .unwrap()
}

fn key_count(app: &TestApp, user: i32) -> i64 {
    api_keys::table
        .filter(api_keys::user_id.eq(user))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// A 422 that asks, and offers the confirming form again.
async fn asks(res: reqwest::Response, action: &str) -> String {
    assert_status!(res, 422, "{action}: asks first");
    let page = res.text().await.unwrap();
    assert!(page.contains("Nothing has been changed yet"), "{action}");
    assert!(page.contains(&format!("action=\"{action}\"")), "{action}");
    page
}

/// A customer with one running server, logged in.
async fn customer_with_server(app: &TestApp) -> (i32, i32, Browser) {
    let admin = app.admin("boss");
    let cust = app.customer("cust", admin);
    let sid = app
        .server("web01.example.net")
        .ip("10.9.0.1")
        .racked()
        .owned_by(cust)
        .create();
    (cust, sid, app.login("cust").await)
}

async fn power_off_reset_and_rescue_answer_422_without_confirm_yes_and_change_nothing(
    app: TestApp,
) {
    let (_, sid, b) = customer_with_server(&app).await;
    let url = format!("/servers/{sid}");
    for (path, fields) in [
        ("power", vec![("action", "off")]),
        ("power", vec![("action", "off"), ("confirm", "no")]),
        ("power", vec![("action", "reset")]),
        ("power", vec![("action", "reset"), ("confirm", "")]),
        ("rescue", vec![]),
        ("rescue", vec![("confirm", "on")]),
    ] {
        let action = format!("{url}/{path}");
        let page = asks(b.post(&action, &fields).await, &action).await;
        assert!(page.contains(r#"name="confirm" value="yes""#));
        let s = app.find_server(sid).unwrap();
        assert_eq!(
            (s.power_state.as_str(), s.status.as_str()),
            ("on", "active")
        );
        assert_eq!(job_count(&app, sid), 0, "{path} {fields:?}: no job");
    }
    // Powering on destroys nothing and needs no answer.
    assert_redirect_to(
        &b.post(&format!("{url}/power"), &[("action", "on")]).await,
        &url,
    );
    // With the answer, each runs.
    let res = b
        .post(
            &format!("{url}/power"),
            &[("action", "off"), ("confirm", "yes")],
        )
        .await;
    assert_redirect_to(&res, &url);
    assert_eq!(app.find_server(sid).unwrap().power_state, "off");
    let res = b
        .post(&format!("{url}/rescue"), &[("confirm", "yes")])
        .await;
    assert_redirect_to(&res, &url);
    assert_eq!(app.find_server(sid).unwrap().status, "rescue");
    // Leaving the rescue system boots the installed OS: nothing to ask.
    let res = b
        .post(&format!("{url}/rescue"), &[("action", "exit")])
        .await;
    assert_redirect_to(&res, &url);
    assert_eq!(app.find_server(sid).unwrap().status, "active");
}

async fn a_reinstall_needs_the_servers_hostname_typed(app: TestApp) {
    let (_, sid, b) = customer_with_server(&app).await;
    let url = format!("/servers/{sid}/reinstall");
    let page = asks(b.post(&url, &[("os", "ubuntu-24.04")]).await, &url).await;
    assert!(page.contains("Type <span class=\"mono\">web01.example.net</span> to confirm"));
    assert!(
        page.contains(r#"name="os" value="ubuntu-24.04""#),
        "the choice is kept"
    );
    for wrong in ["yes", "web01", "web02.example.net"] {
        let page = asks(
            b.post(&url, &[("os", "ubuntu-24.04"), ("confirm", wrong)])
                .await,
            &url,
        )
        .await;
        assert!(page.contains("That is not web01.example.net"), "{wrong}");
        assert!(page.contains(r#"aria-invalid="true""#));
    }
    assert_eq!(app.find_server(sid).unwrap().status, "active");
    assert_eq!(app.find_server(sid).unwrap().os, "debian-12");
    assert_eq!(job_count(&app, sid), 0);
    let res = b
        .post(
            &url,
            &[("os", "ubuntu-24.04"), ("confirm", "web01.example.net")],
        )
        .await;
    assert_redirect_to(&res, &format!("/servers/{sid}"));
    assert_eq!(app.find_server(sid).unwrap().status, "reinstalling");
    assert_eq!(job_count(&app, sid), 1);
}

async fn deleting_an_alias_user_or_a_server_needs_confirm_yes(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let viewer = app.role(acme, "Viewer").perms(&["servers.view"]).create();
    let helper = app
        .alias("helper", acme)
        .role(viewer)
        .all_servers(true)
        .create();
    let owner = app.login("acme").await;
    let url = format!("/users/{acme}/alias-users/{helper}/delete");
    asks(owner.post(&url, &[]).await, &url).await;
    asks(owner.post(&url, &[("confirm", "y")]).await, &url).await;
    assert!(app.user(helper).is_some(), "still there");
    assert_status!(app.login("helper").await.get("/servers").await, 200);
    assert_redirect_to(
        &owner.post(&url, &[("confirm", "yes")]).await,
        &format!("/users/{acme}/alias-users"),
    );
    assert!(app.user(helper).is_none());

    let sid = app
        .server("db01.example.net")
        .ip("10.9.0.2")
        .racked()
        .owned_by(acme)
        .create();
    let boss = app.login("boss").await;
    let url = format!("/servers/{sid}/delete");
    asks(boss.post(&url, &[]).await, &url).await;
    assert!(app.find_server(sid).is_some());
    assert_redirect_to(&boss.post(&url, &[("confirm", "yes")]).await, "/servers");
    assert!(app.find_server(sid).is_none());
}

async fn access_is_checked_before_any_confirmation(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("other", admin);
    let mine = app
        .server("mine.example.net")
        .ip("10.9.1.1")
        .racked()
        .owned_by(acme)
        .create();
    let theirs = app
        .server("theirs.example.net")
        .ip("10.9.1.2")
        .racked()
        .owned_by(other)
        .create();
    // A viewer reaches the server but holds none of the destructive permissions.
    app.alias("viewer", acme)
        .perms(&["servers.view"])
        .servers(&[mine])
        .create();
    let viewer = app.login("viewer").await;
    for confirm in ["", "yes", "mine.example.net"] {
        for (path, fields) in [
            ("power", vec![("action", "off"), ("confirm", confirm)]),
            ("power", vec![("action", "reset"), ("confirm", confirm)]),
            ("rescue", vec![("confirm", confirm)]),
            ("reinstall", vec![("os", "debian-12"), ("confirm", confirm)]),
            ("delete", vec![("confirm", confirm)]),
        ] {
            assert_status!(
                viewer
                    .post(&format!("/servers/{mine}/{path}"), &fields)
                    .await,
                403,
                "{path} {confirm:?}"
            );
            assert_status!(
                viewer
                    .post(&format!("/servers/{theirs}/{path}"), &fields)
                    .await,
                404,
                "{path} {confirm:?} elsewhere"
            );
        }
    }
    let s = app.find_server(mine).unwrap();
    assert_eq!(
        (s.power_state.as_str(), s.status.as_str()),
        ("on", "active")
    );
    assert_eq!(job_count(&app, mine), 0);
    // Another tenant's alias user is 404, confirmed or not.
    let viewer_role = app.role(other, "Viewer").perms(&["servers.view"]).create();
    let stranger = app.alias("stranger", other).role(viewer_role).create();
    let owner = app.login("acme").await;
    for confirm in ["", "yes"] {
        assert_status!(
            owner
                .post(
                    &format!("/users/{other}/alias-users/{stranger}/delete"),
                    &[("confirm", confirm)],
                )
                .await,
            404
        );
        assert_status!(
            owner
                .post(
                    &format!("/users/{other}/alias-users/{stranger}/servers"),
                    &[("action", "none"), ("confirm", confirm)],
                )
                .await,
            404
        );
    }
    assert!(app.user(stranger).is_some());
}

async fn no_servers_needs_confirm_yes_and_clears_the_list_and_all_servers(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let web1 = app
        .server("web1.example.net")
        .ip("10.9.2.1")
        .racked()
        .owned_by(acme)
        .create();
    let helper = app
        .alias("helper", acme)
        .role(ops)
        .all_servers(true)
        .create();
    app.assign(helper, web1);
    let owner = app.login("acme").await;
    let url = format!("/users/{acme}/alias-users/{helper}/servers");
    asks(owner.post(&url, &[("action", "none")]).await, &url).await;
    asks(
        owner
            .post(&url, &[("action", "none"), ("confirm", "true")])
            .await,
        &url,
    )
    .await;
    assert!(all_servers(&app, helper));
    assert_eq!(app.assigned(helper), vec![web1]);
    assert_status!(
        owner
            .post(&url, &[("action", "none"), ("confirm", "yes")])
            .await,
        303
    );
    assert!(!all_servers(&app, helper));
    assert!(app.assigned(helper).is_empty());
}

async fn turning_all_servers_off_keeps_the_assigned_list(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let web1 = app
        .server("web1.example.net")
        .ip("10.9.3.1")
        .racked()
        .owned_by(acme)
        .create();
    let web2 = app
        .server("web2.example.net")
        .ip("10.9.3.2")
        .racked()
        .owned_by(acme)
        .create();
    app.server("web3.example.net")
        .ip("10.9.3.3")
        .racked()
        .owned_by(acme)
        .create();
    let helper = app.alias("helper", acme).role(ops).create();
    let owner = app.login("acme").await;
    let url = format!("/users/{acme}/alias-users/{helper}/servers");
    let (w1, w2) = (web1.to_string(), web2.to_string());
    assert_status!(
        owner
            .post(
                &url,
                &[("action", "assign"), ("server_id", &w1), ("server_id", &w2)],
            )
            .await,
        303
    );
    // On: every server, and the list stays underneath.
    assert_status!(owner.post(&url, &[("action", "all")]).await, 303);
    assert!(all_servers(&app, helper));
    assert_eq!(app.assigned(helper), vec![web1, web2]);
    let h = app.login("helper").await;
    assert!(h.get_html("/servers").await.contains("web3.example.net"));
    // Off: back to exactly the list, with no confirmation needed.
    assert_status!(owner.post(&url, &[("action", "assigned")]).await, 303);
    assert!(!all_servers(&app, helper));
    assert_eq!(app.assigned(helper), vec![web1, web2]);
    let list = h.get_html("/servers").await;
    assert!(list.contains("web1.example.net") && list.contains("web2.example.net"));
    assert!(!list.contains("web3.example.net"));
    // The log names what happened in words and hostnames.
    let activity = owner.get_html(&format!("/users/{acme}/activity")).await;
    assert!(activity.contains("Assigned 2 servers: web1.example.net, web2.example.net"));
    assert!(activity.contains("Gave all servers"));
    assert!(activity.contains("Turned “all servers” off"));
    // An unknown action is refused.
    assert_status!(owner.post(&url, &[("action", "everything")]).await, 400);
}

async fn reloading_the_api_key_page_never_makes_a_second_key_nor_shows_the_secret_again(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    let url = format!("/users/{acme}/api-keys");
    let res = b.post(&url, &[("name", "deploy")]).await;
    assert_redirect_to(&res, &url);
    let first = b.get_html(&url).await;
    let secret = secret_in(&first).expect("shown once");
    assert!(first.contains("shown only this once"));
    // A reload is a GET of the same page: no new key, and no secret any more.
    for _ in 0..2 {
        let again = b.get_html(&url).await;
        assert!(secret_in(&again).is_none());
        assert!(!again.contains(&secret[4..]));
    }
    assert_eq!(key_count(&app, acme), 1);
    // Another browser of the same login never sees it either.
    let other = app.login("acme").await;
    let res = b.post(&url, &[("name", "second")]).await;
    assert_redirect_to(&res, &url);
    assert!(secret_in(&other.get_html(&url).await).is_none());
    assert!(secret_in(&b.get_html(&url).await).is_some());
    assert_eq!(key_count(&app, acme), 2);
}

async fn api_key_names_are_unique_among_a_logins_live_keys(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let globex = app.customer("globex", admin);
    let b = app.login("acme").await;
    let url = format!("/users/{acme}/api-keys");
    assert_redirect_to(&b.post(&url, &[("name", "deploy")]).await, &url);
    let res = b.post(&url, &[("name", " deploy ")]).await;
    assert_status!(res, 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("You already have a key with this name"));
    assert!(page.contains(r#"aria-invalid="true""#));
    assert_eq!(key_count(&app, acme), 1);
    // Another login may use the name.
    let g = app.login("globex").await;
    let gurl = format!("/users/{globex}/api-keys");
    assert_redirect_to(&g.post(&gurl, &[("name", "deploy")]).await, &gurl);
    // After revoking, the name is free again.
    let kid: i32 = api_keys::table
        .filter(api_keys::user_id.eq(acme))
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    assert_redirect_to(&b.post(&format!("{url}/{kid}/revoke"), &[]).await, &url);
    assert_redirect_to(&b.post(&url, &[("name", "deploy")]).await, &url);
    assert_eq!(key_count(&app, acme), 2);
    // The database holds the rule too, whatever writes to it.
    let dup = diesel::insert_into(api_keys::table)
        .values((
            api_keys::user_id.eq(acme),
            api_keys::name.eq("deploy"),
            api_keys::token_prefix.eq("stw_xxxxxxxx"),
            api_keys::token_hash.eq("not-a-real-hash"),
            api_keys::created_at.eq(steward::models::now()),
        ))
        .execute(&mut app.conn());
    assert!(dup.is_err(), "a second live key of one name is refused");
}

async fn a_past_expiry_is_refused_the_same_way_on_every_path(app: TestApp) {
    const RULE: &str = "Pick a date after today, or leave it empty for no expiry.";
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let helper = app.alias("helper", acme).role(ops).create();
    let owner = app.login("acme").await;
    let today = steward::models::now().date().to_string();
    let ops_id = ops.to_string();
    for date in ["2020-01-01", today.as_str()] {
        // The create dialog.
        let res = owner
            .post(
                &format!("/users/{acme}/alias-users"),
                &[
                    ("username", "late"),
                    ("email", "late@example.com"),
                    ("password", PASSWORD),
                    ("role_id", &ops_id),
                    ("expires_at", date),
                ],
            )
            .await;
        assert_status!(res, 422);
        assert!(res.text().await.unwrap().contains(RULE), "create {date}");
        // The alias user page: refused, not "saved" into an expired login.
        let res = owner
            .post(
                &format!("/users/{acme}/alias-users/{helper}"),
                &[("email", "helper@example.com"), ("expires_at", date)],
            )
            .await;
        assert_status!(res, 422);
        assert!(res.text().await.unwrap().contains(RULE), "page {date}");
        assert_eq!(app.user(helper).unwrap().expires_on, None);
        // An API key.
        let res = owner
            .post(
                &format!("/users/{acme}/api-keys"),
                &[("name", "k"), ("expires_at", date)],
            )
            .await;
        assert_status!(res, 422);
        assert!(res.text().await.unwrap().contains(RULE), "key {date}");
    }
    assert_eq!(key_count(&app, acme), 0);
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/alias-users/{helper}"),
                &[
                    ("email", "helper@example.com"),
                    ("expires_at", "2099-12-31"),
                ],
            )
            .await,
        303
    );
    assert_eq!(
        app.user(helper).unwrap().expires_on.unwrap().to_string(),
        "2099-12-31"
    );
}

async fn the_json_api_powers_off_without_a_confirmation(app: TestApp) {
    let (cust, sid, b) = customer_with_server(&app).await;
    let key =
        crate::helpers::create_api_key(&b, &format!("/users/{cust}/api-keys"), &[("name", "s")])
            .await;
    assert_status!(
        reqwest::Client::new()
            .post(format!("{}/api/v1/servers/{sid}/power", app.address))
            .bearer_auth(&key)
            .json(&serde_json::json!({"action": "off"}))
            .send()
            .await
            .unwrap(),
        200
    );
    assert_eq!(app.find_server(sid).unwrap().power_state, "off");
}

async fn the_logs_read_in_words_with_labels_and_one_row_per_impersonation_event(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("boss").await;
    assert_status!(
        b.post(&format!("/users/{acme}/impersonate"), &[]).await,
        303
    );
    // As acme: a role whose permissions the log names by their labels.
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles"),
            &[
                ("name", "Watchers"),
                ("permissions", "servers.view"),
                ("permissions", "servers.power"),
            ],
        )
        .await,
        303
    );
    assert_status!(b.post("/impersonation/stop", &[]).await, 303);
    // Each event was written for both accounts' Activity tabs; the installation's log
    // shows it once, with both identities.
    let log = b.get_html("/audit").await;
    assert_eq!(log.matches("Started impersonating<br>").count(), 1, "{log}");
    assert_eq!(log.matches("Stopped impersonating<br>").count(), 1);
    assert!(log.contains("as impersonated by boss"));
    assert!(log.contains("permissions=View servers, Power control"));
    assert!(!log.contains("permissions=servers.view"));
    // Each account's own tab still has its row.
    let tab = b.get_html(&format!("/users/{acme}/activity")).await;
    assert_eq!(tab.matches("Started impersonating<br>").count(), 1);
}
