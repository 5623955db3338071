//! Builds a drawn world in the database: four accounts (admin, reseller, the reseller's
//! customer, the admin's customer), two roles each, six servers, seven alias users. Every
//! username starts with the case's prefix, which is how the oracle finds the world again
//! (the attacker runs many cases on one database).

use super::fixtures::{self as fx, exec};
use super::model::keys_of_mask;
use super::plan::{WorldPlan, ALIAS_SLOTS, ROLES_PER_ACCOUNT};
use crate::helpers::TestApp;

pub struct World {
    pub prefix: String,
    pub servers: Vec<i32>,
    /// The logins the world started with: its four accounts, then its alias users.
    pub logins: Vec<i32>,
}

pub fn build(app: &TestApp, prefix: &str, plan: &WorldPlan, case: u32) -> World {
    let admin = fx::admin(app, &format!("{prefix}adm"));
    let reseller = fx::reseller(app, &format!("{prefix}res"), admin);
    let c1 = fx::customer(app, &format!("{prefix}cus"), reseller);
    let c2 = fx::customer(app, &format!("{prefix}dir"), admin);
    let accounts = [admin, reseller, c1, c2];

    let servers: Vec<i32> = plan
        .servers
        .iter()
        .enumerate()
        .map(|(i, holder)| {
            let (r, o) = match holder {
                0 => (Some(reseller), Some(reseller)),
                1 => (Some(reseller), Some(c1)),
                2 => (None, Some(c2)),
                _ => (None, None),
            };
            // Unique across cases, and never a prefix of another hostname or address.
            fx::server(
                app,
                &format!("{prefix}s{i}.attack.test"),
                &format!("10.{}.{}.{}", 100 + case / 250, case % 250, 10 + i),
                r,
                o,
            )
        })
        .collect();

    let mut roles = Vec::new();
    for (slot, account) in accounts.iter().enumerate() {
        let mine: Vec<i32> = (0..ROLES_PER_ACCOUNT)
            .map(|k| {
                let mask = plan.roles[slot * ROLES_PER_ACCOUNT + k];
                fx::role(app, *account, &format!("Role {k}"), &keys_of_mask(mask))
            })
            .collect();
        roles.push(mine);
    }

    let mut logins = accounts.to_vec();
    for (i, (slot, a)) in ALIAS_SLOTS.iter().zip(&plan.aliases).enumerate() {
        let parent = accounts[*slot];
        let lead = ALIAS_SLOTS.iter().position(|x| x == slot) == Some(i);
        let role = if lead {
            roles[*slot][0]
        } else {
            roles[*slot][a.role as usize % ROLES_PER_ACCOUNT]
        };
        let held: Vec<i32> = servers
            .iter()
            .enumerate()
            .filter(|(k, _)| a.servers & (1 << k) != 0)
            .map(|(_, s)| *s)
            .collect();
        let id = fx::alias(
            app,
            &format!("{prefix}a{i}"),
            parent,
            role,
            a.all_servers,
            &[],
        );
        logins.push(id);
        // Assignments only of servers the parent holds, as the panel would make them.
        let parent_holds = |s: &i32| {
            let idx = servers.iter().position(|x| x == s).unwrap();
            matches!(
                (slot, plan.servers[idx]),
                (0, _) | (1, 0 | 1) | (2, 1) | (3, 2)
            )
        };
        let held: Vec<i32> = held.into_iter().filter(parent_holds).collect();
        fx::assign(app, id, &held);
        match a.standing {
            0 => exec(
                app,
                &format!("UPDATE users SET disabled = true WHERE id = {id}"),
            ),
            1 => exec(
                app,
                &format!("UPDATE users SET expires_on = '2020-01-01' WHERE id = {id}"),
            ),
            _ => {}
        }
    }
    // Something to reset: one (unusable) recovery code per login. Recovery codes alone do
    // not make a login ask for a second factor, so every login still logs in with its
    // password; a reset removes them, which the snapshot sees.
    exec(
        app,
        &format!(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) \
             SELECT id, 'attacker-placeholder', CURRENT_TIMESTAMP FROM users \
             WHERE username LIKE {}",
            super::fixtures::lit(&format!("{prefix}%"))
        ),
    );
    World {
        prefix: prefix.to_string(),
        servers,
        logins,
    }
}
