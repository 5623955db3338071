//! The fixtures of the authorization matrix: one world of logins, roles, servers and keys
//! per isolated cell, and how a row's path template and target name are filled in.
//!
//! Actors (the columns) and targets are chosen so that a target can be weaker than, equal
//! to, or stronger than the actor by permission, by servers and by kind:
//! the manager alias holds `servers.view` and `servers.power` on s1 only, with the
//! alias_users.* and alias_roles.manage rights; the "strong" alias adds
//! `servers.reinstall` on s1 (stronger by permission); the wide and the shared alias reach
//! all servers of the account (stronger by servers); res1 and the admin are stronger by
//! kind than anyone of the owner's account; "fresh" is a customer of the admin with
//! nothing yet, the kind of account an admin's alias can create.

use diesel::prelude::*;
use steward::db::schema::{server_ips, servers, users};
use steward::models::now;

use crate::helpers::{Browser, TestApp};

/// One set of fixtures; `n` keeps its names apart from every other world's.
pub(crate) struct World {
    pub(crate) n: u32,
    pub(crate) admin: i32,
    pub(crate) res1: i32,
    pub(crate) owner: i32,
    pub(crate) neighbour: i32,
    pub(crate) fresh: i32,
    pub(crate) narrow: i32,
    pub(crate) manager: i32,
    pub(crate) wide: i32,
    pub(crate) strong: i32,
    pub(crate) disabled: i32,
    pub(crate) narrow_role: i32,
    pub(crate) manager_role: i32,
    pub(crate) shared_role: i32,
    pub(crate) spare_role: i32,
    /// SSH and API key ids of the owner and of the narrow alias user.
    pub(crate) owner_ssh: i32,
    pub(crate) owner_api: i32,
    pub(crate) narrow_ssh: i32,
    pub(crate) narrow_api: i32,
    pub(crate) s1: i32,
    pub(crate) s1_host: String,
    pub(crate) s1_ip: String,
    /// The owner's second server, assigned to no alias user.
    pub(crate) s3: i32,
    /// A server of res1's that no customer holds yet.
    pub(crate) pool: i32,
    pub(crate) pool_host: String,
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
    app.key_for(user).create()
}

