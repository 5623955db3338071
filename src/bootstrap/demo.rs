//! `steward serve --demo`: on an empty installation, a small but complete data set to
//! explore the panel with: a reseller with customers, and about 50 servers with addresses,
//! hardware and 30 days of traffic, spread over the reseller, its customers, the admin's
//! customer and the unassigned inventory. Later features add their part here.

use anyhow::Context;

use crate::access::PermissionSet;
use crate::db::DbConn;
use crate::domain::SshPublicKey;
use crate::models::now;
use crate::models::role::{self, NewRole};
use crate::models::server::NewServer;
use crate::models::server_ip;
use crate::models::server_traffic::{self, TrafficDay};
use crate::models::ssh_key::NewSshKey;
use crate::models::user::{NewUser, User};
use crate::security::password;

/// A demo login and its password, printed at start.
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub what: String,
}

pub const DEMO_PASSWORD: &str = "demo-password";

fn account(
    conn: &mut DbConn,
    kind: &str,
    username: &str,
    name: &str,
    owner: Option<i32>,
    hash: &str,
) -> anyhow::Result<i32> {
    NewUser {
        kind,
        username,
        username_key: &username.to_ascii_lowercase(),
        name,
        email: &format!("{username}@example.com"),
        password_hash: hash,
        owner_id: owner,
        created_at: now(),
        ..NewUser::default()
    }
    .insert(conn)
    .with_context(|| format!("creating demo account {username}"))
}

/// Alias roles of a demo account: one with the common permissions, one for operations
/// staff with risky ones, and a read-only one.
fn demo_roles(conn: &mut DbConn, account_id: i32) -> anyhow::Result<()> {
    let common = PermissionSet::common().keys();
    let mut operations = common.clone();
    operations.extend(["servers.console", "servers.rescue", "servers.reinstall"]);
    let roles: [(&str, &str, Vec<&str>); 3] = [
        (
            "Support",
            "Day-to-day support staff: view, power and name servers, manage their SSH keys.",
            common,
        ),
        (
            "Operations",
            "On-call operators: everything Support does, plus console, rescue and reinstall.",
            operations,
        ),
        (
            "Read only",
            "Sees servers and nothing else.",
            vec!["servers.view"],
        ),
    ];
    for (name, description, keys) in roles {
        let at = now();
        let id = NewRole {
            account_id,
            name,
            name_key: &role::name_key(name),
            description,
            created_at: at,
            updated_at: at,
        }
        .insert(conn)
        .with_context(|| format!("creating demo role {name}"))?;
        role::set_permissions(conn, id, &keys)?;
    }
    Ok(())
}

/// Alias users of a demo account, one for each state the Alias Users tab shows: all
/// servers, a few servers, expiring, expired and disabled.
fn demo_aliases(conn: &mut DbConn, account_id: i32, hash: &str) -> anyhow::Result<()> {
    use crate::models::{reach::Reach, server::Server};
    let roles = crate::models::role::Role::list_for_account(conn, account_id)?;
    let role_id = |name: &str| roles.iter().find(|r| r.name == name).map(|r| r.id);
    let servers: Vec<i32> = Server::list_within(conn, &Reach::Owner(account_id), "", 1, 10)?
        .rows
        .iter()
        .map(|s| s.id)
        .collect();
    let today = now().date();
    // (username, role, all servers, how many assigned, disabled, expires on)
    type DemoAlias = (
        &'static str,
        &'static str,
        bool,
        usize,
        bool,
        Option<chrono::NaiveDate>,
    );
    let aliases: [DemoAlias; 5] = [
        ("acme-support", "Support", true, 0, false, None),
        ("acme-ops", "Operations", false, 3, false, None),
        (
            "acme-contractor",
            "Read only",
            false,
            2,
            false,
            today.checked_add_days(chrono::Days::new(30)),
        ),
        (
            "acme-intern",
            "Read only",
            false,
            1,
            false,
            today.checked_sub_days(chrono::Days::new(1)),
        ),
        ("acme-former", "Support", true, 0, true, None),
    ];
    for (username, role, all_servers, assigned, disabled, expires_on) in aliases {
        let id = NewUser {
            kind: "alias",
            username,
            username_key: username,
            name: username,
            email: &format!("{username}@example.com"),
            password_hash: hash,
            parent_id: Some(account_id),
            role_id: role_id(role),
            all_servers,
            disabled,
            expires_on,
            created_at: now(),
            ..NewUser::default()
        }
        .insert(conn)
        .with_context(|| format!("creating demo alias user {username}"))?;
        let take: Vec<i32> = servers.iter().take(assigned).copied().collect();
        crate::models::alias::assign(conn, id, &take)?;
    }
    Ok(())
}

/// A public key for acme (its private half was never kept: it only has to look real).
const ACME_SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMNfJEwpJ4vBxJ55pm1ElbUdYRhGmJsUqVNfFp6RpaHk demo@acme";

fn demo_ssh_key(conn: &mut DbConn, user_id: i32) -> anyhow::Result<()> {
    let key =
        SshPublicKey::parse(ACME_SSH_KEY).map_err(|e| anyhow::anyhow!("demo SSH key: {e}"))?;
    NewSshKey {
        user_id,
        name: "Office laptop",
        public_key: key.as_openssh(),
        fingerprint: key.fingerprint(),
        created_at: now(),
    }
    .insert(conn)
    .context("creating the demo SSH key")?;
    Ok(())
}

