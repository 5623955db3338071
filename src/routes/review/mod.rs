//! The access review: every login of an account — the owner and its alias users
//! — with kind, status, role, two-factor, effective permissions, servers, API keys with
//! their last use, open sessions and last login. A page (50 alias users at a time, with
//! filters) and a CSV streamed in bounded memory, one row per login and permission, or
//! per login, permission and server (`?detail=servers`).

mod export;
mod page;

use std::collections::HashMap;

use crate::access::actor::{alias_permissions, kind_permissions};
use crate::access::review::{holds_risky, ReviewFilter, UNUSED_DAYS};
use crate::access::PermissionSet;
use crate::db::DbConn;
use crate::models::review::{self, AliasFilter, Facts};
use crate::models::role::{self, Role};
use crate::models::user::User;
use crate::routes::alias_users::AliasStatus;
use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users/{id}/access-review", page::page)
        .reads::<page::ReviewQuery>()
        .get("/users/{id}/access-review.csv", export::export)
        .reads::<export::CsvQuery>();
}

/// The account's roles: name and stored permission keys, by id.
pub struct Roles(HashMap<i32, (String, Vec<String>)>);

impl Roles {
    pub fn load(conn: &mut DbConn, account_id: i32) -> diesel::QueryResult<Roles> {
        let mut keys = role::permissions_by_role(conn, account_id)?;
        let map = Role::list_for_account(conn, account_id)?
            .into_iter()
            .map(|r| (r.id, (r.name, keys.remove(&r.id).unwrap_or_default())))
            .collect();
        Ok(Roles(map))
    }

    /// The roles whose permissions (∩ the account's) hold a risky one.
    fn risky(&self, account: &User) -> Vec<i32> {
        self.0
            .iter()
            .filter(|(_, (_, keys))| holds_risky(alias_permissions(keys, account)))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// The SQL side of a filter, for the alias users.
pub fn alias_filter(filter: ReviewFilter, account: &User, roles: &Roles) -> AliasFilter {
    match filter {
        ReviewFilter::All => AliasFilter::default(),
        ReviewFilter::Risky => AliasFilter {
            roles: Some(roles.risky(account)),
            ..AliasFilter::default()
        },
        ReviewFilter::NoTwoFactor => AliasFilter {
            without_factor: true,
            ..AliasFilter::default()
        },
        ReviewFilter::Unused => AliasFilter {
            unused_since: Some(unused_cutoff()),
            ..AliasFilter::default()
        },
    }
}

fn unused_cutoff() -> chrono::NaiveDateTime {
    crate::models::now() - chrono::Duration::days(UNUSED_DAYS)
}

/// Whether the account's owner passes the filter (the owner row is not in SQL).
pub fn owner_passes(
    conn: &mut DbConn,
    filter: ReviewFilter,
    account: &User,
) -> diesel::QueryResult<bool> {
    Ok(match filter {
        ReviewFilter::All => true,
        ReviewFilter::Risky => holds_risky(kind_permissions(account.kind())),
        ReviewFilter::NoTwoFactor => {
            !review::two_factor_logins(conn, &[account.id])?.contains(&account.id)
        }
        ReviewFilter::Unused => !review::used_since(conn, account, unused_cutoff())?,
    })
}

/// One login as the review shows it.
pub struct LoginView {
    pub login: User,
    pub kind: &'static str,
    pub status: AliasStatus,
    pub role: String,
    pub permissions: PermissionSet,
    /// "All servers", or how many are assigned.
    pub servers: ServersHeld,
    /// Whether it holds a second factor.
    pub two_factor: bool,
    pub api_keys: Vec<review::KeyUse>,
    pub ssh_keys: i64,
    pub sessions: i64,
}

#[derive(Debug, Clone, Copy)]
pub enum ServersHeld {
    All,
    Count(i64),
}

impl ServersHeld {
    pub fn text(self) -> String {
        match self {
            ServersHeld::All => "all".into(),
            ServersHeld::Count(n) => n.to_string(),
        }
    }
}

impl LoginView {
    pub fn of(account: &User, roles: &Roles, login: User, facts: &mut Facts) -> LoginView {
        let is_owner = !login.is_alias();
        let (role, permissions) = if is_owner {
            (
                account.kind().label().to_string(),
                kind_permissions(account.kind()),
            )
        } else {
            match login.role_id.and_then(|r| roles.0.get(&r)) {
                Some((name, keys)) => (name.clone(), alias_permissions(keys, account)),
                None => (String::new(), PermissionSet::empty()),
            }
        };
        let servers = if is_owner || login.all_servers {
            ServersHeld::All
        } else {
            ServersHeld::Count(facts.assigned.get(&login.id).copied().unwrap_or(0))
        };
        let id = login.id;
        LoginView {
            kind: if is_owner { "owner" } else { "alias user" },
            status: AliasStatus::of(&login, crate::models::now().date()),
            role,
            permissions,
            servers,
            two_factor: facts.two_factor.contains(&id),
            api_keys: facts.api_keys.remove(&id).unwrap_or_default(),
            ssh_keys: facts.ssh_keys.get(&id).copied().unwrap_or(0),
            sessions: facts.sessions.get(&id).copied().unwrap_or(0),
            login,
        }
    }

    /// The live keys' most recent use.
    pub fn last_key_use(&self) -> Option<chrono::NaiveDateTime> {
        self.api_keys
            .iter()
            .filter(|k| !k.revoked)
            .filter_map(|k| k.last_used_at)
            .max()
    }

    pub fn live_keys(&self) -> usize {
        self.api_keys.iter().filter(|k| !k.revoked).count()
    }
}
