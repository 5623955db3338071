//! The rows of the data set and their batch inserts. Rows go in by multi-row INSERTs of
//! plain tuples (see `insert_users`), CHUNK rows at a time, and come back as ids by a
//! natural key (username, hostname) so that callers never guess what the database assigned.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use steward::db::schema::{
    alias_role_permissions, alias_roles, alias_servers, server_ips, servers, users,
};
use steward::db::DbConn;

use crate::scale::Seeded;

/// Rows per INSERT: below SQLite's 32,766 bound variables for the widest table (15 columns).
const CHUNK: usize = 1_000;

/// Every row's creation time: fixed, so that two runs build the same data.
pub fn created_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

/// One login row before insertion (owned strings; borrowed into the INSERT's tuples).
pub struct UserRow {
    pub kind: &'static str,
    pub username: String,
    pub name: String,
    pub owner_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub role_id: Option<i32>,
    pub all_servers: bool,
}

impl UserRow {
    /// An account (admin, reseller or customer): no parent, no role.
    pub fn account(kind: &'static str, username: String, name: String, owner: Option<i32>) -> Self {
        UserRow {
            kind,
            username,
            name,
            owner_id: owner,
            parent_id: None,
            role_id: None,
            all_servers: false,
        }
    }
}

/// Inserts logins in batches and answers their ids by username.
pub fn insert_users(
    c: &mut DbConn,
    rows: &[UserRow],
    hash: &str,
) -> anyhow::Result<HashMap<String, i32>> {
    let at = created_at();
    let emails: Vec<String> = rows
        .iter()
        .map(|r| format!("{}@bench.example.net", r.username))
        .collect();
    for (chunk, emails) in rows.chunks(CHUNK).zip(emails.chunks(CHUNK)) {
        // Tuples, not `NewUser`: its `Option` fields would mean DEFAULT, which SQLite
        // cannot batch (diesel would fall back to one INSERT per row).
        let values: Vec<_> = chunk
            .iter()
            .zip(emails)
            .map(|(r, email)| {
                (
                    users::kind.eq(r.kind),
                    users::username.eq(r.username.as_str()),
                    users::username_key.eq(r.username.as_str()),
                    users::name.eq(r.name.as_str()),
                    users::email.eq(email.as_str()),
                    users::password_hash.eq(hash),
                    users::owner_id.eq(r.owner_id),
                    users::parent_id.eq(r.parent_id),
                    users::role_id.eq(r.role_id),
                    users::all_servers.eq(r.all_servers),
                    users::disabled.eq(false),
                    users::expires_on.eq(None::<NaiveDate>),
                    users::created_at.eq(at),
                )
            })
            .collect();
        let q = diesel::insert_into(users::table).values(&values);
        steward::on_backend!(c, c => q.execute(c)).context("inserting logins")?;
    }
    let names: Vec<&str> = rows.iter().map(|r| r.username.as_str()).collect();
    let mut ids = HashMap::new();
    for chunk in names.chunks(CHUNK) {
        let found: Vec<(i32, String)> = users::table
            .filter(users::username_key.eq_any(chunk))
            .select((users::id, users::username_key))
            .load(c)?;
        ids.extend(found.into_iter().map(|(id, name)| (name, id)));
    }
    Ok(ids)
}

/// The id of a login `insert_users` answered.
pub fn id_of(ids: &HashMap<String, i32>, name: &str) -> anyhow::Result<i32> {
    ids.get(name)
        .copied()
        .with_context(|| format!("generated login {name} is missing"))
}

/// One server row before insertion.
pub struct ServerRow {
    hostname: String,
    name: String,
    ip: String,
    location: &'static str,
    tags: String,
    os: &'static str,
    power_on: bool,
    reseller_id: Option<i32>,
    owner_id: Option<i32>,
    cpu: &'static str,
    memory_gb: i32,
    disks: &'static str,
}

const LOCATIONS: [&str; 4] = [
    "Frankfurt FRA1",
    "Amsterdam AMS2",
    "Ashburn IAD1",
    "Singapore SIN1",
];
const ROLES: [&str; 6] = ["web", "db", "cache", "app", "mail", "vps-host"];
const OS: [&str; 4] = ["debian-12", "ubuntu-24.04", "rocky-9", "proxmox-8"];
const HARDWARE: [(&str, i32, &str); 3] = [
    ("Intel Xeon E-2388G (8 cores)", 64, "2× 960 GB NVMe"),
    ("AMD EPYC 7443P (24 cores)", 256, "2× 1.92 TB NVMe"),
    ("AMD Ryzen 9 7950X (16 cores)", 128, "2× 1.92 TB NVMe"),
];

