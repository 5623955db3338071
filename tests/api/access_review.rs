//! The access review: every login of an account with what it may do, as a
//! page with filters and as CSV parsed back; a reviewer that reaches only part of the
//! account sees the other servers as counts; the CSV with servers is streamed in chunks.

use diesel::prelude::*;
use steward::db::schema::{api_keys, users};
use steward::models::now;

use crate::helpers::TestApp;

backend_tests!(
    the_review_lists_every_login_with_its_kind_role_permissions_servers_keys_and_sessions,
    the_filters_pick_risky_unused_and_no_two_factor_logins,
    the_csv_has_one_row_per_login_and_permission_and_parses_back,
    a_reviewer_that_reaches_part_of_the_account_sees_other_servers_only_as_counts,
    the_review_is_for_the_accounts_managers_only,
    the_csv_with_servers_walks_thousands_of_servers_in_chunks,
);

struct Fixture {
    acme: i32,
    ops: i32,
    viewer: i32,
    hosts: [String; 3],
}

/// acme owns web1..web3; "ops" (a risky role, all servers, an API key used a day ago,
/// logged in) and "viewer" (view only, web1 and web2, never used).
async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let hosts = ["web1.acme.test", "web2.acme.test", "web3.acme.test"].map(String::from);
    let sids: Vec<i32> = hosts
        .iter()
        .map(|h| app.server(h).owned_by(acme).create())
        .collect();
    let risky = app
        .role(acme, "Operators")
        .perms(&["servers.view", "servers.rescue"])
        .create();
    let plain = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let ops = app
        .alias("ops", acme)
        .role(risky)
        .all_servers(true)
        .create();
    let viewer = app.alias("viewer", acme).role(plain).create();
    app.assign(viewer, sids[0]);
    app.assign(viewer, sids[1]);
    let (kid, _) = crate::matrix::world::api_key(app, ops);
    diesel::update(api_keys::table.find(kid))
        .set(api_keys::last_used_at.eq(Some(now() - chrono::Duration::days(1))))
        .execute(&mut app.conn())
        .unwrap();
    let _ops_session = app.login("ops").await;
    Fixture {
        acme,
        ops,
        viewer,
        hosts,
    }
}

/// The `<tr>` of one login on the review page.
fn row<'a>(page: &'a str, login: &str) -> &'a str {
    let start = page
        .find(&format!("data-login=\"{login}\""))
        .unwrap_or_else(|| panic!("no row for {login}"));
    let end = page[start..].find("</tr>").unwrap() + start;
    &page[start..end]
}

