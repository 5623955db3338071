//! The benchmark's installation, built in one transaction on an empty database from a
//! fixed seed so that every run measures the same data. Every login shares one Argon2 hash
//! (hashing is slow by design; the benchmark measures the panel, not that).
//!
//! `build` runs the steps in a fixed order: each draws from the one seeded generator, so
//! reordering them would change the data set.

use std::collections::HashMap;

use anyhow::bail;
use diesel::prelude::*;
use steward::access::{Tier, CATALOG};
use steward::db::schema::users;
use steward::db::DbConn;
use steward::security::password;

use crate::rows::{self, id_of, ServerRow, UserRow};
use crate::scale::{Scale, Seeded, Sizes};
use crate::BENCH_PASSWORD;

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

/// Builds the benchmark installation; refuses a database that has any login.
pub fn generate(conn: &mut DbConn, scale: Scale) -> anyhow::Result<BenchFacts> {
    let existing: i64 = users::table.count().get_result(conn)?;
    if existing > 0 {
        bail!("bench-data needs an empty database (this one has {existing} logins)");
    }
    let hash = password::hash(BENCH_PASSWORD)?;
    steward::db::transaction(conn, |c| build(c, scale, &hash))
}

fn build(c: &mut DbConn, scale: Scale, hash: &str) -> anyhow::Result<BenchFacts> {
    let s = scale.sizes();
    let mut rng = Seeded::bench();
    let resellers = admin_and_resellers(c, &s, hash)?;
    let customers = customers(c, &s, &resellers, hash)?;
    let server_ids = servers(c, &mut rng, &s, &resellers, &customers)?;
    let showcase_servers = &server_ids[..s.showcase_servers];
    let role_ids = showcase_roles(c, &mut rng, &s, customers.showcase)?;
    let big_alias = alias_users(
        c,
        &mut rng,
        &s,
        customers.showcase,
        &role_ids,
        showcase_servers,
        hash,
    )?;
    Ok(BenchFacts {
        sizes: s,
        logins: logins(&s),
        showcase_id: customers.showcase,
        big_alias_id: big_alias,
        role_id: role_ids[0],
        assigned_sample: showcase_servers[..10].to_vec(),
    })
}

/// The admin, then the resellers it owns; answers the resellers' ids in order.
fn admin_and_resellers(c: &mut DbConn, s: &Sizes, hash: &str) -> anyhow::Result<Vec<i32>> {
    let admin = rows::insert_users(
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
    let ids = rows::insert_users(c, &resellers, hash)?;
    resellers.iter().map(|r| id_of(&ids, &r.username)).collect()
}

/// The customers as inserted: the two special ones first, then the regular ones.
struct Customers {
    rows: Vec<UserRow>,
    ids: HashMap<String, i32>,
    showcase: i32,
}

/// The customers, each owned by a reseller in turn. Two are special: `showcase` (the big
/// account) and `storm` (the login storm's login), both of the first reseller.
fn customers(
    c: &mut DbConn,
    s: &Sizes,
    resellers: &[i32],
    hash: &str,
) -> anyhow::Result<Customers> {
    let regular = s.customers - 2;
    let mut rows: Vec<UserRow> = vec![
        UserRow::account(
            "user",
            "showcase".into(),
            "Showcase Corp".into(),
            Some(resellers[0]),
        ),
        UserRow::account(
            "user",
            "storm".into(),
            "Login Storm Ltd".into(),
            Some(resellers[0]),
        ),
    ];
    rows.extend((1..=regular).map(|i| {
        UserRow::account(
            "user",
            format!("customer{i:04}"),
            format!("Customer {i:04} GmbH"),
            Some(resellers[i % s.resellers]),
        )
    }));
    let ids = rows::insert_users(c, &rows, hash)?;
    let showcase = id_of(&ids, "showcase")?;
    Ok(Customers {
        rows,
        ids,
        showcase,
    })
}

/// The servers: the showcase account's first, then 5 per regular customer, the rest kept
/// by resellers (assigned to them, not yet passed on). Answers the ids in that order, so
/// the showcase's are the first `showcase_servers`.
fn servers(
    c: &mut DbConn,
    rng: &mut Seeded,
    s: &Sizes,
    resellers: &[i32],
    customers: &Customers,
) -> anyhow::Result<Vec<i32>> {
    let mut rows = Vec::with_capacity(s.servers);
    for n in 0..s.showcase_servers {
        rows.push(ServerRow::generated(
            rng,
            n,
            "showcase",
            Some(resellers[0]),
            Some(customers.showcase),
        ));
    }
    for (i, cust) in customers.rows.iter().enumerate().skip(2) {
        let owner = id_of(&customers.ids, &cust.username)?;
        for _ in 0..5 {
            let n = rows.len();
            let tenant = format!("c{:04}", i - 1);
            rows.push(ServerRow::generated(
                rng,
                n,
                &tenant,
                cust.owner_id,
                Some(owner),
            ));
        }
    }
    while rows.len() < s.servers {
        let n = rows.len();
        let r = resellers[n % s.resellers];
        rows.push(ServerRow::generated(rng, n, "stock", Some(r), None));
    }
    rows::insert_servers(c, &rows)
}

/// The showcase account's alias roles: each holds servers.view plus a deterministic pick
/// of the other user-tier permissions. Answers the role ids in the order of their names.
fn showcase_roles(
    c: &mut DbConn,
    rng: &mut Seeded,
    s: &Sizes,
    showcase: i32,
) -> anyhow::Result<Vec<i32>> {
    let user_keys: Vec<&str> = CATALOG
        .iter()
        .filter(|p| p.tier == Tier::User && p.key != "servers.view")
        .map(|p| p.key)
        .collect();
    let roles: Vec<(String, String)> = (1..=s.roles)
        .map(|i| {
            (
                format!("Role {i:02}"),
                format!("Benchmark role {i:02}: a generated mix of user permissions."),
            )
        })
        .collect();
    let role_ids = rows::insert_roles(c, showcase, &roles)?;
    let mut perms: Vec<(i32, &str)> = Vec::new();
    for &role in &role_ids {
        perms.push((role, "servers.view"));
        for key in &user_keys {
            if rng.below(2) == 0 {
                perms.push((role, key));
            }
        }
    }
    rows::insert_role_permissions(c, &perms)?;
    Ok(role_ids)
}

/// The showcase's alias users, the roles dealt out in turn: `bigalias` with the first
/// `big_alias_servers` showcase servers; every tenth of the others reaches all servers,
/// the rest get five neighbouring servers each. Answers `bigalias`'s id.
fn alias_users(
    c: &mut DbConn,
    rng: &mut Seeded,
    s: &Sizes,
    showcase: i32,
    role_ids: &[i32],
    showcase_servers: &[i32],
    hash: &str,
) -> anyhow::Result<i32> {
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
    let alias_ids = rows::insert_users(c, &aliases, hash)?;
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
    rows::insert_assignments(c, &pairs)?;
    Ok(big_alias)
}

/// The logins the script prints, with what each is for.
fn logins(s: &Sizes) -> Vec<(String, String)> {
    vec![
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
    ]
}
