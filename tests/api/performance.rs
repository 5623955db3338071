//! The fixes the benchmark led to (BENCHMARKS.md), and its data generator: a page view
//! writes nothing to the session store yet an active session stays alive, the Alias Users
//! tab's server counts (now one hand-ordered query) still count only what the parent
//! reaches, and `bench-data` builds its installation on an empty database only.

use diesel::prelude::*;
use steward::bootstrap::bench::{self, Scale};
use steward::db::schema::{alias_servers, servers, sessions, users};
use steward::models::now;
use steward::models::server::NewServer;

use crate::helpers::TestApp;

backend_tests!(
    a_page_view_writes_nothing_to_the_session_store,
    an_active_session_has_its_idle_expiry_extended,
    a_session_past_its_expiry_is_logged_out,
    the_alias_users_tab_counts_only_assigned_servers_the_parent_still_reaches,
    bench_data_builds_the_tenth_size_installation_on_an_empty_database_only,
);

fn session_row(app: &TestApp, user: i32) -> (String, chrono::NaiveDateTime) {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .select((sessions::state, sessions::expires_at))
        .first(&mut app.conn())
        .unwrap()
}

async fn a_page_view_writes_nothing_to_the_session_store(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    // The first page shows (and so removes) the welcome flash: a real change.
    assert!(b
        .get_html("/servers")
        .await
        .contains("Welcome to Steward. This is your first login."));
    let before = session_row(&app, acme);
    for _ in 0..3 {
        assert_status!(b.get("/servers").await, 200);
    }
    assert_eq!(session_row(&app, acme), before);
    // A flash left by an action still shows once.
    assert!(!b.get_html("/servers").await.contains("Welcome to Steward"));
}

async fn an_active_session_has_its_idle_expiry_extended(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    diesel::update(sessions::table.filter(sessions::user_id.eq(acme)))
        .set(sessions::expires_at.eq(now() + chrono::Duration::hours(1)))
        .execute(&mut app.conn())
        .unwrap();
    assert_status!(b.get("/servers").await, 200);
    let (_, expires) = session_row(&app, acme);
    assert!(expires > now() + chrono::Duration::hours(11), "{expires}");
}

async fn a_session_past_its_expiry_is_logged_out(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let b = app.login("acme").await;
    diesel::update(sessions::table.filter(sessions::user_id.eq(acme)))
        .set(sessions::expires_at.eq(now() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();
    let res = b.get("/servers").await;
    assert_status!(res, 303);
    assert_eq!(res.headers()["location"], "/login");
}

fn add_server(app: &TestApp, hostname: &str, ip: &str, owner: i32) -> i32 {
    let at = now();
    NewServer {
        hostname,
        name: hostname,
        primary_ip: ip,
        location: "",
        tags: "",
        os: "",
        power_state: "on",
        status: "active",
        reseller_id: None,
        owner_id: Some(owner),
        cpu: "",
        memory_gb: 0,
        disks: "",
        created_at: at,
        updated_at: at,
    }
    .insert(&mut app.conn())
    .unwrap()
}

async fn the_alias_users_tab_counts_only_assigned_servers_the_parent_still_reaches(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("other", admin);
    let helper = app.insert_user("alias", "helper", None, Some(acme));
    app.insert_user("alias", "idler", None, Some(acme));
    let ids: Vec<i32> = (1..=3)
        .map(|n| {
            add_server(
                &app,
                &format!("web{n}.acme.test"),
                &format!("192.0.2.{n}"),
                acme,
            )
        })
        .collect();
    let rows: Vec<_> = ids
        .iter()
        .map(|s| {
            (
                alias_servers::alias_id.eq(helper),
                alias_servers::server_id.eq(*s),
            )
        })
        .collect();
    for row in rows {
        diesel::insert_into(alias_servers::table)
            .values(row)
            .execute(&mut app.conn())
            .unwrap();
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

async fn bench_data_builds_the_tenth_size_installation_on_an_empty_database_only(app: TestApp) {
    let mut conn = app.conn();
    let facts = bench::generate(&mut conn, Scale::Tenth).unwrap();
    let kinds: Vec<(String, i64)> = users::table
        .group_by(users::kind)
        .select((users::kind, diesel::dsl::count_star()))
        .order(users::kind.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        kinds,
        vec![
            ("admin".to_string(), 1),
            ("alias".to_string(), 50),
            ("reseller".to_string(), 2),
            ("user".to_string(), 200),
        ]
    );
    let total: i64 = servers::table.count().get_result(&mut conn).unwrap();
    let showcase: i64 = servers::table
        .filter(servers::owner_id.eq(facts.showcase_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let big: i64 = alias_servers::table
        .filter(alias_servers::alias_id.eq(facts.big_alias_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((total, showcase, big), (2_000, 1_000, 100));
    // The logins it prints work with the bench password.
    drop(conn);
    let b = app.browser();
    assert_eq!(
        b.login("bigalias", bench::BENCH_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(bench::generate(&mut app.conn(), Scale::Tenth).is_err());
}
