//! The authorization matrix (issue 10): every route of the router × every kind of login,
//! with the expected answer written by hand — not derived from the access module — and,
//! after every request that must not change anything, a check that nothing changed.
//!
//! The route list is read from the route table in src/routes, so a new route without a
//! row here fails `every_route_of_the_router_has_a_row_in_the_matrix`.
//!
//! Runs on SQLite only: who may do what is decided in Rust over loaded rows, the same on
//! both backends, and the HTTP suite already runs every feature on PostgreSQL too.

use std::collections::BTreeSet;

use diesel::prelude::*;
use steward::db::schema::{server_ips, servers, users};
use steward::db::Backend;
use steward::models::now;

use crate::alias_users::{alias, assign, role};
use crate::helpers::{spawn_app, Browser, TestApp};

/// The kinds of login, in the order of every row's answers.
pub(crate) const COLS: [&str; 12] = [
    "anonymous",
    "admin",
    "admin's alias",
    "reseller",
    "account owner",
    "other reseller's customer",
    "alias (narrow role)",
    "alias (alias_users.manage)",
    "alias (all servers)",
    "disabled alias",
    "expired alias",
    "admin impersonating the owner",
];

/// Answers: 2 = 200, 3 = 303 elsewhere than /login, L = 303 to /login, 4 = 403, N = 404,
/// U = 422, C = 409, 1 = 401.
///
/// Paths: {id} the owner's account, {aid} its alias user with the narrow role, {rid} an
/// unused role of the account, {sid} a server of the account (assigned to the narrow
/// alias), {kid} an SSH or API key of the account owner, {file} a static asset.
///
///      method  path                                              body                     anon adm aAl res own oth nar mgr wid dis exp imp
pub(crate) const ROWS: &[(&str, &str, &str, &str)] = &[
    ("GET", "/", "", "L33333333LL3"),
    ("GET", "/account", "", "L33333333LL3"),
    ("GET", "/audit", "", "L24444444LL4"),
    ("GET", "/healthz", "", "222222222222"),
    ("GET", "/readyz", "", "222222222222"),
    ("GET", "/login", "", "233333333223"),
    ("GET", "/static/{file}", "", "222222222222"),
    ("GET", "/servers", "", "L22222222LL2"),
    ("GET", "/servers/{sid}", "", "L2N22N222LL2"),
    ("GET", "/servers/{sid}/console", "", "L2N22N444LL2"),
    ("GET", "/servers/{sid}/edit", "", "L2N44N444LL4"),
    ("GET", "/users", "", "L22244444LL4"),
    ("GET", "/users/{id}", "", "L2222N222LL2"),
    ("GET", "/users/{id}/servers", "", "L2222N222LL2"),
    ("GET", "/users/{id}/alias-users", "", "L2422N424LL2"),
    ("GET", "/users/{id}/alias-users/{aid}", "", "L2N22N22NLL2"),
    (
        "GET",
        "/users/{id}/alias-users/{aid}/role-preview",
        "",
        "L2N22N42NLL2",
    ),
    (
        "GET",
        "/users/{id}/alias-users/{aid}/servers",
        "",
        "L2N22N42NLL2",
    ),
    ("GET", "/users/{id}/activity", "", "L2222N444LL2"),
    ("GET", "/users/{id}/logins", "", "L2222N444LL2"),
    ("GET", "/users/{id}/roles", "", "L2422N444LL2"),
    ("GET", "/users/{id}/roles/new", "", "L2422N444LL2"),
    ("GET", "/users/{id}/roles/{rid}", "", "L2422N444LL2"),
    (
        "POST",
        "/login",
        "username=nobody&password=wrong-password",
        "UUUUUUUUUUUU",
    ),
    ("POST", "/logout", "", "LLLLLLLLLLLL"),
    ("POST", "/impersonation/stop", "", "333333333333"),
    (
        "POST",
        "/servers",
        "hostname=new-{n}.test&name=New&ip=10.250.{n}.9&location=FRA1&tags=web",
        "L34444444LL4",
    ),
    (
        "POST",
        "/servers/{sid}/edit",
        "hostname={sid_host}&name=Edited&ip={sid_ip}&location=AMS1&tags=db",
        "L3N44N444LL4",
    ),
    ("POST", "/servers/{sid}/delete", "", "L3N44N444LL4"),
    (
        "POST",
        "/servers/{sid}/owner",
        "user_id={id}",
        "L3N34N444LL4",
    ),
    ("POST", "/servers/{sid}/power", "action=on", "L3N33N443LL3"),
    (
        "POST",
        "/servers/{sid}/rename",
        "name=Renamed",
        "L3N33N444LL3",
    ),
    (
        "POST",
        "/servers/{sid}/rdns",
        "ip={sid_ip}&hostname=host.example.net",
        "L3N33N444LL3",
    ),
    (
        "POST",
        "/servers/{sid}/reinstall",
        "os=debian-12",
        "L3N33N444LL3",
    ),
    ("POST", "/servers/{sid}/rescue", "", "L3N33N444LL3"),
    (
        "POST",
        "/users",
        "username=made-{n}&email=made{n}@example.com&password=a-long-password",
        "L34344444LL4",
    ),
    (
        "POST",
        "/users/{id}",
        "form=profile&name=Renamed&email=owner{n}@example.com",
        "L3433N444LL3",
    ),
    (
        "POST",
        "/users/{id}/servers",
        "server={sid_host}&action=assign",
        "L3434N444LL4",
    ),
    ("POST", "/users/{id}/impersonate", "", "L3434N444LL4"),
    (
        "POST",
        "/users/{id}/alias-users",
        "username=new-alias-{n}&email=na{n}@example.com&password=a-long-password&role_id={rid}",
        "L3433N434LL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}",
        "email=changed{n}@example.com&expires_at=",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/role",
        "role_id={rid}",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/password",
        "password=another-long-password",
        "L3N33NU3NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/disable",
        "",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/enable",
        "",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/delete",
        "",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/impersonate",
        "",
        "L3N33N44NLL4",
    ),
    (
        "POST",
        "/users/{id}/alias-users/{aid}/servers",
        "action=assign&server_id={sid}",
        "L3N33N43NLL3",
    ),
    (
        "POST",
        "/users/{id}/roles",
        "name=Made {n}&permissions=servers.view",
        "L3433N444LL3",
    ),
    (
        "POST",
        "/users/{id}/roles/{rid}",
        "name=Spare {n}&permissions=servers.view",
        "L3433N444LL3",
    ),
    ("POST", "/users/{id}/roles/{rid}/delete", "", "L3433N444LL3"),
    ("GET", "/users/{id}/ssh-keys", "", "L2422N444LL4"),
    ("POST", "/users/{id}/ssh-keys", "name=Desk&public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7DkDFaKtqK5T513TXcviIWa586qssQgI/WqB50pSaC desk", "L3433N444LL4"),
    ("POST", "/users/{id}/ssh-keys/{kid}/delete", "", "L3433N444LL4"),
    ("GET", "/users/{id}/api-keys", "", "L2422N444LL4"),
    ("POST", "/users/{id}/api-keys", "name=Deploy&expires_at=", "L2422N444LL4"),
    ("POST", "/users/{id}/api-keys/{kid}/revoke", "", "L3433N444LL4"),
    ("GET", "/users/{id}/alias-users/{aid}/ssh-keys", "", "L2N22N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/ssh-keys", "name=Desk&public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7DkDFaKtqK5T513TXcviIWa586qssQgI/WqB50pSaC desk", "L3N33N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/ssh-keys/{kid}/delete", "", "L3N33N44NLL4"),
    ("GET", "/users/{id}/alias-users/{aid}/api-keys", "", "L2N22N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/api-keys", "name=Deploy&expires_at=", "L2N22N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/api-keys/{kid}/revoke", "", "L3N33N44NLL4"),
];

