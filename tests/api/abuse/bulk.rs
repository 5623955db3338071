//! Bulk assignment: 10,000 servers assigned in one POST write one summarized audit row
//! (the count and the first hostnames), and the assignment and its counts are right.

use diesel::prelude::*;
use steward::db::schema::{alias_servers, audit_log, servers, users};

use crate::helpers::TestApp;

backend_tests!(assigning_ten_thousand_servers_writes_one_summarized_audit_row);

async fn assigning_ten_thousand_servers_writes_one_summarized_audit_row(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    app.many_servers(acme, 10_000);
    let r = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let ops = app.alias("ops", acme).role(r).create();
    let ids: Vec<String> = servers::table
        .filter(servers::owner_id.eq(acme))
        .order(servers::hostname)
        .select(servers::id)
        .load::<i32>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(ids.len(), 10_000);
    let b = app.login("acme").await;
    let mut form: Vec<(&str, &str)> = vec![("action", "assign")];
    form.extend(ids.iter().map(|i| ("server_id", i.as_str())));
    assert_status!(
        b.post(&format!("/users/{acme}/alias-users/{ops}/servers"), &form)
            .await,
        303
    );

    let assigned: i64 = alias_servers::table
        .filter(alias_servers::alias_id.eq(ops))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(assigned, 10_000);
    let counted: i32 = users::table
        .find(ops)
        .select(users::assigned_servers)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(counted, 10_000, "the kept count matches the rows");
    let rows: Vec<String> = audit_log::table
        .filter(audit_log::action.eq("alias.servers.assign"))
        .select(audit_log::details)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows.len(), 1, "one audit row for the bulk change");
    let details = &rows[0];
    assert!(
        details.starts_with("10000 servers: srv00000.example.net, srv00001.example.net"),
        "{details}"
    );
    assert!(details.ends_with("and 9995 more"), "{details}");
    assert!(details.len() < 300, "a summary, not the list");

    // Unassigning half keeps the count right too (one statement-level update on PostgreSQL).
    let half: Vec<(&str, &str)> = std::iter::once(("action", "unassign"))
        .chain(ids[..5000].iter().map(|i| ("server_id", i.as_str())))
        .collect();
    assert_status!(
        b.post(&format!("/users/{acme}/alias-users/{ops}/servers"), &half)
            .await,
        303
    );
    let counted: i32 = users::table
        .find(ops)
        .select(users::assigned_servers)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(counted, 5_000);
}