/// Loads the demo data unless the installation already has more than its admin.
pub fn load(conn: &mut DbConn, admin_id: i32) -> anyhow::Result<Vec<DemoLogin>> {
    let existing = User::list_accounts(conn, None, "", 1, 2)?.total;
    if existing > 1 {
        return Ok(Vec::new());
    }
    let hash = password::hash(DEMO_PASSWORD)?;
    crate::db::transaction(conn, |c| {
        let reseller = account(
            c,
            "reseller",
            "reseller",
            "Northwind Hosting",
            Some(admin_id),
            &hash,
        )?;
        let acme = account(c, "user", "acme", "Acme Corp", Some(reseller), &hash)?;
        let globex = account(c, "user", "globex", "Globex Ltd", Some(reseller), &hash)?;
        let initech = account(c, "user", "initech", "Initech", Some(admin_id), &hash)?;
        demo_roles(c, acme)?;
        servers(c, reseller, acme, globex, initech)?;
        demo_aliases(c, acme, &hash)?;
        demo_ssh_key(c, acme)?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(vec![
        DemoLogin {
            username: "reseller".into(),
            password: DEMO_PASSWORD.into(),
            what: "a reseller with two customers".into(),
        },
        DemoLogin {
            username: "acme".into(),
            password: DEMO_PASSWORD.into(),
            what: "a customer of the reseller, with alias roles and an SSH key".into(),
        },
        DemoLogin {
            username: "acme-ops".into(),
            password: DEMO_PASSWORD.into(),
            what: "an alias user of acme (Operations role, three servers)".into(),
        },
        DemoLogin {
            username: "acme-support".into(),
            password: DEMO_PASSWORD.into(),
            what: "an alias user of acme (Support role, all servers)".into(),
        },
        DemoLogin {
            username: "initech".into(),
            password: DEMO_PASSWORD.into(),
            what: "a customer of the admin".into(),
        },
    ])
}

/// The demo servers: `(reseller_id, owner_id)` by position, so the data is the same on
/// every run: 10 for acme and 8 for globex (through the reseller), 10 kept by the
/// reseller, 12 for initech (the admin's customer) and 10 unassigned.
fn servers(
    c: &mut DbConn,
    reseller: i32,
    acme: i32,
    globex: i32,
    initech: i32,
) -> anyhow::Result<()> {
    const LOCATIONS: [&str; 4] = [
        "Frankfurt FRA1",
        "Amsterdam AMS2",
        "Ashburn IAD1",
        "Singapore SIN1",
    ];
    const OS: [&str; 5] = [
        "debian-12",
        "ubuntu-24.04",
        "rocky-9",
        "proxmox-8",
        "ubuntu-22.04",
    ];
    const CPUS: [(&str, i32, &str); 4] = [
        ("Intel Xeon E-2388G (8 cores)", 64, "2× 960 GB NVMe"),
        (
            "AMD EPYC 7443P (24 cores)",
            256,
            "2× 1.92 TB NVMe, 4× 8 TB HDD",
        ),
        (
            "Intel Xeon Silver 4314 (2× 16 cores)",
            128,
            "4× 3.84 TB SSD",
        ),
        ("AMD Ryzen 9 7950X (16 cores)", 128, "2× 1.92 TB NVMe"),
    ];
    let today = now().date();
    for i in 0..50i32 {
        let (reseller_id, owner_id, role, tenant) = match i {
            0..=9 => (Some(reseller), Some(acme), "web", "acme"),
            10..=17 => (Some(reseller), Some(globex), "db", "globex"),
            18..=27 => (Some(reseller), None, "vps-host", "northwind"),
            28..=39 => (None, Some(initech), "app", "initech"),
            _ => (None, None, "spare", "stock"),
        };
        let n = i + 1;
        let hostname = format!("{role}{n:02}.{tenant}.example.net");
        let ip = format!("203.0.113.{}", 10 + i);
        let loc = LOCATIONS[(i % 4) as usize];
        let (cpu, mem, disks) = CPUS[(i % 4) as usize];
        let env = if i % 3 == 0 { "staging" } else { "production" };
        let tags = format!("{role},{env},{}", loc[loc.len() - 4..].to_ascii_lowercase());
        let at = now();
        let id = NewServer {
            hostname: &hostname,
            name: &format!(
                "{} {role} {n:02}",
                tenant[..1].to_uppercase() + &tenant[1..]
            ),
            primary_ip: &ip,
            location: loc,
            tags: &tags,
            os: if owner_id.is_some() || reseller_id.is_some() {
                OS[(i % 5) as usize]
            } else {
                ""
            },
            power_state: if i % 7 == 3 || reseller_id.is_none() && owner_id.is_none() {
                "off"
            } else {
                "on"
            },
            status: "active",
            reseller_id,
            owner_id,
            cpu,
            memory_gb: mem,
            disks,
            created_at: at,
            updated_at: at,
        }
        .insert(c)?;
        server_ip::add_with_rdns(c, id, &format!("2001:db8:{:x}::1", 0x100 + i), &hostname)?;
        if i % 5 == 0 {
            server_ip::add(c, id, &format!("198.51.100.{}", 10 + i))?;
        }
        if owner_id.is_none() && reseller_id.is_none() {
            continue;
        }
        let base = 20_000_000_000i64 + i64::from(i) * 3_000_000_000;
        let days: Vec<TrafficDay> = (0..30i64)
            .map(|d| {
                // A weekly rhythm plus a per-server wobble: looks like real traffic.
                let wave = [100, 92, 95, 104, 110, 70, 60][(d % 7) as usize];
                let wobble = 80 + ((d * 37 + i64::from(i) * 11) % 41);
                let rx = base / 100 * wave / 100 * wobble;
                TrafficDay {
                    server_id: id,
                    day: today - chrono::Duration::days(29 - d),
                    rx_bytes: rx,
                    tx_bytes: rx / 3 + (d * 977_000_000) % 4_000_000_000,
                }
            })
            .collect();
        server_traffic::insert_many(c, &days)?;
    }
    Ok(())
}