/// One set of fixtures; `n` keeps its names apart from every other world's.
pub(crate) struct World {
    pub(crate) n: u32,
    /// SSH and API key ids of the owner and of the narrow alias user.
    owner_ssh: i32,
    owner_api: i32,
    narrow_ssh: i32,
    narrow_api: i32,
    owner: i32,
    narrow: i32,
    spare_role: i32,
    s1: i32,
    s1_host: String,
    s1_ip: String,
    pub(crate) browsers: Vec<Option<Browser>>,
}

pub(crate) const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMNfJEwpJ4vBxJ55pm1ElbUdYRhGmJsUqVNfFp6RpaHk matrix@test";

fn ssh_key(app: &TestApp, user: i32) -> i32 {
    let key = steward::domain::SshPublicKey::parse(SSH_KEY).unwrap();
    steward::models::ssh_key::NewSshKey {
        user_id: user,
        name: "Laptop",
        public_key: key.as_openssh(),
        fingerprint: key.fingerprint(),
        created_at: now(),
    }
    .insert(&mut app.conn())
    .unwrap()
}

/// An API key of `user`: its id and its secret.
pub(crate) fn api_key(app: &TestApp, user: i32) -> (i32, String) {
    let secret = steward::security::api_key::ApiKeySecret::generate();
    let id = steward::models::api_key::NewApiKey {
        user_id: user,
        name: "Script",
        token_prefix: &secret.visible_prefix(),
        token_hash: &secret.hash(),
        expires_on: None,
        created_at: now(),
    }
    .insert(&mut app.conn())
    .unwrap();
    (id, secret.expose().to_string())
}

