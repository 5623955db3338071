//! `steward bench-data`: the benchmark's installation, built on an empty database from a
//! fixed seed so that every run measures the same data. Full size: an admin, 20 resellers,
//! 2,000 customers and 20,000 servers, of which one showcase customer holds 10,000, with
//! 500 alias users (one assigned 1,000 servers) and 50 alias roles; `tenth` divides every
//! count by ten. Rows go in by batch inserts inside one transaction, and every login shares
//! one Argon2 hash (hashing is slow by design; the benchmark measures the panel, not that).

use std::collections::HashMap;

use anyhow::{bail, Context};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::access::catalog::{Tier, CATALOG};
use crate::db::schema::{
    alias_role_permissions, alias_roles, alias_servers, server_ips, servers, users,
};
use crate::db::DbConn;
use crate::security::password;

/// The password of every generated login.
pub const BENCH_PASSWORD: &str = "bench-password";

/// How big an installation to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Full,
    Tenth,
}

/// The counts of one scale.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub resellers: usize,
    pub customers: usize,
    pub servers: usize,
    pub showcase_servers: usize,
    pub aliases: usize,
    pub big_alias_servers: usize,
    pub roles: usize,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        let d = match self {
            Scale::Full => 1,
            Scale::Tenth => 10,
        };
        Sizes {
            resellers: 20 / d,
            customers: 2_000 / d,
            servers: 20_000 / d,
            showcase_servers: 10_000 / d,
            aliases: 500 / d,
            big_alias_servers: 1_000 / d,
            roles: 50 / d,
        }
    }
}

/// What the benchmark script needs to know about the generated data.
#[derive(Debug)]
pub struct BenchFacts {
    pub sizes: Sizes,
    /// (username, what it is for)
    pub logins: Vec<(String, String)>,
    pub showcase_id: i32,
    pub big_alias_id: i32,
    pub role_id: i32,
    /// Servers already assigned to the big alias user (the idempotent assign POST).
    pub assigned_sample: Vec<i32>,
}

/// splitmix64: a tiny, fully specified generator, so the data never depends on a crate's
/// choice of algorithm.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEED: u64 = 0x5745_5741_5244; // "STEWARD"
/// Rows per INSERT: below SQLite's 32,766 bound variables for the widest table (15 columns).
const CHUNK: usize = 1_000;

fn created_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

/// One login row before insertion (owned strings; borrowed into `NewUser` when inserted).
struct UserRow {
    kind: &'static str,
    username: String,
    name: String,
    owner_id: Option<i32>,
    parent_id: Option<i32>,
    role_id: Option<i32>,
    all_servers: bool,
}

