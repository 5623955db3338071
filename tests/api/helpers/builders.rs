//! Test data written straight to the database, in the style of crates.io's test builders:
//! `app.server("web1").owned_by(acme).create()`,
//! `app.role(acme, "Ops").perms(&["servers.view"]).create()`,
//! `app.alias("bob", acme).role(ops).servers(&[web1]).create()`. A builder names only
//! what a test cares about; everything else gets a plain default. Data made through the
//! forms (real hashes, real audit rows) is made by the tests themselves, over HTTP.

use diesel::prelude::*;
use steward::db::schema::{alias_role_permissions, alias_roles, alias_servers, audit_log, users};
use steward::models::audit::NewAuditEntry;
use steward::models::now;
use steward::models::server::{NewServer, Server};

use super::TestApp;

/// A server for `app.server(hostname)`: unowned, powered off, tagged "web", with an
/// address derived from its owner and hostname unless `ip` names one, and no row in the
/// address table; `racked()` makes the inventory's kind (with its address row).
pub struct ServerBuilder<'a> {
    app: &'a TestApp,
    hostname: String,
    ip: Option<String>,
    tags: String,
    reseller: Option<i32>,
    owner: Option<i32>,
    racked: bool,
}

impl ServerBuilder<'_> {
    pub fn owned_by(mut self, owner: i32) -> Self {
        self.owner = Some(owner);
        self
    }
    pub fn resold_by(mut self, reseller: i32) -> Self {
        self.reseller = Some(reseller);
        self
    }
    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.to_string());
        self
    }
    pub fn tags(mut self, tags: &str) -> Self {
        self.tags = tags.to_string();
        self
    }
    /// A server as the inventory pages show one: in Frankfurt, running Debian, powered
    /// on, with its hardware filled in and no tags.
    pub fn racked(mut self) -> Self {
        self.racked = true;
        self.tags = String::new();
        self
    }

    pub fn create(self) -> i32 {
        let at = now();
        let ip = self.ip.unwrap_or_else(|| {
            format!(
                "10.0.{}.{}",
                self.owner.unwrap_or(0) % 250,
                self.hostname.len()
            )
        });
        if !self.racked {
            // Only the `servers` row: the derived addresses of two servers may be equal,
            // which the address table (`server_ips`, unique) would refuse.
            use steward::db::schema::servers;
            let mut c = self.app.conn();
            return steward::insert_returning_id!(
                &mut *c,
                servers::table,
                (
                    servers::hostname.eq(&self.hostname),
                    servers::name.eq(&self.hostname),
                    servers::primary_ip.eq(&ip),
                    servers::tags.eq(&self.tags),
                    servers::reseller_id.eq(self.reseller),
                    servers::owner_id.eq(self.owner),
                    servers::created_at.eq(at),
                    servers::updated_at.eq(at),
                ),
                servers::id
            )
            .unwrap();
        }
        NewServer {
            hostname: &self.hostname,
            name: &self.hostname,
            primary_ip: &ip,
            location: "Frankfurt",
            tags: &self.tags,
            os: "debian-12",
            power_state: "on",
            status: "active",
            reseller_id: self.reseller,
            owner_id: self.owner,
            cpu: "8 cores",
            memory_gb: 64,
            disks: "2x NVMe",
            created_at: at,
            updated_at: at,
        }
        .insert(&mut self.app.conn())
        .unwrap()
    }
}

/// An alias role for `app.role(account, name)`, holding the permissions `perms` names.
pub struct RoleBuilder<'a> {
    app: &'a TestApp,
    account: i32,
    name: String,
    perms: Vec<String>,
}

impl RoleBuilder<'_> {
    pub fn perms(mut self, keys: &[&str]) -> Self {
        self.perms = keys.iter().map(|k| k.to_string()).collect();
        self
    }

    pub fn create(self) -> i32 {
        let mut c = self.app.conn();
        let id = steward::insert_returning_id!(
            &mut *c,
            alias_roles::table,
            (
                alias_roles::account_id.eq(self.account),
                alias_roles::name.eq(&self.name),
                alias_roles::name_key.eq(self.name.to_lowercase()),
                alias_roles::description.eq(""),
                alias_roles::created_at.eq(now()),
                alias_roles::updated_at.eq(now()),
            ),
            alias_roles::id
        )
        .unwrap();
        for k in &self.perms {
            diesel::insert_into(alias_role_permissions::table)
                .values((
                    alias_role_permissions::role_id.eq(id),
                    alias_role_permissions::permission.eq(k),
                ))
                .execute(&mut *c)
                .unwrap();
        }
        id
    }
}

/// An alias user for `app.alias(username, parent)`: no role unless `role` names one or
/// `perms` makes one ("<username> role"), assigned `servers`, or all of them.
pub struct AliasBuilder<'a> {
    app: &'a TestApp,
    username: String,
    parent: i32,
    role: Option<i32>,
    perms: Option<Vec<String>>,
    all_servers: bool,
    servers: Vec<i32>,
}

