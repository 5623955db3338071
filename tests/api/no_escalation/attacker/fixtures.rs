//! Worlds written straight to the database for the escalation tests and the generated
//! attacker: logins, roles, servers and assignments. Plain SQL on purpose: these tests
//! judge `src/` from the outside, so they lean on the tables (migrations/) and not on the
//! models or enums the code under test is free to reshape. Every login's password is
//! `helpers::PASSWORD`.

use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use steward::db::DbConn;

use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// A text value as an SQL literal (test data only; quotes doubled).
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(id: Option<i32>) -> String {
    id.map_or("NULL".into(), |i| i.to_string())
}

/// Runs a statement; panics with the SQL on failure.
pub fn exec(app: &TestApp, sql: &str) {
    let mut c = app.conn();
    let done = match &mut *c {
        DbConn::Postgres(c) => diesel::sql_query(sql).execute(c),
        DbConn::Sqlite(c) => diesel::sql_query(sql).execute(c),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Loads rows of a query on whichever backend the app runs.
pub fn rows<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    let mut c = app.conn();
    let got = match &mut *c {
        DbConn::Postgres(c) => diesel::sql_query(sql).load::<T>(c),
        DbConn::Sqlite(c) => diesel::sql_query(sql).load::<T>(c),
    };
    got.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn insert_id(app: &TestApp, sql: &str) -> i32 {
    rows::<Id>(app, &format!("{sql} RETURNING id"))[0].id
}

/// A login row: an account (`owner`) or an alias user (`parent`, `role`).
pub fn login(
    app: &TestApp,
    kind: &str,
    username: &str,
    owner: Option<i32>,
    parent: Option<i32>,
    role: Option<i32>,
) -> i32 {
    insert_id(
        app,
        &format!(
            "INSERT INTO users (kind, username, username_key, name, email, password_hash, \
             owner_id, parent_id, role_id, all_servers, disabled, created_at) VALUES \
             ({}, {}, {}, {}, {}, {}, {}, {}, {}, false, false, CURRENT_TIMESTAMP)",
            lit(kind),
            lit(username),
            lit(&username.to_ascii_lowercase()),
            lit(&format!("{username} name")),
            lit(&format!("{username}@example.com")),
            lit(&TestApp::hash()),
            opt(owner),
            opt(parent),
            opt(role),
        ),
    )
}

pub fn admin(app: &TestApp, username: &str) -> i32 {
    login(app, "admin", username, None, None, None)
}
pub fn reseller(app: &TestApp, username: &str, admin: i32) -> i32 {
    login(app, "reseller", username, Some(admin), None, None)
}
pub fn customer(app: &TestApp, username: &str, owner: i32) -> i32 {
    login(app, "user", username, Some(owner), None, None)
}

/// An alias user of `parent` with `role`, reaching all the parent's servers or `servers`.
pub fn alias(
    app: &TestApp,
    username: &str,
    parent: i32,
    role: i32,
    all_servers: bool,
    servers: &[i32],
) -> i32 {
    let id = login(app, "alias", username, None, Some(parent), Some(role));
    set_all_servers(app, id, all_servers);
    assign(app, id, servers);
    id
}

pub fn set_all_servers(app: &TestApp, alias: i32, all: bool) {
    exec(
        app,
        &format!("UPDATE users SET all_servers = {all} WHERE id = {alias}"),
    );
}

pub fn assign(app: &TestApp, alias: i32, servers: &[i32]) {
    for s in servers {
        exec(
            app,
            &format!("INSERT INTO alias_servers (alias_id, server_id) VALUES ({alias}, {s})"),
        );
    }
}

/// A role of `account` holding `keys`.
pub fn role(app: &TestApp, account: i32, name: &str, keys: &[&str]) -> i32 {
    let id = insert_id(
        app,
        &format!(
            "INSERT INTO alias_roles (account_id, name, name_key, description, created_at, \
             updated_at) VALUES ({account}, {}, {}, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            lit(name),
            lit(&name.to_lowercase()),
        ),
    );
    for k in keys {
        exec(
            app,
            &format!(
                "INSERT INTO alias_role_permissions (role_id, permission) VALUES ({id}, {})",
                lit(k)
            ),
        );
    }
    id
}

/// A server held by `reseller` and/or `owner`, powered off, with its primary address.
pub fn server(
    app: &TestApp,
    hostname: &str,
    ip: &str,
    reseller: Option<i32>,
    owner: Option<i32>,
) -> i32 {
    let id = insert_id(
        app,
        &format!(
            "INSERT INTO servers (hostname, name, primary_ip, tags, power_state, reseller_id, \
             owner_id, created_at, updated_at) VALUES ({}, {}, {}, 'web', 'off', {}, {}, \
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            lit(hostname),
            lit(hostname),
            lit(ip),
            opt(reseller),
            opt(owner),
        ),
    );
    exec(
        app,
        &format!(
            "INSERT INTO server_ips (server_id, ip, rdns) VALUES ({id}, {}, '')",
            lit(ip)
        ),
    );
    id
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    #[diesel(sql_type = Text)]
    pub power_state: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub reseller_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub jobs: i32,
}

/// A server's power state, holders and number of jobs.
pub fn server_state(app: &TestApp, sid: i32) -> ServerState {
    rows::<ServerState>(
        app,
        &format!(
            "SELECT power_state, reseller_id, owner_id, \
             CAST((SELECT COUNT(*) FROM server_jobs WHERE server_id = {sid}) AS INTEGER) AS jobs \
             FROM servers WHERE id = {sid}"
        ),
    )
    .pop()
    .expect("server exists")
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct LoginState {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub role_id: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub all_servers: bool,
    #[diesel(sql_type = Bool)]
    pub disabled: bool,
}

/// The columns of a login that decide its rights, and its display name.
pub fn login_state(app: &TestApp, id: i32) -> LoginState {
    rows::<LoginState>(
        app,
        &format!(
            "SELECT kind, name, owner_id, role_id, all_servers, disabled FROM users WHERE id = {id}"
        ),
    )
    .pop()
    .expect("login exists")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `SELECT COUNT(*) …` as a number.
pub fn count(app: &TestApp, sql_from_where: &str) -> i64 {
    rows::<Count>(
        app,
        &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {sql_from_where}"),
    )[0]
    .n
}

/// The permission keys of a role, sorted.
pub fn role_keys(app: &TestApp, role: i32) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        permission: String,
    }
    let mut keys: Vec<String> = rows::<Key>(
        app,
        &format!("SELECT permission FROM alias_role_permissions WHERE role_id = {role}"),
    )
    .into_iter()
    .map(|k| k.permission)
    .collect();
    keys.sort();
    keys
}
