//! The actions on a server page (power, rename, rDNS, reinstall, rescue, console): done
//! through the driver with a job and an audit entry, refused with 403 and no change
//! without their permission, and 422 with the input kept on invalid input.

use chrono::Duration;
use diesel::prelude::*;
use steward::db::schema::{server_ips, server_jobs};
use steward::models::server_job::ServerJob;

use crate::helpers::{assert_redirect_to, assert_says, Browser, TestApp};
use crate::servers::every_server_form;

backend_tests!(
    a_customer_controls_its_server_and_each_action_is_recorded,
    every_action_without_its_permission_is_403_and_changes_nothing,
    an_alias_user_reaches_only_its_assigned_servers_of_its_parent,
    invalid_action_input_is_422_with_the_input_kept,
    a_reinstalled_server_shows_reinstalling_until_the_job_ends,
);

fn jobs(app: &TestApp, sid: i32) -> Vec<ServerJob> {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .order(server_jobs::id.asc())
        .select(ServerJob::as_select())
        .load(&mut *app.conn())
        .unwrap()
}

fn rdns(app: &TestApp, ip: &str) -> String {
    server_ips::table
        .filter(server_ips::ip.eq(ip))
        .select(server_ips::rdns)
        .first(&mut *app.conn())
        .unwrap()
}

/// What a server page shows its owner for its actions (each form's target, the console's
/// link) and its hardware and traffic; a login without the permissions sees none of it.
const ACTION_CONTROLS: [&str; 8] = [
    "/power\"",
    "/rename\"",
    "/rdns\"",
    "/reinstall\"",
    "/rescue\"",
    "/console\"",
    "Hardware",
    "Traffic, last 30 days",
];

/// An admin "boss" and its customer "cust", which owns the racked server
/// "web.example.net" at `ip`; answers (cust, the server, the server's page).
fn cust_with_server(app: &TestApp, ip: &str) -> (i32, i32, String) {
    let cust = app.customer("cust", app.admin("boss"));
    let s = app
        .server("web.example.net")
        .ip(ip)
        .racked()
        .owned_by(cust)
        .create();
    (cust, s, format!("/servers/{s}"))
}

/// Submits the form of `action` on the server page `url`, which answers with the page.
async fn act(b: &Browser, url: &str, action: &str, fields: &[(&str, &str)]) {
    assert_redirect_to(&b.post(&format!("{url}/{action}"), fields).await, url);
}

async fn a_customer_controls_its_server_and_each_action_is_recorded(app: TestApp) {
    let (cust, s, url) = cust_with_server(&app, "10.1.0.1");
    let b = app.login("cust").await;
    let page = b.get_html(&url).await;
    for control in ACTION_CONTROLS {
        assert!(page.contains(control), "{control} missing");
    }
    assert!(!page.contains("/owner\"") && !page.contains("/edit\""));

    act(&b, &url, "power", &[("action", "off"), ("confirm", "yes")]).await;
    assert_eq!(app.find_server(s).unwrap().power_state, "off");
    act(&b, &url, "power", &[("action", "on")]).await;
    assert_eq!(app.find_server(s).unwrap().power_state, "on");
    act(&b, &url, "rename", &[("name", "Front end")]).await;
    assert_eq!(app.find_server(s).unwrap().name, "Front end");
    let rdns_form = [("ip", "10.1.0.1"), ("hostname", "WWW.example.com")];
    act(&b, &url, "rdns", &rdns_form).await;
    assert_eq!(rdns(&app, "10.1.0.1"), "www.example.com");
    act(&b, &url, "rescue", &[("confirm", "yes")]).await;
    assert_eq!(app.find_server(s).unwrap().status, "rescue");
    act(&b, &url, "rescue", &[("action", "exit")]).await;
    assert_eq!(app.find_server(s).unwrap().status, "active");
    assert_status!(b.get(&format!("{url}/console")).await, 200);

    let kinds: Vec<(String, String, Option<i32>)> = jobs(&app, s)
        .into_iter()
        .map(|j| (j.kind, j.detail, j.requested_by))
        .collect();
    assert_eq!(kinds.len(), 4);
    assert_eq!(kinds[0], ("power".into(), "off".into(), Some(cust)));
    for action in [
        "server.power",
        "server.rename",
        "server.rdns",
        "server.rescue",
        "server.rescue_exit",
    ] {
        assert!(app.audit_count(action) >= 1, "{action} not audited");
    }
    assert!(b.get_html(&url).await.contains("Front end"));
}