fn insert_server(app: &TestApp, host: &str, ip: &str, owner: i32, reseller: i32) -> i32 {
    let mut c = app.conn();
    let id = steward::insert_returning_id!(
        &mut *c,
        servers::table,
        (
            servers::hostname.eq(host),
            servers::name.eq(host),
            servers::primary_ip.eq(ip),
            servers::owner_id.eq(Some(owner)),
            servers::reseller_id.eq(Some(reseller)),
            servers::created_at.eq(now()),
            servers::updated_at.eq(now()),
        ),
        servers::id
    )
    .unwrap();
    diesel::insert_into(server_ips::table)
        .values((
            server_ips::server_id.eq(id),
            server_ips::ip.eq(ip),
            server_ips::rdns.eq(""),
        ))
        .execute(&mut *c)
        .unwrap_or_else(|e| panic!("{ip}: {e}"));
    id
}

/// Builds a world and logs in the columns asked for (all when `only` is None).
pub(crate) async fn world(app: &TestApp, n: u32, only: Option<usize>) -> World {
    let name = |s: &str| format!("{s}-{n}");
    let admin = app.admin(&name("admin"));
    let admin_role = role(app, admin, "Helpers", &["admin.users", "servers.view"]);
    alias(app, &name("admin-helper"), admin, admin_role, false);
    let res1 = app.reseller(&name("res1"), admin);
    let res2 = app.reseller(&name("res2"), admin);
    let owner = app.customer(&name("owner"), res1);
    let other = app.customer(&name("other"), res2);
    let narrow_role = role(app, owner, "Narrow", &["servers.view"]);
    let mgr_role = role(
        app,
        owner,
        "Managers",
        &["alias_users.manage", "servers.view"],
    );
    let wide_role = role(app, owner, "Wide", &["servers.view", "servers.power"]);
    let spare_role = role(app, owner, "Spare", &["servers.view"]);
    let narrow = alias(app, &name("narrow"), owner, narrow_role, false);
    let manager = alias(app, &name("manager"), owner, mgr_role, false);
    alias(app, &name("wide"), owner, wide_role, true);
    let disabled = alias(app, &name("disabled"), owner, narrow_role, false);
    let expired = alias(app, &name("expired"), owner, narrow_role, false);
    let s1_host = format!("s1-{n}.matrix.test");
    let s1_ip = format!("10.{}.{}.1", 100 + (n / 250) % 100, n % 250);
    let s1 = insert_server(app, &s1_host, &s1_ip, owner, res1);
    insert_server(
        app,
        &format!("s2-{n}.matrix.test"),
        &format!("10.{}.{}.2", 100 + (n / 250) % 100, n % 250),
        other,
        res2,
    );
    assign(app, narrow, s1);
    assign(app, manager, s1);
    let (owner_ssh, owner_api) = (ssh_key(app, owner), api_key(app, owner).0);
    let (narrow_ssh, narrow_api) = (ssh_key(app, narrow), api_key(app, narrow).0);

    let logins = [
        None,
        Some(name("admin")),
        Some(name("admin-helper")),
        Some(name("res1")),
        Some(name("owner")),
        Some(name("other")),
        Some(name("narrow")),
        Some(name("manager")),
        Some(name("wide")),
        Some(name("disabled")),
        Some(name("expired")),
        Some(name("admin")),
    ];
    let mut browsers = Vec::new();
    for (col, login) in logins.iter().enumerate() {
        if only.is_some_and(|o| o != col) {
            browsers.push(None);
            continue;
        }
        let b = match login {
            Some(l) => app.login(l).await,
            None => app.browser(),
        };
        if col == 11 {
            let res = b.post(&format!("/users/{owner}/impersonate"), &[]).await;
            assert_eq!(res.status().as_u16(), 303, "impersonation for the matrix");
        }
        browsers.push(Some(b));
    }
    // Shut out the disabled and the expired alias after they logged in.
    diesel::update(users::table.find(disabled))
        .set(users::disabled.eq(true))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(users::table.find(expired))
        .set(users::expires_on.eq(Some(now().date())))
        .execute(&mut app.conn())
        .unwrap();
    World {
        n,
        owner_ssh,
        owner_api,
        narrow_ssh,
        narrow_api,
        owner,
        narrow,
        spare_role,
        s1,
        s1_host,
        s1_ip,
        browsers,
    }
}

