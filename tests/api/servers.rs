//! Servers and the access engine: who reaches which server (admin, reseller, customer,
//! alias user), owner assignment, the admin inventory, search and pagination.

use diesel::prelude::*;
use steward::access::servers::find_reachable;
use steward::access::Actor;
use steward::db::schema::{alias_servers, audit_log};
use steward::models::now;

use crate::helpers::{assert_redirect_to, assert_says, Browser, TestApp};

/// Gives server `s` to the account `to` through the owner form of its page (an empty
/// choice: back to its reseller, or to the inventory).
async fn give(b: &Browser, s: i32, to: Option<i32>) -> reqwest::Response {
    let to = to.map(|id| id.to_string()).unwrap_or_default();
    b.post(&format!("/servers/{s}/owner"), &[("user_id", &to)])
        .await
}

/// Who holds server `s` now: (its reseller, its owner).
fn holders(app: &TestApp, s: i32) -> (Option<i32>, Option<i32>) {
    let row = app.find_server(s).unwrap();
    (row.reseller_id, row.owner_id)
}

backend_tests!(
    the_access_engine_reaches_each_login_exactly_its_servers,
    a_customer_sees_exactly_its_servers,
    another_customers_server_is_404_on_every_server_route,
    a_reseller_cannot_reach_another_resellers_servers_nor_assign_to_their_customers,
    a_reseller_assigns_its_own_servers_to_its_own_customers_and_takes_them_back,
    a_server_moved_to_another_owner_is_gone_on_the_next_request,
    search_by_hostname_ip_and_tag_and_pages_of_50_return_the_right_rows,
    an_admin_adds_edits_and_deletes_servers_with_validation,
    an_admin_assigns_a_customer_of_a_reseller_and_the_reseller_keeps_it,
    the_account_servers_tab_lists_and_assigns_that_accounts_servers,
    a_server_given_to_another_account_takes_the_old_holders_alias_assignments_with_it,
);

/// Every form that changes a server, as (its action under `/servers/{id}/`, its fields),
/// each filled in as its page would send it; `ip` is the server's address (for rDNS).
pub fn every_server_form(ip: &str) -> [(&'static str, Vec<(&'static str, &str)>); 8] {
    [
        ("power", vec![("action", "off")]),
        ("rename", vec![("name", "taken over")]),
        ("rdns", vec![("ip", ip), ("hostname", "x.example.com")]),
        ("reinstall", vec![("os", "debian-12")]),
        ("rescue", vec![]),
        ("owner", vec![("user_id", "")]),
        (
            "edit",
            vec![("hostname", "x.example.net"), ("ip", "10.9.9.9")],
        ),
        ("delete", vec![]),
    ]
}

