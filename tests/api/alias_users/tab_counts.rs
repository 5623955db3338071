//! The Alias Users tab's server counts (a fix the benchmark led to, BENCHMARKS.md: one
//! hand-ordered query): they count only the assigned servers the parent still reaches,
//! and follow every assignment change made through the panel.

use diesel::prelude::*;
use steward::db::schema::{alias_servers, servers};

use crate::helpers::TestApp;

backend_tests!(the_alias_users_tab_counts_only_assigned_servers_the_parent_still_reaches);

async fn the_alias_users_tab_counts_only_assigned_servers_the_parent_still_reaches(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("other", admin);
    let helper = app.insert_user("alias", "helper", None, Some(acme));
    app.insert_user("alias", "idler", None, Some(acme));
    let ids: Vec<i32> = (1..=3)
        .map(|n| {
            app.server(&format!("web{n}.acme.test"))
                .ip(&format!("192.0.2.{n}"))
                .racked()
                .owned_by(acme)
                .create()
        })
        .collect();
    for &server in &ids {
        app.assign(helper, server);
    }
    // A server that left the account, written directly (a script, a restore) rather than
    // through the panel: the database drops the assignment itself, so the tab's count of
    // assignment rows stays the number of servers the parent still holds.
    diesel::update(servers::table.find(ids[2]))
        .set(servers::owner_id.eq(Some(other)))
        .execute(&mut app.conn())
        .unwrap();
    let left: Vec<i32> = alias_servers::table
        .filter(alias_servers::alias_id.eq(helper))
        .select(alias_servers::server_id)
        .order(alias_servers::server_id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        left,
        ids[..2].to_vec(),
        "the assignment left with the server"
    );
    let b = app.login("acme").await;
    let tab = b.get_html(&format!("/users/{acme}/alias-users")).await;
    let row_of = |name: &str| {
        let start = tab.find(&format!(">{name}</a>")).unwrap();
        tab[start..].split("</tr>").next().unwrap().to_string()
    };
    assert!(
        row_of("helper").contains("2 servers"),
        "{}",
        row_of("helper")
    );
    assert!(row_of("idler").contains("0 servers"));
    // The counts the database keeps follow every change made through the panel too.
    let servers_path = format!("/users/{acme}/alias-users/{helper}/servers");
    let count_after = |action: &'static str, server: Option<i32>| {
        let (b, path) = (&b, &servers_path);
        async move {
            let id = server.map(|s| s.to_string()).unwrap_or_default();
            let mut form = vec![("action", action)];
            if action == "none" {
                form.push(("confirm", "yes"));
            }
            if server.is_some() {
                form.push(("server_id", id.as_str()));
            }
            assert_status!(b.post(path, &form).await, 303);
            let tab = b.get_html(&format!("/users/{acme}/alias-users")).await;
            let start = tab.find(">helper</a>").unwrap();
            tab[start..].split("</tr>").next().unwrap().to_string()
        }
    };
    assert!(count_after("unassign", Some(ids[0]))
        .await
        .contains("1 server<"));
    assert!(count_after("assign", Some(ids[0]))
        .await
        .contains("2 servers"));
    assert!(count_after("assign", Some(ids[0]))
        .await
        .contains("2 servers"));
    assert!(count_after("none", None).await.contains("0 servers"));
}