async fn the_review_lists_every_login_with_its_kind_role_permissions_servers_keys_and_sessions(
    app: TestApp,
) {
    let f = fixture(&app).await;
    let owner = app.login("acme").await;
    let detail = owner.get_html(&format!("/users/{}", f.acme)).await;
    assert!(
        detail.contains(&format!("/users/{}/access-review", f.acme)),
        "a tab"
    );
    let page = owner
        .get_html(&format!("/users/{}/access-review", f.acme))
        .await;
    let acme = row(&page, "acme");
    assert!(acme.contains("<td>owner</td>"));
    assert!(acme.contains("All servers"));
    let ops = row(&page, "ops");
    assert!(ops.contains("<td>alias user</td>"));
    assert!(ops.contains("Operators"));
    assert!(ops.contains("servers.rescue ⚠"), "risky marked: {ops}");
    assert!(ops.contains("servers.view</span>"));
    assert!(ops.contains("All servers"));
    assert!(ops.contains("<td class=\"two-factor\">off</td>"));
    let used = (now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    assert!(ops.contains("Script") && ops.contains(&used), "{ops}");
    assert!(ops.contains("<td class=\"sessions\">1</td>"), "{ops}");
    assert!(!ops.contains(">never<"), "it logged in");
    let viewer = row(&page, "viewer");
    assert!(viewer.contains("<td class=\"servers\">2</td>"), "{viewer}");
    assert!(viewer.contains("<td class=\"sessions\">0</td>"));
    assert!(viewer.contains("never"));
    assert!(!viewer.contains("servers.rescue"));
    let _ = (f.ops, f.viewer);
}

async fn the_filters_pick_risky_unused_and_no_two_factor_logins(app: TestApp) {
    let f = fixture(&app).await;
    let owner = app.login("acme").await;
    let base = format!("/users/{}/access-review", f.acme);
    let risky = owner.get_html(&format!("{base}?filter=risky")).await;
    assert!(risky.contains("data-login=\"ops\""));
    assert!(
        risky.contains("data-login=\"acme\""),
        "an owner holds the rescue system"
    );
    assert!(!risky.contains("data-login=\"viewer\""));
    let unused = owner.get_html(&format!("{base}?filter=unused")).await;
    assert!(unused.contains("data-login=\"viewer\""));
    assert!(!unused.contains("data-login=\"ops\""));
    assert!(!unused.contains("data-login=\"acme\""));
    // A login last seen 91 days ago whose key was last used 100 days ago is unused.
    let old = now() - chrono::Duration::days(91);
    diesel::update(users::table.find(f.ops))
        .set(users::last_login_at.eq(Some(old)))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(api_keys::table.filter(api_keys::user_id.eq(f.ops)))
        .set(api_keys::last_used_at.eq(Some(now() - chrono::Duration::days(100))))
        .execute(&mut app.conn())
        .unwrap();
    let unused = owner.get_html(&format!("{base}?filter=unused")).await;
    assert!(unused.contains("data-login=\"ops\""));
    // No login has two-factor yet: every login is listed.
    let no2fa = owner
        .get_html(&format!("{base}?filter=no-two-factor"))
        .await;
    for login in ["acme", "ops", "viewer"] {
        assert!(no2fa.contains(&format!("data-login=\"{login}\"")));
    }
}

async fn csv_of(b: &crate::helpers::Browser, path: &str) -> Vec<csv::StringRecord> {
    let res = b.get(path).await;
    assert_status!(res, 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = res.bytes().await.unwrap();
    csv::Reader::from_reader(&body[..])
        .records()
        .map(|r| r.unwrap())
        .collect()
}

async fn the_csv_has_one_row_per_login_and_permission_and_parses_back(app: TestApp) {
    let f = fixture(&app).await;
    let owner = app.login("acme").await;
    let res = owner
        .get(&format!("/users/{}/access-review.csv", f.acme))
        .await;
    let body = res.text().await.unwrap();
    assert!(body.starts_with(
        "login,kind,status,role,two_factor,permission,risky,servers,api_keys,api_key_last_used,sessions,last_login\n"
    ));
    let rows = csv_of(&owner, &format!("/users/{}/access-review.csv", f.acme)).await;
    let of = |login: &str| -> Vec<&csv::StringRecord> {
        rows.iter().filter(|r| &r[0] == login).collect()
    };
    let ops = of("ops");
    assert_eq!(ops.len(), 2, "servers.view and servers.rescue");
    let rescue = ops.iter().find(|r| &r[5] == "servers.rescue").unwrap();
    assert_eq!(&rescue[1], "alias user");
    assert_eq!(&rescue[2], "active");
    assert_eq!(&rescue[3], "Operators");
    assert_eq!(&rescue[4], "off");
    assert_eq!(&rescue[6], "yes");
    assert_eq!(&rescue[7], "all");
    assert_eq!(&rescue[8], "1");
    assert!(!rescue[9].is_empty());
    assert_eq!(&rescue[10], "1");
    let viewer = of("viewer");
    assert_eq!(viewer.len(), 1);
    assert_eq!(&viewer[0][5], "servers.view");
    assert_eq!(&viewer[0][6], "no");
    assert_eq!(&viewer[0][7], "2");
    assert_eq!(&viewer[0][11], "", "never logged in");
    assert!(of("acme").len() > 5, "the owner's permissions");
    // With servers: one row per login, permission and server.
    let rows = csv_of(
        &owner,
        &format!("/users/{}/access-review.csv?detail=servers", f.acme),
    )
    .await;
    let viewer: Vec<_> = rows.iter().filter(|r| &r[0] == "viewer").collect();
    let hosts: Vec<&str> = viewer.iter().map(|r| &r[4]).collect();
    assert_eq!(hosts, [f.hosts[0].as_str(), f.hosts[1].as_str()]);
    let ops: Vec<_> = rows.iter().filter(|r| &r[0] == "ops").collect();
    assert_eq!(ops.len(), 6, "two permissions on three servers");
}

async fn a_reviewer_that_reaches_part_of_the_account_sees_other_servers_only_as_counts(
    app: TestApp,
) {
    let f = fixture(&app).await;
    let managers = app
        .role(f.acme, "Managers")
        .perms(&["servers.view", "alias_users.manage"])
        .create();
    let mgr = app.alias("mgr", f.acme).role(managers).create();
    let web1: i32 = steward::db::schema::servers::table
        .filter(steward::db::schema::servers::hostname.eq(&f.hosts[0]))
        .select(steward::db::schema::servers::id)
        .first(&mut app.conn())
        .unwrap();
    app.assign(mgr, web1);
    let b = app.login("mgr").await;
    let page = b
        .get_html(&format!("/users/{}/access-review", f.acme))
        .await;
    assert!(page.contains("data-login=\"viewer\""));
    assert!(!page.contains(&f.hosts[1]));
    let rows = csv_of(
        &b,
        &format!("/users/{}/access-review.csv?detail=servers", f.acme),
    )
    .await;
    let all: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert!(all.contains(&f.hosts[0].as_str()));
    assert!(!all.contains(&f.hosts[1].as_str()), "outside its reach");
    assert!(!all.contains(&f.hosts[2].as_str()), "outside its reach");
    let viewer: Vec<&str> = rows
        .iter()
        .filter(|r| &r[0] == "viewer")
        .map(|r| &r[4])
        .collect();
    assert_eq!(
        viewer,
        [f.hosts[0].as_str(), "1 servers outside your reach"]
    );
    let ops: Vec<_> = rows
        .iter()
        .filter(|r| &r[0] == "ops" && &r[2] == "servers.rescue")
        .map(|r| r[4].to_string())
        .collect();
    assert_eq!(
        ops,
        [f.hosts[0].clone(), "2 servers outside your reach".into()]
    );
}

async fn the_review_is_for_the_accounts_managers_only(app: TestApp) {
    let f = fixture(&app).await;
    let admin_id = app.user(f.acme).unwrap().owner_id.unwrap();
    let _rival = app.customer("rival", admin_id);
    for (login, expected) in [("rival", 404), ("viewer", 403), ("boss", 200)] {
        let b = app.login(login).await;
        for path in ["access-review", "access-review.csv"] {
            assert_status!(
                b.get(&format!("/users/{}/{path}", f.acme)).await,
                expected,
                "{login} {path}"
            );
        }
    }
    let anonymous = app.browser();
    assert_status!(
        anonymous
            .get(&format!("/users/{}/access-review.csv", f.acme))
            .await,
        303
    );
}

async fn the_csv_with_servers_walks_thousands_of_servers_in_chunks(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    app.many_servers(acme, 2_500);
    let two = app
        .role(acme, "Two")
        .perms(&["servers.view", "servers.power"])
        .create();
    app.alias("wide", acme).role(two).all_servers(true).create();
    let owner = app.login("acme").await;
    let rows = csv_of(
        &owner,
        &format!("/users/{acme}/access-review.csv?detail=servers"),
    )
    .await;
    let wide: Vec<_> = rows.iter().filter(|r| &r[0] == "wide").collect();
    assert_eq!(wide.len(), 5_000);
    let distinct: std::collections::BTreeSet<&str> = wide.iter().map(|r| &r[4]).collect();
    assert_eq!(distinct.len(), 2_500);
    assert!(distinct.contains("srv02499.example.net"));
}