pub(crate) fn fill(template: &str, w: &World) -> String {
    let on_alias = template.contains("{aid}");
    let kid = match (
        template.contains("/ssh-keys/"),
        template.contains("/api-keys/"),
        on_alias,
    ) {
        (true, _, false) => w.owner_ssh,
        (true, _, true) => w.narrow_ssh,
        (_, true, false) => w.owner_api,
        (_, true, true) => w.narrow_api,
        _ => 0,
    };
    template
        .replace("{kid}", &kid.to_string())
        .replace("{id}", &w.owner.to_string())
        .replace("{aid}", &w.narrow.to_string())
        .replace("{rid}", &w.spare_role.to_string())
        .replace("{sid_host}", &w.s1_host)
        .replace("{sid_ip}", &w.s1_ip)
        .replace("{sid}", &w.s1.to_string())
        .replace("{file}", "app.css")
        .replace("{n}", &w.n.to_string())
}

/// What the database holds that a refused request must leave alone.
pub(crate) fn snapshot(app: &TestApp) -> String {
    use steward::db::schema::*;
    let mut c = app.conn();
    let users: Vec<steward::models::user::User> = users::table
        .order(users::id)
        .select(steward::models::user::User::as_select())
        .load(&mut *c)
        .unwrap();
    // Logging in moves last_login_at; that is not a change a request under test makes.
    let users: Vec<_> = users
        .into_iter()
        .map(|mut u| {
            u.last_login_at = None;
            u
        })
        .collect();
    let roles: Vec<(i32, String, String)> = alias_roles::table
        .order(alias_roles::id)
        .select((alias_roles::id, alias_roles::name, alias_roles::description))
        .load(&mut *c)
        .unwrap();
    let perms: Vec<(i32, String)> = alias_role_permissions::table
        .order((
            alias_role_permissions::role_id,
            alias_role_permissions::permission,
        ))
        .load(&mut *c)
        .unwrap();
    let servers: Vec<steward::models::server::Server> = servers::table
        .order(servers::id)
        .select(steward::models::server::Server::as_select())
        .load(&mut *c)
        .unwrap();
    let ips: Vec<(i32, i32, String, String)> = server_ips::table
        .order(server_ips::id)
        .load(&mut *c)
        .unwrap();
    let assigned: Vec<(i32, i32)> = alias_servers::table
        .order((alias_servers::alias_id, alias_servers::server_id))
        .load(&mut *c)
        .unwrap();
    let jobs: i64 = server_jobs::table.count().get_result(&mut *c).unwrap();
    let audit: i64 = audit_log::table.count().get_result(&mut *c).unwrap();
    let ssh: i64 = ssh_keys::table.count().get_result(&mut *c).unwrap();
    let api: Vec<(i32, Option<chrono::NaiveDateTime>)> = api_keys::table
        .order(api_keys::id)
        .select((api_keys::id, api_keys::revoked_at))
        .load(&mut *c)
        .unwrap();
    format!("{users:?}\n{roles:?}\n{perms:?}\n{servers:?}\n{ips:?}\n{assigned:?}\n{jobs} {audit} {ssh} {api:?}")
}

