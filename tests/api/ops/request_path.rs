//! What one request costs the database, read from the real `steward serve` binary's
//! metrics (`steward_db_handoffs_per_request`, by route): a logged-in page view reads its
//! session, its login's rights and its own rows in one hand-off to a blocking thread
//! (an account's tab included, whose account is read in the same hand-off; the access
//! review's CSV too, before its stream reads in chunks of its own); a form's POST
//! reads its session and makes its change in one transaction, and its flash message
//! travels in a cookie, so neither the POST nor the page showing it writes the session;
//! static files and anonymous pages cost none, whatever cookie they carry. An API call
//! finds its key, its login's rights and its own rows (or makes its change) in one
//! hand-off too, the key's `last_used_at` included.
//! A separate process, so that no other test's requests are counted with these.

use std::time::Duration;

use steward::db::Backend;

use crate::helpers::spawn_app;
use crate::resilience::{free_port, named_cookie, Instance, Session};

async fn scrape(bind: &str) -> String {
    reqwest::get(format!("http://{bind}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body")
}

/// The (sum, count) of a route's hand-off histogram.
fn handoffs(text: &str, route: &str) -> (f64, f64) {
    handoffs_of(text, "GET", route)
}

fn handoffs_of(text: &str, method: &str, route: &str) -> (f64, f64) {
    let read = |what: &str| {
        let series = format!(
            "steward_db_handoffs_per_request_{what}{{method=\"{method}\",route=\"{route}\"}} "
        );
        text.lines()
            .find_map(|l| l.strip_prefix(&series))
            .map_or(0.0, |v| v.trim().parse().expect("a number"))
    };
    (read("sum"), read("count"))
}

async fn a_page_view_reads_session_rights_and_rows_in_one_handoff(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let mut aliases = Vec::new();
    for n in 0..3 {
        aliases.push(app.alias(&format!("acme-ops{n}"), acme).create());
    }
    let bind = format!("127.0.0.1:{}", free_port());
    let panel = Instance::start_with(&app.database_url, &[("STEWARD_METRICS_BIND", &bind)]);
    let address = panel.address.clone();
    let boss = Session::login(&address, "boss").await;
    let before = scrape(&bind).await;

    for _ in 0..3 {
        boss.get_html(&address, "/servers").await;
    }
    let tab = format!("/users/{acme}/alias-users");
    for _ in 0..2 {
        let html = boss.get_html(&address, &tab).await;
        assert!(html.contains("acme-ops2"), "the tab lists the alias users");
    }
    let roles = boss
        .get_html(&address, &format!("/users/{acme}/roles"))
        .await;
    assert!(roles.contains("Roles"), "the Roles tab answers");
    let pages = view_pages(&boss, &address, acme, aliases[1]).await;
    let dialog = format!("/users/{acme}/alias-users/{}/servers", aliases[0]);
    boss.get_html(&address, &dialog).await;
    boss.get_html(&address, &format!("{dialog}?q=web")).await;
    let web1 = app.server("web1").owned_by(acme).create();
    assert_status!(
        boss.post(
            &address,
            &dialog,
            &[("action", "assign"), ("server_id", &web1.to_string())],
        )
        .await
        .expect("assign"),
        303,
        "the assign POST is acknowledged"
    );
    assert_eq!(
        assigned(&app, aliases[0]),
        vec![web1],
        "the server is assigned"
    );
    // Two more forms, of other features: a role created, a server renamed.
    assert_status!(
        boss.post(
            &address,
            &format!("/users/{acme}/roles"),
            &[("name", "Auditors"), ("permissions", "servers.view")],
        )
        .await
        .expect("role"),
        303,
        "the role is created"
    );
    let res = boss
        .post(
            &address,
            &format!("/servers/{web1}/rename"),
            &[("name", "Web one")],
        )
        .await
        .expect("rename");
    assert_status!(res, 303, "the server is renamed");
    // The next page shows the POST's message from its cookie, and drops the cookie.
    let flash = named_cookie(&res, "steward_session_flash=").expect("a flash cookie");
    let shown = reqwest::Client::new()
        .get(format!("{address}/servers"))
        .header("Cookie", format!("{}; {flash}", boss.cookie))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the page after the POST");
    assert!(
        named_cookie(&shown, "steward_session_flash=;").is_some(),
        "the page that shows the message removes its cookie"
    );
    assert!(shown
        .text()
        .await
        .expect("body")
        .contains("flash flash-success"));
    for _ in 0..2 {
        assert_status!(
            boss.get(&address, "/static/app.css").await.expect("css"),
            200
        );
    }
    let anonymous = reqwest::Client::new();
    assert_status!(
        anonymous
            .get(format!("{address}/login"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("login page"),
        200
    );
    let after = scrape(&bind).await;

    let delta = |route: &str| {
        let (s0, n0) = handoffs(&before, route);
        let (s1, n1) = handoffs(&after, route);
        (s1 - s0, n1 - n0)
    };
    assert_eq!(
        delta("/servers"),
        (4.0, 4.0),
        "four views of /servers, one showing a flash message: one hand-off each, for \
         session, rights and rows together"
    );
    assert_eq!(
        delta("/users/{id}/alias-users"),
        (2.0, 2.0),
        "two views of an account's Alias Users tab: one hand-off each, the account included"
    );
    assert_eq!(delta("/users/{id}/roles"), (1.0, 1.0), "the Roles tab: one");
    assert_eq!(
        delta("/users/{id}/alias-users/{aid}/servers"),
        (2.0, 2.0),
        "the Assign Servers dialog, listed and searched: one hand-off each"
    );
    let costly: Vec<String> = pages
        .iter()
        .map(|route| (route, delta(route)))
        .filter(|(_, d)| *d != (1.0, 1.0))
        .map(|(route, (sum, n))| format!("{route}: {sum} hand-offs in {n} views"))
        .collect();
    assert!(
        costly.is_empty(),
        "every page view reads in one hand-off: {costly:?}"
    );
    let (s0, n0) = handoffs_of(&before, "POST", "/users/{id}/alias-users/{aid}/servers");
    let (s1, n1) = handoffs_of(&after, "POST", "/users/{id}/alias-users/{aid}/servers");
    let (sum, n) = (s1 - s0, n1 - n0);
    assert_eq!(
        (sum, n),
        (1.0, 1.0),
        "the assign POST: session, target and change in one transaction; its flash \
         message needs no session write"
    );
    for route in ["/users/{id}/roles", "/servers/{sid}/rename"] {
        let (s0, n0) = handoffs_of(&before, "POST", route);
        let (s1, n1) = handoffs_of(&after, "POST", route);
        assert_eq!(
            (s1 - s0, n1 - n0),
            (1.0, 1.0),
            "POST {route}: session, rights and change in one transaction"
        );
    }
    assert_eq!(
        delta("/static/{file}"),
        (0.0, 2.0),
        "static files cost no database work, even with a session cookie"
    );
    assert_eq!(
        delta("/login"),
        (0.0, 1.0),
        "an anonymous visitor's login page costs no database work"
    );

    // A server's pages, an account's Servers tab, an alias user's page and its role
    // preview, and the role editor: one hand-off per view too.
    {
        let role = app
            .role(acme, "Operators")
            .perms(&["servers.view"])
            .create();
        let alias = aliases[1];
        let before = scrape(&bind).await;
        let server = format!("/servers/{web1}");
        let html = boss.get_html(&address, &server).await;
        assert!(html.contains("web1"), "the server page shows the server");
        boss.get_html(&address, &format!("{server}/edit")).await;
        boss.get_html(&address, &format!("{server}/console")).await;
        let servers_tab = boss
            .get_html(&address, &format!("/users/{acme}/servers"))
            .await;
        assert!(servers_tab.contains("web1"), "the Servers tab lists it");
        let page = format!("/users/{acme}/alias-users/{alias}");
        let html = boss.get_html(&address, &page).await;
        assert!(html.contains("acme-ops1"), "the alias user page answers");
        boss.get_html(&address, &format!("{page}?preview_role={role}"))
            .await;
        let preview = format!("{page}/role-preview?role_id={role}");
        boss.get_html(&address, &preview).await;
        assert_status!(
            reqwest::Client::new()
                .get(format!("{address}{preview}"))
                .header("Cookie", &boss.cookie)
                .header("HX-Request", "true")
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .expect("the preview fragment"),
            200,
            "the preview fragment"
        );
        boss.get_html(&address, &format!("/users/{acme}/roles/new"))
            .await;
        let editor = boss
            .get_html(&address, &format!("/users/{acme}/roles/{role}"))
            .await;
        assert!(
            editor.contains("Operators"),
            "the role editor shows the role"
        );
        let after = scrape(&bind).await;
        let delta = |route: &str| {
            let (s0, n0) = handoffs(&before, route);
            let (s1, n1) = handoffs(&after, route);
            (s1 - s0, n1 - n0)
        };
        assert_eq!(delta("/servers/{sid}"), (1.0, 1.0), "the server page: one");
        assert_eq!(
            delta("/servers/{sid}/edit"),
            (1.0, 1.0),
            "its edit form: one"
        );
        assert_eq!(
            delta("/servers/{sid}/console"),
            (1.0, 1.0),
            "its console: one"
        );
        assert_eq!(
            delta("/users/{id}/servers"),
            (1.0, 1.0),
            "an account's Servers tab: one"
        );
        assert_eq!(
            delta("/users/{id}/alias-users/{aid}"),
            (2.0, 2.0),
            "an alias user's page, with and without a role previewed: one each"
        );
        assert_eq!(
            delta("/users/{id}/alias-users/{aid}/role-preview"),
            (2.0, 2.0),
            "the role preview, as a page and as the htmx fragment: one each"
        );
        assert_eq!(
            delta("/users/{id}/roles/new"),
            (1.0, 1.0),
            "a new role: one"
        );
        assert_eq!(
            delta("/users/{id}/roles/{rid}"),
            (1.0, 1.0),
            "an existing role in the editor: one"
        );
    }
}

/// Views each page of the account tabs, the logs, the access review, the key pages, the
/// admin pages and the login's own security pages once, and answers their routes as the
/// metrics name them.
async fn view_pages(boss: &Session, address: &str, acme: i32, alias: i32) -> Vec<&'static str> {
    let pages = [
        ("/users", "/users?q=acme".to_string()),
        ("/users/{id}", format!("/users/{acme}")),
        ("/users/{id}/activity", format!("/users/{acme}/activity")),
        ("/users/{id}/logins", format!("/users/{acme}/logins")),
        ("/audit", "/audit".to_string()),
        (
            "/users/{id}/access-review",
            format!("/users/{acme}/access-review"),
        ),
        (
            "/users/{id}/access-review.csv",
            format!("/users/{acme}/access-review.csv"),
        ),
        ("/admin/throttles", "/admin/throttles".to_string()),
        ("/admin/mail", "/admin/mail".to_string()),
        ("/users/{id}/ssh-keys", format!("/users/{acme}/ssh-keys")),
        ("/users/{id}/api-keys", format!("/users/{acme}/api-keys")),
        (
            "/users/{id}/alias-users/{aid}/ssh-keys",
            format!("/users/{acme}/alias-users/{alias}/ssh-keys"),
        ),
        (
            "/users/{id}/alias-users/{aid}/api-keys",
            format!("/users/{acme}/alias-users/{alias}/api-keys"),
        ),
        ("/account/security", "/account/security".to_string()),
        (
            "/account/security/recovery-codes",
            "/account/security/recovery-codes".to_string(),
        ),
    ];
    for (_, path) in &pages {
        boss.get_html(address, path).await;
    }
    pages.into_iter().map(|(route, _)| route).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_view_reads_session_rights_and_rows_in_one_handoff_sqlite() {
    a_page_view_reads_session_rights_and_rows_in_one_handoff(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_view_reads_session_rights_and_rows_in_one_handoff_postgres() {
    a_page_view_reads_session_rights_and_rows_in_one_handoff(Backend::Postgres).await;
}

async fn an_api_call_reads_key_rights_and_rows_in_one_handoff(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops = app.alias("acme-ops", acme).create();
    let web1 = app.server("web1").owned_by(acme).create();
    app.server("db1").owned_by(acme).create();
    let key = app.api_key(acme, None);
    let bind = format!("127.0.0.1:{}", free_port());
    let panel = Instance::start_with(&app.database_url, &[("STEWARD_METRICS_BIND", &bind)]);
    let address = panel.address.clone();
    let client = reqwest::Client::new();
    let call = |method: &str, path: &str, body: Option<&str>| {
        let mut req = client
            .request(
                method.parse().expect("a method"),
                format!("{address}{path}"),
            )
            .bearer_auth(&key)
            .timeout(Duration::from_secs(30));
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        req.send()
    };
    let before = scrape(&bind).await;

    for path in [
        "/api/v1/servers",
        "/api/v1/servers?q=web1",
        "/api/v1/servers",
    ] {
        assert_status!(
            call("GET", path, None).await.expect("servers"),
            200,
            "the key lists its servers"
        );
    }
    for _ in 0..2 {
        let res = call("GET", "/api/v1/alias-users", None)
            .await
            .expect("aliases");
        assert_status!(res, 200, "the key lists the account's alias users");
        let body = res.text().await.expect("body");
        assert!(body.contains("acme-ops"), "the list names the alias user");
    }
    let servers = format!("/api/v1/alias-users/{ops}/servers");
    assert_status!(
        call(
            "PUT",
            &servers,
            Some(&format!(r#"{{"all": false, "server_ids": [{web1}]}}"#)),
        )
        .await
        .expect("assign"),
        200,
        "the key assigns a server"
    );
    assert_eq!(assigned(&app, ops), vec![web1], "the server is assigned");
    let after = scrape(&bind).await;

    let delta = |method: &str, route: &str| {
        let (s0, n0) = handoffs_of(&before, method, route);
        let (s1, n1) = handoffs_of(&after, method, route);
        (s1 - s0, n1 - n0)
    };
    assert_eq!(
        delta("GET", "/api/v1/servers"),
        (3.0, 3.0),
        "three lists of servers (one searched): key, rights and rows in one hand-off each"
    );
    assert_eq!(
        delta("GET", "/api/v1/alias-users"),
        (2.0, 2.0),
        "two lists of alias users: one hand-off each"
    );
    assert_eq!(
        delta("PUT", "/api/v1/alias-users/{aid}/servers"),
        (1.0, 1.0),
        "a change: key, rights, target, change and answer in one transaction"
    );
    let used = {
        use diesel::prelude::*;
        use steward::db::schema::api_keys;
        api_keys::table
            .filter(api_keys::user_id.eq(acme))
            .select(api_keys::last_used_at)
            .first::<Option<chrono::NaiveDateTime>>(&mut *app.conn())
            .expect("the key")
    };
    assert!(used.is_some(), "the calls marked the key as used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_call_reads_key_rights_and_rows_in_one_handoff_sqlite() {
    an_api_call_reads_key_rights_and_rows_in_one_handoff(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_call_reads_key_rights_and_rows_in_one_handoff_postgres() {
    an_api_call_reads_key_rights_and_rows_in_one_handoff(Backend::Postgres).await;
}

/// The servers assigned to an alias user.
fn assigned(app: &crate::helpers::TestApp, alias: i32) -> Vec<i32> {
    use diesel::prelude::*;
    use steward::db::schema::alias_servers;
    alias_servers::table
        .filter(alias_servers::alias_id.eq(alias))
        .select(alias_servers::server_id)
        .load(&mut *app.conn())
        .expect("assigned")
}

/// Counts rows of the `users` table (diesel's `count` through the multi-backend connection).
fn users(c: &mut steward::db::DbConn) -> i64 {
    use diesel::prelude::*;
    use steward::db::schema::users;
    users::table.count().get_result(c).expect("count")
}

async fn a_read_snapshot_is_not_changed_by_a_write_committed_meanwhile(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("boss");
    let pool = steward::db::connect(&app.database_url).expect("pool");
    let mut reader = pool.get().expect("a connection");
    let (first, second) = steward::db::read_snapshot(&mut reader, |c| {
        let first = users(c);
        // Another request (the app's own pool) creates a login between two reads.
        app.customer("meanwhile", admin);
        Ok::<_, diesel::result::Error>((first, users(c)))
    })
    .expect("snapshot");
    assert_eq!(first, second, "the second read sees what the first saw");
    assert_eq!(
        users(&mut reader),
        first + 1,
        "the write is seen once it ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_snapshot_the_session_load_uses_is_one_state_sqlite() {
    a_read_snapshot_is_not_changed_by_a_write_committed_meanwhile(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_snapshot_the_session_load_uses_is_one_state_postgres() {
    a_read_snapshot_is_not_changed_by_a_write_committed_meanwhile(Backend::Postgres).await;
}