async fn the_access_engine_reaches_each_login_exactly_its_servers(app: TestApp) {
    let admin = app.admin("boss");
    let r1 = app.reseller("res-one", admin);
    let r2 = app.reseller("res-two", admin);
    let c1 = app.customer("cust-one", r1);
    let c2 = app.customer("cust-two", admin);
    let kept = app
        .server("kept.example.net")
        .ip("10.0.0.1")
        .racked()
        .resold_by(r1)
        .create();
    let passed = app
        .server("passed.example.net")
        .ip("10.0.0.2")
        .racked()
        .resold_by(r1)
        .owned_by(c1)
        .create();
    let other = app
        .server("other.example.net")
        .ip("10.0.0.3")
        .racked()
        .resold_by(r2)
        .create();
    let direct = app
        .server("direct.example.net")
        .ip("10.0.0.4")
        .racked()
        .owned_by(c2)
        .create();
    let stock = app
        .server("stock.example.net")
        .ip("10.0.0.5")
        .racked()
        .create();
    let narrow = app
        .alias("res-one-helper", r1)
        .perms(&["servers.view"])
        .servers(&[passed, other])
        .create();
    let wide = app
        .alias("res-one-all", r1)
        .perms(&["servers.view"])
        .servers(&[])
        .create();
    {
        use steward::db::schema::users;
        diesel::update(users::table.find(wide))
            .set(users::all_servers.eq(true))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let all = [kept, passed, other, direct, stock];
    let table: [(&str, i32, &[i32]); 7] = [
        ("admin", admin, &all),
        ("reseller", r1, &[kept, passed]),
        ("other reseller", r2, &[other]),
        ("reseller's customer", c1, &[passed]),
        ("admin's customer", c2, &[direct]),
        // Assigned servers count only within the parent's: `other` is not the parent's.
        ("alias with assigned servers", narrow, &[passed]),
        ("alias with all servers", wide, &[kept, passed]),
    ];
    let reached = |login: i32| -> Vec<i32> {
        let mut c = app.conn();
        let actor = Actor::load(&mut c, login, now().date())
            .unwrap()
            .unwrap()
            .unwrap();
        all.iter()
            .copied()
            .filter(|s| find_reachable(&mut c, &actor, *s).unwrap().is_some())
            .collect()
    };
    for (who, login, expected) in table {
        assert_eq!(reached(login), expected.to_vec(), "{who}");
    }
    // Moved to another owner: the next resolution no longer reaches it.
    diesel::update(steward::db::schema::servers::table.find(passed))
        .set((
            steward::db::schema::servers::reseller_id.eq(r2),
            steward::db::schema::servers::owner_id.eq(None::<i32>),
        ))
        .execute(&mut *app.conn())
        .unwrap();
    assert_eq!(reached(c1), Vec::<i32>::new());
    assert_eq!(reached(r1), vec![kept]);
    assert_eq!(reached(narrow), Vec::<i32>::new());
    assert_eq!(reached(r2), vec![passed, other]);
}

async fn a_customer_sees_exactly_its_servers(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let mine = app.customer("mine", r);
    let theirs = app.customer("theirs", r);
    app.server("a1.example.net")
        .ip("10.0.1.1")
        .racked()
        .resold_by(r)
        .owned_by(mine)
        .create();
    app.server("a2.example.net")
        .ip("10.0.1.2")
        .racked()
        .resold_by(r)
        .owned_by(mine)
        .create();
    app.server("b1.example.net")
        .ip("10.0.1.3")
        .racked()
        .resold_by(r)
        .owned_by(theirs)
        .create();
    app.server("r1.example.net")
        .ip("10.0.1.4")
        .racked()
        .resold_by(r)
        .create();
    let page = app.login("mine").await.get_html("/servers").await;
    assert!(page.contains(">a1.example.net</a>") && page.contains(">a2.example.net</a>"));
    assert!(!page.contains("b1.example.net") && !page.contains("r1.example.net"));
    assert!(page.contains("2 in all"));
    let page = app.login("resell").await.get_html("/servers").await;
    assert!(
        page.contains("4 in all"),
        "the reseller sees what it passed on too"
    );
}

async fn another_customers_server_is_404_on_every_server_route(app: TestApp) {
    let admin = app.admin("boss");
    let me = app.customer("me", admin);
    let other = app.customer("other", admin);
    app.server("mine.example.net")
        .ip("10.0.2.1")
        .racked()
        .owned_by(me)
        .create();
    let foreign = app
        .server("foreign.example.net")
        .ip("10.0.2.2")
        .racked()
        .owned_by(other)
        .create();
    let before = app.find_server(foreign).unwrap();
    let b = app.login("me").await;
    for path in ["", "/edit", "/console"] {
        assert_status!(
            b.get(&format!("/servers/{foreign}{path}")).await,
            404,
            "GET {path}"
        );
    }
    for (action, fields) in every_server_form("10.0.2.2") {
        let path = format!("/servers/{foreign}/{action}");
        let code = b.post(&path, &fields).await.status().as_u16();
        assert_eq!(code, 404, "POST {path}");
    }
    for garbage in ["0", "-1", "abc", "99999"] {
        assert_status!(b.get(&format!("/servers/{garbage}")).await, 404);
        let code = b
            .post(&format!("/servers/{garbage}/power"), &[("action", "on")])
            .await;
        assert_status!(code, 404);
    }
    let after = app.find_server(foreign).unwrap();
    assert_eq!(
        (after.name, after.power_state, after.status, after.owner_id),
        (
            before.name,
            before.power_state,
            before.status,
            before.owner_id
        )
    );
    assert_eq!(app.audit_count("server.power"), 0);
}

async fn a_reseller_cannot_reach_another_resellers_servers_nor_assign_to_their_customers(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let r1 = app.reseller("res-one", admin);
    let r2 = app.reseller("res-two", admin);
    let theirs_customer = app.customer("their-cust", r2);
    let mine = app
        .server("mine.example.net")
        .ip("10.0.3.1")
        .racked()
        .resold_by(r1)
        .create();
    let theirs = app
        .server("theirs.example.net")
        .ip("10.0.3.2")
        .racked()
        .resold_by(r2)
        .create();
    let b = app.login("res-one").await;
    assert_status!(b.get(&format!("/servers/{theirs}")).await, 404);
    assert_status!(give(&b, theirs, Some(r1)).await, 404);
    // Its own server to another reseller's customer: forbidden, nothing changed.
    assert_status!(give(&b, mine, Some(theirs_customer)).await, 403);
    // Nor to the other reseller itself, nor to an admin.
    for target in [r2, admin] {
        assert_status!(give(&b, mine, Some(target)).await, 403);
    }
    assert_eq!(holders(&app, mine), (Some(r1), None));
    assert_eq!(app.audit_count("server.owner"), 0);
    // The account tab of the other reseller's customer is not visible either.
    assert_status!(
        b.get(&format!("/users/{theirs_customer}/servers")).await,
        404
    );
}

async fn a_reseller_assigns_its_own_servers_to_its_own_customers_and_takes_them_back(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let cust = app.customer("cust", r);
    let s = app
        .server("web.example.net")
        .ip("10.0.4.1")
        .racked()
        .resold_by(r)
        .create();
    let b = app.login("resell").await;
    let page = b.get_html(&format!("/servers/{s}")).await;
    assert!(page.contains("action=\"/servers/") && page.contains("/owner\""));
    let res = give(&b, s, Some(cust)).await;
    assert_redirect_to(&res, &format!("/servers/{s}"));
    assert_eq!(holders(&app, s), (Some(r), Some(cust)));
    // One entry for the account that held it, one for the one that holds it now.
    let accounts: Vec<Option<i32>> = audit_log::table
        .filter(audit_log::action.eq("server.owner"))
        .select(audit_log::account_id)
        .order(audit_log::id.asc())
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(accounts, vec![Some(r), Some(cust)]);
    assert!(app
        .login("cust")
        .await
        .get_html("/servers")
        .await
        .contains("web.example.net"));
    let res = give(&b, s, None).await;
    assert_redirect_to(&res, &format!("/servers/{s}"));
    assert_eq!(holders(&app, s), (Some(r), None));
}

async fn a_server_moved_to_another_owner_is_gone_on_the_next_request(app: TestApp) {
    let admin = app.admin("boss");
    let first = app.customer("first", admin);
    let second = app.customer("second", admin);
    let s = app
        .server("moving.example.net")
        .ip("10.0.5.1")
        .racked()
        .owned_by(first)
        .create();
    let b = app.login("first").await;
    assert_status!(b.get(&format!("/servers/{s}")).await, 200);
    let boss = app.login("boss").await;
    let res = give(&boss, s, Some(second)).await;
    assert_redirect_to(&res, &format!("/servers/{s}"));
    assert_status!(b.get(&format!("/servers/{s}")).await, 404);
    assert_status!(
        b.post(&format!("/servers/{s}/power"), &[("action", "off")])
            .await,
        404
    );
    assert_eq!(app.find_server(s).unwrap().power_state, "on");
    assert!(!b.get_html("/servers").await.contains("moving.example.net"));
    let c = app.login("second").await;
    assert_status!(c.get(&format!("/servers/{s}")).await, 200);
}

async fn search_by_hostname_ip_and_tag_and_pages_of_50_return_the_right_rows(app: TestApp) {
    let admin = app.admin("boss");
    let cust = app.customer("cust", admin);
    for i in 0..120 {
        let tags = if i % 10 == 0 { "gpu,prod" } else { "prod" };
        app.server(&format!("node{i:03}.example.net"))
            .ip(&format!("10.1.{}.{}", i / 100, i % 100))
            .racked()
            .tags(tags)
            .owned_by(cust)
            .create();
    }
    let other = app.customer("other", admin);
    app.server("node999.example.net")
        .ip("10.9.0.1")
        .racked()
        .tags("gpu")
        .owned_by(other)
        .create();
    let b = app.login("cust").await;
    let rows = |html: &str| html.matches("<td><a href=\"/servers/").count();
    let p1 = b.get_html("/servers").await;
    assert_eq!(rows(&p1), 50);
    assert!(p1.contains(">node000.example.net<") && p1.contains(">node049.example.net<"));
    assert!(p1.contains("Page 1 of 3"));
    let p3 = b.get_html("/servers?page=3").await;
    assert_eq!(rows(&p3), 20);
    assert!(p3.contains(">node119.example.net<") && !p3.contains(">node099.example.net<"));
    let by_host = b.get_html("/servers?q=node07").await;
    assert_eq!(rows(&by_host), 10);
    let by_ip = b.get_html("/servers?q=10.1.1.5").await;
    assert_eq!(rows(&by_ip), 1);
    assert!(by_ip.contains(">node105.example.net<"));
    let by_tag = b.get_html("/servers?q=GPU").await;
    assert_eq!(
        rows(&by_tag),
        12,
        "12 of its own gpu servers, not the other customer's"
    );
    assert!(!by_tag.contains("node999"));
    // A secondary address finds its server too.
    let s = app
        .server("extra.example.net")
        .ip("10.2.0.1")
        .racked()
        .owned_by(cust)
        .create();
    steward::models::server_ip::add(&mut app.conn(), s, "192.0.2.77").unwrap();
    let by_extra = b.get_html("/servers?q=192.0.2.77").await;
    assert_eq!(rows(&by_extra), 1);
    assert!(by_extra.contains(">extra.example.net<"));
}

async fn an_admin_adds_edits_and_deletes_servers_with_validation(app: TestApp) {
    let admin = app.admin("boss");
    let cust = app.customer("cust", admin);
    let b = app.login("boss").await;
    assert!(b.get_html("/servers").await.contains("+ Add server"));
    let res = b
        .post(
            "/servers",
            &[
                ("hostname", "not a host"),
                ("ip", "10.0.0.300"),
                ("name", "Kept name"),
                ("tags", "web, bad tag"),
            ],
        )
        .await;
    assert_status!(res, 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"not a host\"") && html.contains("value=\"Kept name\""));
    assert!(html.contains("id=\"hostname-error\"") && html.contains("id=\"ip-error\""));
    assert!(html.contains("id=\"tags-error\""));
    assert_eq!(
        steward::models::server::Server::count_within(
            &mut app.conn(),
            &steward::models::reach::Reach::All
        )
        .unwrap(),
        0
    );
    let res = b
        .post(
            "/servers",
            &[
                ("hostname", "Web01.Example.net"),
                ("ip", "10.0.6.1"),
                ("name", ""),
                ("location", "Frankfurt"),
                ("tags", "web, Prod"),
            ],
        )
        .await;
    assert_status!(res, 303);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let id: i32 = loc.trim_start_matches("/servers/").parse().unwrap();
    let s = app.find_server(id).unwrap();
    assert_eq!(
        (
            s.hostname.as_str(),
            s.name.as_str(),
            s.tags.as_str(),
            s.owner_id
        ),
        ("web01.example.net", "web01.example.net", "web,prod", None)
    );
    assert_eq!(app.audit_count("server.create"), 1);
    // Duplicates: hostname and IP already in use.
    let res = b
        .post(
            "/servers",
            &[("hostname", "web01.example.net"), ("ip", "10.0.6.1")],
        )
        .await;
    assert_status!(res, 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Another server has this hostname."));
    assert!(html.contains("This address belongs to another server."));
    // Edit: invalid keeps the input; a valid one saves and moves the IP.
    let other = app
        .server("taken.example.net")
        .ip("10.0.6.9")
        .racked()
        .create();
    let res = b
        .post(
            &format!("/servers/{id}/edit"),
            &[
                ("hostname", "taken.example.net"),
                ("ip", "10.0.6.2"),
                ("memory_gb", "lots"),
            ],
        )
        .await;
    assert_status!(res, 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"lots\"") && html.contains("id=\"memory_gb-error\""));
    let res = b
        .post(
            &format!("/servers/{id}/edit"),
            &[
                ("hostname", "web02.example.net"),
                ("ip", "10.0.6.2"),
                ("memory_gb", "128"),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/servers/{id}"));
    let s = app.find_server(id).unwrap();
    assert_eq!(
        (s.hostname.as_str(), s.primary_ip.as_str(), s.memory_gb),
        ("web02.example.net", "10.0.6.2", 128)
    );
    assert!(b
        .get_html("/servers?q=10.0.6.1")
        .await
        .contains("No servers match"));
    // A customer may not add, edit or delete.
    let c = app.login("cust").await;
    assert_status!(
        c.post(
            "/servers",
            &[("hostname", "x.example.net"), ("ip", "10.0.7.1")],
        )
        .await,
        403
    );
    diesel::update(steward::db::schema::servers::table.find(other))
        .set(steward::db::schema::servers::owner_id.eq(cust))
        .execute(&mut *app.conn())
        .unwrap();
    assert_status!(c.get(&format!("/servers/{other}/edit")).await, 403);
    assert_status!(c.post(&format!("/servers/{other}/delete"), &[]).await, 403);
    assert!(app.find_server(other).is_some());
    assert!(!c
        .get_html(&format!("/servers/{other}"))
        .await
        .contains("/delete\""));
    // Delete.
    let res = b
        .post(&format!("/servers/{id}/delete"), &[("confirm", "yes")])
        .await;
    assert_redirect_to(&res, "/servers");
    assert!(app.find_server(id).is_none());
    assert_eq!(app.audit_count("server.delete"), 1);
}

async fn an_admin_assigns_a_customer_of_a_reseller_and_the_reseller_keeps_it(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let cust = app.customer("cust", r);
    let s = app
        .server("web.example.net")
        .ip("10.0.8.1")
        .racked()
        .create();
    let b = app.login("boss").await;
    let res = give(&b, s, Some(cust)).await;
    assert_redirect_to(&res, &format!("/servers/{s}"));
    assert_eq!(holders(&app, s), (Some(r), Some(cust)));
    assert_status!(
        app.login("resell")
            .await
            .get(&format!("/servers/{s}"))
            .await,
        200
    );
    // An admin is not an owner: 422 with the message, nothing changed.
    let res = give(&b, s, Some(admin)).await;
    assert_says(res, 422, "id=\"user_id-error\"").await;
    assert_eq!(app.find_server(s).unwrap().owner_id, Some(cust));
    // Back to the inventory.
    assert_status!(give(&b, s, None).await, 303);
    assert_eq!(holders(&app, s), (None, None));
}

async fn the_account_servers_tab_lists_and_assigns_that_accounts_servers(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let cust = app.customer("cust", r);
    let kept = app
        .server("kept.example.net")
        .ip("10.0.9.1")
        .racked()
        .resold_by(r)
        .create();
    let given = app
        .server("given.example.net")
        .ip("10.0.9.2")
        .racked()
        .resold_by(r)
        .owned_by(cust)
        .create();
    let b = app.login("resell").await;
    let tab = b.get_html(&format!("/users/{cust}/servers")).await;
    assert!(tab.contains(">Servers</a>") && tab.contains(">given.example.net</a>"));
    assert!(!tab.contains("kept.example.net</a>"));
    let own = b.get_html(&format!("/users/{r}/servers")).await;
    assert!(own.contains(">kept.example.net</a>") && own.contains(">given.example.net</a>"));
    // Assign by hostname from the tab, then take back.
    let res = b
        .post(
            &format!("/users/{cust}/servers"),
            &[("action", "assign"), ("server", "10.0.9.1")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{cust}/servers"));
    assert_eq!(app.find_server(kept).unwrap().owner_id, Some(cust));
    let res = b
        .post(
            &format!("/users/{cust}/servers"),
            &[("action", "unassign"), ("server", "given.example.net")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{cust}/servers"));
    assert_eq!(app.find_server(given).unwrap().owner_id, None);
    let res = b
        .post(
            &format!("/users/{cust}/servers"),
            &[("action", "assign"), ("server", "nope.example.net")],
        )
        .await;
    assert_says(res, 422, "value=\"nope.example.net\"").await;
    // The customer sees its tab but no assign form, and may not post to it.
    let c = app.login("cust").await;
    let tab = c.get_html(&format!("/users/{cust}/servers")).await;
    assert!(tab.contains(">kept.example.net</a>") && !tab.contains("Assign a server"));
    assert_status!(
        c.post(
            &format!("/users/{cust}/servers"),
            &[("action", "unassign"), ("server", "kept.example.net")],
        )
        .await,
        403
    );
    assert_eq!(app.find_server(kept).unwrap().owner_id, Some(cust));
}

async fn a_server_given_to_another_account_takes_the_old_holders_alias_assignments_with_it(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let (c1, c2) = (app.customer("cust-one", r), app.customer("cust-two", r));
    let s = app
        .server("web.example.net")
        .ip("10.0.9.1")
        .racked()
        .resold_by(r)
        .owned_by(c1)
        .create();
    let of_customer = app
        .alias("c1-ops", c1)
        .perms(&["servers.view"])
        .servers(&[s])
        .create();
    let of_reseller = app
        .alias("r-ops", r)
        .perms(&["servers.view"])
        .servers(&[s])
        .create();
    let of_admin = app
        .alias("boss-ops", admin)
        .perms(&["servers.view"])
        .servers(&[s])
        .create();
    let assigned = |alias: i32| -> bool {
        alias_servers::table
            .filter(alias_servers::alias_id.eq(alias))
            .filter(alias_servers::server_id.eq(s))
            .count()
            .get_result::<i64>(&mut *app.conn())
            .unwrap()
            == 1
    };
    let b = app.login("boss").await;
    // From one customer of the reseller to another: the reseller still holds it.
    assert_redirect_to(&give(&b, s, Some(c2)).await, &format!("/servers/{s}"));
    assert!(
        !assigned(of_customer),
        "the old owner's alias user loses it"
    );
    assert!(assigned(of_reseller) && assigned(of_admin));
    // Back again: the old assignment does not silently return.
    assert_redirect_to(&give(&b, s, Some(c1)).await, &format!("/servers/{s}"));
    assert!(!assigned(of_customer));
    assert_status!(
        app.login("c1-ops")
            .await
            .get(&format!("/servers/{s}"))
            .await,
        404
    );
}