impl ServerRow {
    /// Server number `n` of a tenant, its role, place and hardware drawn from `rng`.
    pub fn generated(
        rng: &mut Seeded,
        n: usize,
        tenant: &str,
        reseller: Option<i32>,
        owner: Option<i32>,
    ) -> ServerRow {
        let role = ROLES[rng.below(ROLES.len())];
        let loc = LOCATIONS[rng.below(LOCATIONS.len())];
        let (cpu, memory_gb, disks) = HARDWARE[rng.below(HARDWARE.len())];
        let env = if rng.below(3) == 0 {
            "staging"
        } else {
            "production"
        };
        ServerRow {
            hostname: format!("{role}{n:05}.{tenant}.bench.example.net"),
            name: format!("{tenant} {role} {n:05}"),
            // 10.0.0.0/8 holds 16 million addresses: one per server, never repeated.
            ip: format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
            location: loc,
            tags: format!("{role},{env},{}", loc[loc.len() - 4..].to_ascii_lowercase()),
            os: OS[rng.below(OS.len())],
            power_on: rng.below(10) != 0,
            reseller_id: reseller,
            owner_id: owner,
            cpu,
            memory_gb,
            disks,
        }
    }
}

/// Inserts servers and their primary addresses in batches; answers the ids in row order.
pub fn insert_servers(c: &mut DbConn, rows: &[ServerRow]) -> anyhow::Result<Vec<i32>> {
    let at = created_at();
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    (
                        servers::hostname.eq(r.hostname.as_str()),
                        servers::name.eq(r.name.as_str()),
                        servers::primary_ip.eq(r.ip.as_str()),
                        servers::location.eq(r.location),
                        servers::tags.eq(r.tags.as_str()),
                        servers::os.eq(r.os),
                        servers::power_state.eq(if r.power_on { "on" } else { "off" }),
                        servers::status.eq("active"),
                    ),
                    (
                        servers::reseller_id.eq(r.reseller_id),
                        servers::owner_id.eq(r.owner_id),
                        servers::cpu.eq(r.cpu),
                        servers::memory_gb.eq(r.memory_gb),
                        servers::disks.eq(r.disks),
                        servers::created_at.eq(at),
                        servers::updated_at.eq(at),
                    ),
                )
            })
            .collect();
        let q = diesel::insert_into(servers::table).values(&values);
        steward::on_backend!(c, c => q.execute(c)).context("inserting servers")?;
    }
    let by_host: HashMap<String, i32> = servers::table
        .select((servers::hostname, servers::id))
        .load::<(String, i32)>(c)?
        .into_iter()
        .collect();
    let ids = rows
        .iter()
        .map(|r| {
            by_host
                .get(&r.hostname)
                .copied()
                .with_context(|| format!("server {} is missing", r.hostname))
        })
        .collect::<anyhow::Result<Vec<i32>>>()?;
    // Every address, the primary included, has a server_ips row (as NewServer::insert does).
    for (chunk, id_chunk) in rows.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
        let values: Vec<_> = chunk
            .iter()
            .zip(id_chunk)
            .map(|(r, id)| {
                (
                    server_ips::server_id.eq(*id),
                    server_ips::ip.eq(r.ip.as_str()),
                    server_ips::rdns.eq(r.hostname.as_str()),
                )
            })
            .collect();
        let q = diesel::insert_into(server_ips::table).values(&values);
        steward::on_backend!(c, c => q.execute(c)).context("inserting addresses")?;
    }
    Ok(ids)
}

/// Inserts an account's alias roles, (name, description) each; answers their ids in the
/// order of their names.
pub fn insert_roles(
    c: &mut DbConn,
    account: i32,
    roles: &[(String, String)],
) -> anyhow::Result<Vec<i32>> {
    let at = created_at();
    let values: Vec<_> = roles
        .iter()
        .map(|(name, description)| {
            (
                alias_roles::account_id.eq(account),
                alias_roles::name.eq(name.as_str()),
                alias_roles::name_key.eq(name.to_lowercase()),
                alias_roles::description.eq(description.as_str()),
                alias_roles::created_at.eq(at),
                alias_roles::updated_at.eq(at),
            )
        })
        .collect();
    let q = diesel::insert_into(alias_roles::table).values(&values);
    steward::on_backend!(c, c => q.execute(c)).context("inserting roles")?;
    Ok(alias_roles::table
        .filter(alias_roles::account_id.eq(account))
        .order(alias_roles::name_key.asc())
        .select(alias_roles::id)
        .load(c)?)
}

/// Inserts (role, permission key) pairs.
pub fn insert_role_permissions(c: &mut DbConn, perms: &[(i32, &str)]) -> anyhow::Result<()> {
    let values: Vec<_> = perms
        .iter()
        .map(|(role, key)| {
            (
                alias_role_permissions::role_id.eq(*role),
                alias_role_permissions::permission.eq(*key),
            )
        })
        .collect();
    for chunk in values.chunks(CHUNK) {
        let q = diesel::insert_into(alias_role_permissions::table).values(chunk);
        steward::on_backend!(c, c => q.execute(c)).context("inserting role permissions")?;
    }
    Ok(())
}

/// Inserts (alias user, server) assignments.
pub fn insert_assignments(c: &mut DbConn, pairs: &[(i32, i32)]) -> anyhow::Result<()> {
    let values: Vec<_> = pairs
        .iter()
        .map(|(aid, sid)| {
            (
                alias_servers::alias_id.eq(*aid),
                alias_servers::server_id.eq(*sid),
            )
        })
        .collect();
    for chunk in values.chunks(CHUNK) {
        let q = diesel::insert_into(alias_servers::table).values(chunk);
        steward::on_backend!(c, c => q.execute(c)).context("inserting assignments")?;
    }
    Ok(())
}