impl AliasBuilder<'_> {
    pub fn role(mut self, role: i32) -> Self {
        self.role = Some(role);
        self
    }
    /// A role of its own holding exactly `keys`.
    pub fn perms(mut self, keys: &[&str]) -> Self {
        self.perms = Some(keys.iter().map(|k| k.to_string()).collect());
        self
    }
    pub fn all_servers(mut self, all: bool) -> Self {
        self.all_servers = all;
        self
    }
    pub fn servers(mut self, servers: &[i32]) -> Self {
        self.servers = servers.to_vec();
        self
    }

    pub fn create(self) -> i32 {
        let role = match &self.perms {
            Some(keys) => {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                Some(
                    self.app
                        .role(self.parent, &format!("{} role", self.username))
                        .perms(&keys)
                        .create(),
                )
            }
            None => self.role,
        };
        let id = self
            .app
            .insert_user("alias", &self.username, None, Some(self.parent));
        diesel::update(users::table.find(id))
            .set((
                users::role_id.eq(role),
                users::all_servers.eq(self.all_servers),
            ))
            .execute(&mut self.app.conn())
            .unwrap();
        for s in &self.servers {
            self.app.assign(id, *s);
        }
        id
    }
}

impl TestApp {
    pub fn server(&self, hostname: &str) -> ServerBuilder<'_> {
        ServerBuilder {
            app: self,
            hostname: hostname.to_string(),
            ip: None,
            tags: "web".into(),
            reseller: None,
            owner: None,
            racked: false,
        }
    }

    pub fn role(&self, account: i32, name: &str) -> RoleBuilder<'_> {
        RoleBuilder {
            app: self,
            account,
            name: name.to_string(),
            perms: Vec::new(),
        }
    }

    pub fn alias(&self, username: &str, parent: i32) -> AliasBuilder<'_> {
        AliasBuilder {
            app: self,
            username: username.to_string(),
            parent,
            role: None,
            perms: None,
            all_servers: false,
            servers: Vec::new(),
        }
    }

    /// Assigns a server to an alias user.
    pub fn assign(&self, alias: i32, server: i32) {
        diesel::insert_into(alias_servers::table)
            .values((
                alias_servers::alias_id.eq(alias),
                alias_servers::server_id.eq(server),
            ))
            .execute(&mut self.conn())
            .unwrap();
    }

    /// The servers assigned to an alias user, by id.
    pub fn assigned(&self, alias: i32) -> Vec<i32> {
        alias_servers::table
            .filter(alias_servers::alias_id.eq(alias))
            .select(alias_servers::server_id)
            .order(alias_servers::server_id)
            .load(&mut self.conn())
            .unwrap()
    }

    /// Many servers for one owner, inserted in chunks: hostnames srv00000.example.net..,
    /// tagged "even" or "odd".
    pub fn many_servers(&self, owner: i32, n: usize) {
        use steward::db::schema::servers;
        let mut c = self.conn();
        let ts = now();
        let rows: Vec<_> = (0..n)
            .map(|i| {
                (
                    servers::hostname.eq(format!("srv{i:05}.example.net")),
                    servers::name.eq(format!("Server {i}")),
                    servers::primary_ip.eq(format!(
                        "10.{}.{}.{}",
                        i / 65536,
                        (i / 256) % 256,
                        i % 256
                    )),
                    servers::tags.eq(if i % 2 == 0 { "even" } else { "odd" }),
                    servers::owner_id.eq(Some(owner)),
                    servers::created_at.eq(ts),
                    servers::updated_at.eq(ts),
                )
            })
            .collect();
        for chunk in rows.chunks(500) {
            let q = diesel::insert_into(servers::table).values(chunk);
            steward::on_backend!(&mut *c, c => q.execute(c)).unwrap();
        }
    }

    /// A server as the database holds it now.
    pub fn find_server(&self, id: i32) -> Option<Server> {
        Server::find(&mut self.conn(), id).unwrap()
    }

    /// The audit entries of `action` as written, oldest first; a pattern with `%`
    /// (`"role.%"`) matches a family of actions as SQL LIKE does.
    pub fn audit_entries(&self, action: &str) -> Vec<NewAuditEntry> {
        let all = audit_log::table
            .order(audit_log::id)
            .select(NewAuditEntry::as_select());
        if action.contains('%') {
            all.filter(audit_log::action.like(action))
                .load(&mut self.conn())
                .unwrap()
        } else {
            all.filter(audit_log::action.eq(action))
                .load(&mut self.conn())
                .unwrap()
        }
    }

    /// How many audit rows record `action`.
    pub fn audit_count(&self, action: &str) -> i64 {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }
}