fn answer_code(res: &reqwest::Response) -> char {
    let to_login = res
        .headers()
        .get("location")
        .is_some_and(|l| l.to_str().unwrap_or("") == "/login");
    match res.status().as_u16() {
        200 => '2',
        303 if to_login => 'L',
        303 => '3',
        401 => '1',
        403 => '4',
        404 => 'N',
        409 => 'C',
        422 => 'U',
        other => char::from_digit((other / 100) as u32, 10).map_or('?', |_| '!'),
    }
}

async fn send(b: &Browser, method: &str, path: &str, body: &str) -> reqwest::Response {
    if method == "GET" {
        return b.get(path).await;
    }
    let token = b.csrf().await;
    let mut fields: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
    fields.push(("csrf_token".into(), token));
    b.client
        .post(b.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Requests expected to change something get a world of their own (a new API key is
/// shown with 200, every other change answers 303).
fn changes_state(method: &str, path: &str, expected: char) -> bool {
    method == "POST"
        && (expected == '3'
            || (expected == '2' && path.ends_with("/api-keys"))
            || path == "/logout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_login_as_written_by_hand() {
    let app = spawn_app(Backend::Sqlite).await;
    let shared = world(&app, 0, None).await;
    let mut next = 1;
    let mut failures = Vec::new();
    let mut tried = 0;
    for (method, template, body, answers) in ROWS {
        assert_eq!(
            answers.len(),
            COLS.len(),
            "{method} {template}: one answer per login"
        );
        for (col, expected) in answers.chars().enumerate() {
            tried += 1;
            let (w, isolated) = if changes_state(method, template, expected) {
                next += 1;
                (Some(world(&app, next, Some(col)).await), true)
            } else {
                (None, false)
            };
            let w = w.as_ref().unwrap_or(&shared);
            let path = fill(template, w);
            let body = fill(body, w);
            let b = w.browsers[col].as_ref().unwrap();
            let before = (!isolated).then(|| snapshot(&app));
            let res = send(b, method, &path, &body).await;
            let got = answer_code(&res);
            if got != expected {
                let text = res.text().await.unwrap_or_default();
                let hint: String = text
                    .lines()
                    .filter(|l| l.contains("<h1>") || l.contains("<p>"))
                    .take(2)
                    .collect();
                failures.push(format!(
                    "{method} {path} as {}: expected {expected}, got {got} {hint}",
                    COLS[col]
                ));
                continue;
            }
            if let Some(before) = before {
                let after = snapshot(&app);
                if before != after {
                    failures.push(format!(
                        "{method} {path} as {}: answered {got} but changed the database",
                        COLS[col]
                    ));
                }
            }
        }
    }
    eprintln!(
        "authorization matrix: {} routes × {} logins = {tried} requests",
        ROWS.len(),
        COLS.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {tried} answers differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every `.route("…", web::get()|post())` registered under src/routes.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let re = regex::Regex::new(r#"\.route\(\s*"([^"]+)",\s*web::(get|post)\(\)"#).unwrap();
    let mut found = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/routes"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // The JSON API's routes sit in a scope named "/api".
                let prefix = if path.components().any(|c| c.as_os_str() == "api") {
                    "/api"
                } else {
                    ""
                };
                for c in re.captures_iter(&text) {
                    found.insert((c[2].to_uppercase(), format!("{prefix}{}", &c[1])));
                }
            }
        }
    }
    found
}

#[test]
fn every_route_of_the_router_has_a_row_in_the_matrix() {
    let in_source = routes_in_source();
    assert!(
        in_source.len() > 30,
        "the route table was read ({} routes)",
        in_source.len()
    );
    let in_matrix: BTreeSet<(String, String)> = ROWS
        .iter()
        .chain(crate::json_api_matrix::ROWS.iter())
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = in_source.difference(&in_matrix).collect();
    let stale: Vec<_> = in_matrix.difference(&in_source).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );
}