async fn every_action_without_its_permission_is_403_and_changes_nothing(app: TestApp) {
    let (cust, s, url) = cust_with_server(&app, "10.2.0.1");
    app.alias("viewer", cust)
        .perms(&["servers.view"])
        .servers(&[s])
        .create();
    let b = app.login("viewer").await;
    let page = b.get_html(&url).await;
    assert!(page.contains("web.example.net"));
    for control in ACTION_CONTROLS.into_iter().chain(["/owner\"", "/edit\""]) {
        assert!(
            !page.contains(control),
            "{control} shown without its permission"
        );
    }
    let before = app.find_server(s).unwrap();
    for (action, fields) in every_server_form("10.2.0.1") {
        assert_status!(
            b.post_from("/servers", &format!("{url}/{action}"), &fields)
                .await,
            403,
            "{action}"
        );
    }
    assert_status!(b.get(&format!("{url}/console")).await, 403);
    assert_status!(b.get(&format!("{url}/edit")).await, 403);
    let after = app.find_server(s).unwrap();
    assert_eq!(
        (
            &after.name,
            &after.power_state,
            &after.status,
            &after.os,
            after.owner_id,
            &after.hostname
        ),
        (
            &before.name,
            &before.power_state,
            &before.status,
            &before.os,
            before.owner_id,
            &before.hostname
        )
    );
    assert_eq!(rdns(&app, "10.2.0.1"), "");
    assert!(jobs(&app, s).is_empty());
    assert_eq!(
        app.audit_count("server.power") + app.audit_count("server.rename"),
        0
    );

    // One permission opens exactly its own action.
    app.alias("powerer", cust)
        .perms(&["servers.view", "servers.power"])
        .servers(&[s])
        .create();
    let p = app.login("powerer").await;
    let page = p.get_html(&url).await;
    assert!(page.contains("/power\"") && !page.contains("/rename\""));
    assert_redirect_to(
        &p.post_from(
            "/servers",
            &format!("{url}/power"),
            &[("action", "off"), ("confirm", "yes")],
        )
        .await,
        &url,
    );
    assert_status!(
        p.post_from("/servers", &format!("{url}/rename"), &[("name", "x")])
            .await,
        403
    );
    let after = app.find_server(s).unwrap();
    assert_eq!(
        (after.power_state.as_str(), after.name.as_str()),
        ("off", before.name.as_str())
    );
    // Without servers.view the page itself is refused.
    app.alias("blind", cust)
        .perms(&["servers.power"])
        .servers(&[s])
        .create();
    let blind = app.login("blind").await;
    assert_status!(blind.get(&url).await, 403);
    assert_status!(blind.get("/servers").await, 403);
}

async fn an_alias_user_reaches_only_its_assigned_servers_of_its_parent(app: TestApp) {
    let admin = app.admin("boss");
    let cust = app.customer("cust", admin);
    let other = app.customer("other", admin);
    let a = app
        .server("a.example.net")
        .ip("10.3.0.1")
        .racked()
        .owned_by(cust)
        .create();
    let b_srv = app
        .server("b.example.net")
        .ip("10.3.0.2")
        .racked()
        .owned_by(cust)
        .create();
    let foreign = app
        .server("f.example.net")
        .ip("10.3.0.3")
        .racked()
        .owned_by(other)
        .create();
    // Even an assignment row for a foreign server gives nothing outside the parent's.
    app.alias("helper", cust)
        .perms(&["servers.view", "servers.power"])
        .servers(&[a, foreign])
        .create();
    let h = app.login("helper").await;
    let list = h.get_html("/servers").await;
    assert!(list.contains(">a.example.net</a>"));
    assert!(!list.contains("b.example.net") && !list.contains("f.example.net"));
    assert_status!(h.get(&format!("/servers/{a}")).await, 200);
    for sid in [b_srv, foreign] {
        assert_status!(h.get(&format!("/servers/{sid}")).await, 404);
        assert_status!(
            h.post_from(
                "/servers",
                &format!("/servers/{sid}/power"),
                &[("action", "off")],
            )
            .await,
            404
        );
        assert_eq!(app.find_server(sid).unwrap().power_state, "on");
    }
}