fn insert_server(app: &TestApp, host: &str, ip: &str, owner: Option<i32>, reseller: i32) -> i32 {
    let mut c = app.conn();
    let id = steward::insert_returning_id!(
        &mut *c,
        servers::table,
        (
            servers::hostname.eq(host),
            servers::name.eq(host),
            servers::primary_ip.eq(ip),
            servers::owner_id.eq(owner),
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

/// The usernames of the columns' logins in world `n` (None: anonymous).
pub(crate) fn column_logins(n: u32) -> [Option<String>; 12] {
    let name = |s: &str| Some(format!("{s}-{n}"));
    [
        None,
        name("admin"),
        name("admin-helper"),
        name("res1"),
        name("owner"),
        name("other"),
        name("narrow"),
        name("manager"),
        name("wide"),
        name("disabled"),
        name("expired"),
        name("admin"),
    ]
}

/// Builds a world and logs in the columns asked for (all when `only` is None).
pub(crate) async fn world(app: &TestApp, n: u32, only: Option<usize>) -> World {
    let name = |s: &str| format!("{s}-{n}");
    let admin = app.admin(&name("admin"));
    let admin_role = app
        .role(admin, "Helpers")
        .perms(&["admin.users", "servers.view"])
        .create();
    app.alias(&name("admin-helper"), admin)
        .role(admin_role)
        .create();
    let res1 = app.reseller(&name("res1"), admin);
    let res2 = app.reseller(&name("res2"), admin);
    let owner = app.customer(&name("owner"), res1);
    let neighbour = app.customer(&name("neighbour"), res1);
    let fresh = app.customer(&name("fresh"), admin);
    let other = app.customer(&name("other"), res2);
    let narrow_role = app.role(owner, "Narrow").perms(&["servers.view"]).create();
    let manager_role = app
        .role(owner, "Managers")
        .perms(&[
            "alias_users.manage",
            "alias_users.impersonate",
            "alias_roles.manage",
            "servers.view",
            "servers.power",
        ])
        .create();
    let wide_role = app
        .role(owner, "Wide")
        .perms(&["servers.view", "servers.power"])
        .create();
    let strong_role = app
        .role(owner, "Strong")
        .perms(&["servers.view", "servers.power", "servers.reinstall"])
        .create();
    let shared_role = app.role(owner, "Shared").perms(&["servers.view"]).create();
    let spare_role = app.role(owner, "Spare").perms(&["servers.view"]).create();
    let narrow = app.alias(&name("narrow"), owner).role(narrow_role).create();
    let manager = app
        .alias(&name("manager"), owner)
        .role(manager_role)
        .create();
    let wide = app
        .alias(&name("wide"), owner)
        .role(wide_role)
        .all_servers(true)
        .create();
    let strong = app.alias(&name("strong"), owner).role(strong_role).create();
    app.alias(&name("shared"), owner)
        .role(shared_role)
        .all_servers(true)
        .create();
    let disabled = app
        .alias(&name("disabled"), owner)
        .role(narrow_role)
        .create();
    let expired = app
        .alias(&name("expired"), owner)
        .role(narrow_role)
        .create();
    let net = format!("10.{}.{}", 100 + (n / 250) % 100, n % 250);
    let s1_host = format!("s1-{n}.matrix.test");
    let s1_ip = format!("{net}.1");
    let s1 = insert_server(app, &s1_host, &s1_ip, Some(owner), res1);
    insert_server(
        app,
        &format!("s2-{n}.matrix.test"),
        &format!("{net}.2"),
        Some(other),
        res2,
    );
    let s3 = insert_server(
        app,
        &format!("s3-{n}.matrix.test"),
        &format!("{net}.3"),
        Some(owner),
        res1,
    );
    let pool_host = format!("pool-{n}.matrix.test");
    let pool = insert_server(app, &pool_host, &format!("{net}.4"), None, res1);
    app.assign(narrow, s1);
    app.assign(manager, s1);
    app.assign(strong, s1);
    let (owner_ssh, owner_api) = (ssh_key(app, owner), api_key(app, owner).0);
    let (narrow_ssh, narrow_api) = (ssh_key(app, narrow), api_key(app, narrow).0);

    let mut browsers = Vec::new();
    for (col, login) in column_logins(n).iter().enumerate() {
        if only.is_some_and(|o| o != col) {
            browsers.push(None);
            continue;
        }
        let b = match login {
            Some(l) => app.login(l).await,
            None => app.browser(),
        };
        if col == 11 {
            assert_status!(
                b.post(&format!("/users/{owner}/impersonate"), &[]).await,
                303,
                "impersonation for the matrix"
            );
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
        admin,
        res1,
        owner,
        neighbour,
        fresh,
        narrow,
        manager,
        wide,
        strong,
        disabled,
        narrow_role,
        manager_role,
        shared_role,
        spare_role,
        owner_ssh,
        owner_api,
        narrow_ssh,
        narrow_api,
        s1,
        s1_host,
        s1_ip,
        s3,
        pool,
        pool_host,
        browsers,
    }
}

/// The ids a row's placeholders stand for: by default {id} the owner's account, {aid} its
/// narrow alias, {rid} an unused role, {sid} s1; a row's target names another.
pub(crate) struct Ids {
    pub(crate) id: i32,
    pub(crate) aid: i32,
    pub(crate) rid: i32,
    pub(crate) sid: i32,
}

impl World {
    pub(crate) fn ids(&self, target: &str) -> Ids {
        let mut ids = Ids {
            id: self.owner,
            aid: self.narrow,
            rid: self.spare_role,
            sid: self.s1,
        };
        for part in target.split(',').filter(|p| !p.is_empty()) {
            match part {
                "id=res1" => ids.id = self.res1,
                "id=admin" => ids.id = self.admin,
                "id=fresh" => ids.id = self.fresh,
                "aid=strong" => ids.aid = self.strong,
                "aid=wide" => ids.aid = self.wide,
                "aid=manager" => ids.aid = self.manager,
                "aid=disabled" => ids.aid = self.disabled,
                "rid=narrow" => ids.rid = self.narrow_role,
                "rid=shared" => ids.rid = self.shared_role,
                "rid=managers" => ids.rid = self.manager_role,
                "sid=s3" => ids.sid = self.s3,
                other => panic!("unknown target {other}"),
            }
        }
        ids
    }
}

pub(crate) fn fill(template: &str, w: &World, target: &str) -> String {
    let ids = w.ids(target);
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
        .replace("{sess}", "nosuchsession")
        .replace("{id}", &ids.id.to_string())
        .replace("{aid}", &ids.aid.to_string())
        .replace("{rid}", &ids.rid.to_string())
        .replace("{neighbour}", &w.neighbour.to_string())
        .replace("{sid_host}", &w.s1_host)
        .replace("{sid_ip}", &w.s1_ip)
        .replace("{pool_host}", &w.pool_host)
        .replace("{s3}", &w.s3.to_string())
        .replace("{sid}", &ids.sid.to_string())
        .replace("{file}", "app.css")
        .replace("{new_ip}", &new_ip(w.n))
        .replace("{n}", &w.n.to_string())
}

/// A valid address no world uses, for a server a row creates.
pub(crate) fn new_ip(n: u32) -> String {
    format!("10.{}.{}.9", 200 + (n / 250) % 50, n % 250)
}

/// A passkey of the world's account owner (a stored record that is never used to log in:
/// the rows that take it only delete it), given after the world's logins; answers its id.
pub(crate) fn owner_passkey(app: &TestApp, w: &World) -> i32 {
    let n: u32 = rand::random();
    steward::models::passkey::NewPasskey {
        user_id: w.owner,
        name: &format!("Matrix key {n}"),
        credential_id: &format!("matrix-credential-{}-{n}", w.n),
        passkey: "{}",
        created_at: now(),
    }
    .insert(&mut app.conn())
    .unwrap()
}

/// Removes what `owner_passkey` gave, if a row left it there.
pub(crate) fn remove_passkey(app: &TestApp, id: i32) {
    use steward::db::schema::passkeys;
    diesel::delete(passkeys::table.find(id))
        .execute(&mut app.conn())
        .unwrap();
}