impl UserRow {
    fn account(kind: &'static str, username: String, name: String, owner: Option<i32>) -> Self {
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
fn insert_users(
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
        crate::on_backend!(c, c => q.execute(c)).context("inserting logins")?;
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

fn id_of(ids: &HashMap<String, i32>, name: &str) -> anyhow::Result<i32> {
    ids.get(name)
        .copied()
        .with_context(|| format!("generated login {name} is missing"))
}

/// One server row before insertion.
struct ServerRow {
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

fn server_row(
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

/// Inserts servers and their primary addresses in batches; answers the ids in row order.
fn insert_servers(c: &mut DbConn, rows: &[ServerRow]) -> anyhow::Result<Vec<i32>> {
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
        crate::on_backend!(c, c => q.execute(c)).context("inserting servers")?;
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
        crate::on_backend!(c, c => q.execute(c)).context("inserting addresses")?;
    }
    Ok(ids)
}

/// Builds the benchmark installation on an empty database.
pub fn generate(conn: &mut DbConn, scale: Scale) -> anyhow::Result<BenchFacts> {
    let existing: i64 = users::table.count().get_result(conn)?;
    if existing > 0 {
        bail!("bench-data needs an empty database (this one has {existing} logins)");
    }
    let hash = password::hash(BENCH_PASSWORD)?;
    crate::db::transaction(conn, |c| build(c, scale, &hash))
}

fn build(c: &mut DbConn, scale: Scale, hash: &str) -> anyhow::Result<BenchFacts> {
    let s = scale.sizes();
    let mut rng = Seeded(SEED);

    // Logins: the admin, then resellers, then customers (each owned by a reseller in turn).
    // Two customers are special: `showcase` (the big account) and `storm` (the login storm).
    let admin = insert_users(
        c,
        &[UserRow::account(
            "admin",
            "admin".into(),
            "Bench admin".into(),
            None,
        )],
        hash,
    )?;
    let admin = id_of(&admin, "admin")?;
    let resellers: Vec<UserRow> = (1..=s.resellers)
        .map(|i| {
            UserRow::account(
                "reseller",
                format!("reseller{i:02}"),
                format!("Reseller {i:02} Hosting"),
                Some(admin),
            )
        })
        .collect();
    let reseller_ids = insert_users(c, &resellers, hash)?;
    let reseller_id: Vec<i32> = resellers
        .iter()
        .map(|r| id_of(&reseller_ids, &r.username))
        .collect::<anyhow::Result<_>>()?;
    let regular = s.customers - 2;
    let mut customers: Vec<UserRow> = vec![
        UserRow::account(
            "user",
            "showcase".into(),
            "Showcase Corp".into(),
            Some(reseller_id[0]),
        ),
        UserRow::account(
            "user",
            "storm".into(),
            "Login Storm Ltd".into(),
            Some(reseller_id[0]),
        ),
    ];
    customers.extend((1..=regular).map(|i| {
        UserRow::account(
            "user",
            format!("customer{i:04}"),
            format!("Customer {i:04} GmbH"),
            Some(reseller_id[i % s.resellers]),
        )
    }));
    let customer_ids = insert_users(c, &customers, hash)?;
    let showcase = id_of(&customer_ids, "showcase")?;

    // Servers: the showcase account's, then 5 per regular customer, the rest kept by
    // resellers (assigned to them, not yet passed on).
    let mut rows = Vec::with_capacity(s.servers);
    for n in 0..s.showcase_servers {
        rows.push(server_row(
            &mut rng,
            n,
            "showcase",
            Some(reseller_id[0]),
            Some(showcase),
        ));
    }
    for (i, cust) in customers.iter().enumerate().skip(2) {
        let owner = id_of(&customer_ids, &cust.username)?;
        for _ in 0..5 {
            let n = rows.len();
            let tenant = format!("c{:04}", i - 1);
            rows.push(server_row(&mut rng, n, &tenant, cust.owner_id, Some(owner)));
        }
    }
    while rows.len() < s.servers {
        let n = rows.len();
        let r = reseller_id[n % s.resellers];
        rows.push(server_row(&mut rng, n, "stock", Some(r), None));
    }
    let server_ids = insert_servers(c, &rows)?;
    let showcase_servers = &server_ids[..s.showcase_servers];

    // Alias roles of the showcase account: each holds servers.view plus a deterministic
    // pick of the other user-tier permissions.
    let user_keys: Vec<&str> = CATALOG
        .iter()
        .filter(|p| p.tier == Tier::User && p.key != "servers.view")
        .map(|p| p.key)
        .collect();
    let at = created_at();
    let role_rows: Vec<(String, String)> = (1..=s.roles)
        .map(|i| {
            (
                format!("Role {i:02}"),
                format!("Benchmark role {i:02}: a generated mix of user permissions."),
            )
        })
        .collect();
    let values: Vec<_> = role_rows
        .iter()
        .map(|(name, description)| {
            (
                alias_roles::account_id.eq(showcase),
                alias_roles::name.eq(name.as_str()),
                alias_roles::name_key.eq(name.to_lowercase()),
                alias_roles::description.eq(description.as_str()),
                alias_roles::created_at.eq(at),
                alias_roles::updated_at.eq(at),
            )
        })
        .collect();
    let q = diesel::insert_into(alias_roles::table).values(&values);
    crate::on_backend!(c, c => q.execute(c)).context("inserting roles")?;
    let role_ids: Vec<i32> = alias_roles::table
        .filter(alias_roles::account_id.eq(showcase))
        .order(alias_roles::name_key.asc())
        .select(alias_roles::id)
        .load(c)?;
    let mut perms: Vec<(i32, &str)> = Vec::new();
    for &role in &role_ids {
        perms.push((role, "servers.view"));
        for key in &user_keys {
            if rng.below(2) == 0 {
                perms.push((role, key));
            }
        }
    }
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
        crate::on_backend!(c, c => q.execute(c)).context("inserting role permissions")?;
    }

    // Alias users: `bigalias` with the first `big_alias_servers` showcase servers; every
    // tenth of the others reaches all servers, the rest get five servers each.
    let aliases: Vec<UserRow> = (0..s.aliases)
        .map(|i| UserRow {
            kind: "alias",
            username: if i == 0 {
                "bigalias".into()
            } else {
                format!("showcase-alias{i:03}")
            },
            name: format!("Showcase staff {i:03}"),
            owner_id: None,
            parent_id: Some(showcase),
            role_id: Some(role_ids[i % role_ids.len()]),
            all_servers: i != 0 && i % 10 == 0,
        })
        .collect();
    let alias_ids = insert_users(c, &aliases, hash)?;
    let big_alias = id_of(&alias_ids, "bigalias")?;
    let mut pairs: Vec<(i32, i32)> = showcase_servers[..s.big_alias_servers]
        .iter()
        .map(|&sid| (big_alias, sid))
        .collect();
    for a in aliases.iter().skip(1) {
        if a.all_servers {
            continue;
        }
        let aid = id_of(&alias_ids, &a.username)?;
        let start = rng.below(showcase_servers.len() - 5);
        pairs.extend(
            showcase_servers[start..start + 5]
                .iter()
                .map(|&sid| (aid, sid)),
        );
    }
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
        crate::on_backend!(c, c => q.execute(c)).context("inserting assignments")?;
    }

    Ok(BenchFacts {
        sizes: s,
        logins: vec![
            ("admin".into(), "the admin".into()),
            (
                "customer0001".into(),
                "a customer with 5 servers (/servers as a customer)".into(),
            ),
            (
                "showcase".into(),
                format!(
                    "the showcase customer: {} servers, {} alias users, {} roles",
                    s.showcase_servers, s.aliases, s.roles
                ),
            ),
            (
                "bigalias".into(),
                format!(
                    "the showcase's alias user with {} assigned servers",
                    s.big_alias_servers
                ),
            ),
            ("storm".into(), "the login storm's login".into()),
        ],
        showcase_id: showcase,
        big_alias_id: big_alias,
        role_id: role_ids[0],
        assigned_sample: showcase_servers[..10].to_vec(),
    })
}