async fn invalid_action_input_is_422_with_the_input_kept(app: TestApp) {
    let (cust, s, url) = cust_with_server(&app, "10.4.0.1");
    let other = app
        .server("other.example.net")
        .ip("10.4.0.2")
        .racked()
        .owned_by(cust)
        .create();
    let b = app.login("cust").await;
    let res = b.post(&format!("{url}/rename"), &[("name", "   ")]).await;
    assert_says(res, 422, "id=\"name-error\"").await;
    let res = b
        .post(
            &format!("{url}/rdns"),
            &[("ip", "10.4.0.1"), ("hostname", "bad_name!")],
        )
        .await;
    assert_says(res, 422, "value=\"bad_name!\"").await;
    // An address of another server is not this server's to name.
    assert_status!(
        b.post(
            &format!("{url}/rdns"),
            &[("ip", "10.4.0.2"), ("hostname", "ok.example.com")],
        )
        .await,
        404
    );
    assert_eq!(rdns(&app, "10.4.0.2"), "");
    let res = b
        .post(&format!("{url}/reinstall"), &[("os", "templeos")])
        .await;
    assert_says(res, 422, "id=\"os-error\"").await;
    assert_status!(
        b.post(&format!("{url}/power"), &[("action", "explode")])
            .await,
        422
    );
    let row = app.find_server(s).unwrap();
    assert_eq!(
        (
            row.name.as_str(),
            row.status.as_str(),
            row.power_state.as_str()
        ),
        ("web.example.net", "active", "on")
    );
    assert!(jobs(&app, s).is_empty() && jobs(&app, other).is_empty());
}

async fn a_reinstalled_server_shows_reinstalling_until_the_job_ends(app: TestApp) {
    let (_, s, url) = cust_with_server(&app, "10.5.0.1");
    let b = app.login("cust").await;
    let reinstall = [("os", "rocky-9"), ("confirm", "web.example.net")];
    act(&b, &url, "reinstall", &reinstall).await;
    let row = app.find_server(s).unwrap();
    assert_eq!(
        (row.status.as_str(), row.os.as_str()),
        ("reinstalling", "debian-12")
    );
    let page = b.get_html(&url).await;
    assert!(page.contains("Reinstall in progress") && page.contains(">Reinstalling<"));
    // The progress box polls every 2 seconds; while the job runs the poll answers the box.
    assert!(page.contains(r#"hx-get="/servers/"#) && page.contains(r#"hx-trigger="every 2s""#));
    let poll = b.htmx_get(&format!("{url}?progress=1")).await;
    assert!(poll.headers().get("hx-refresh").is_none());
    let fragment = poll.text().await.unwrap();
    assert!(fragment.starts_with(r#"<div id="reinstall-progress""#));
    assert!(!fragment.contains("<html"));
    // While it runs, power and rescue are refused (flash, no change, no job).
    act(&b, &url, "power", &[("action", "off"), ("confirm", "yes")]).await;
    assert_eq!(app.find_server(s).unwrap().power_state, "on");
    assert_eq!(jobs(&app, s).len(), 1);
    // The built-in driver finishes the job once its time is up and the page is viewed.
    let job = &jobs(&app, s)[0];
    diesel::update(server_jobs::table.find(job.id))
        .set(server_jobs::created_at.eq(job.created_at - Duration::minutes(5)))
        .execute(&mut *app.conn())
        .unwrap();
    // The page's poll sees the end and asks htmx to reload the page.
    let poll = b.htmx_get(&format!("{url}?progress=1")).await;
    assert_status!(poll, 200);
    assert_eq!(poll.headers().get("hx-refresh").unwrap(), "true");
    let page = b.get_html(&url).await;
    assert!(!page.contains("Reinstall in progress"));
    let row = app.find_server(s).unwrap();
    assert_eq!(
        (row.status.as_str(), row.os.as_str()),
        ("active", "rocky-9")
    );
    let job = &jobs(&app, s)[0];
    assert_eq!(job.status, "done");
    assert!(job.finished_at.is_some());
    assert_eq!(app.audit_count("server.reinstall"), 1);
}
