//! The oracle: the kinds of login, the permission catalog and the no-escalation rule
//! (SECURITY.md, "The no-escalation rule") restated from the tables, independent of
//! `src/access`.
//! A login's rights are its account-level permissions, its server permissions with the
//! servers it reaches (the pairs), and the "all servers" grant of an account or of an alias
//! user that has it. `covers(a, l)` is the subset test; the attacker asks it after every
//! step. Everything is computed from rows read back from the database.

use std::collections::{BTreeMap, BTreeSet};

use diesel::sql_types::{Bool, Date, Integer, Nullable, Text};
use diesel::QueryableByName;

use super::fixtures::rows;
use crate::helpers::TestApp;

/// The permission catalog: key and tier (0 user, 1 reseller, 2 admin).
pub const CATALOG: &[(&str, u8)] = &[
    ("servers.view", 0),
    ("servers.power", 0),
    ("servers.rename", 0),
    ("servers.rdns", 0),
    ("servers.traffic", 0),
    ("servers.inventory", 0),
    ("servers.console", 0),
    ("servers.rescue", 0),
    ("servers.reinstall", 0),
    ("ssh_keys.manage", 0),
    ("activity.view", 0),
    ("api_keys.manage", 0),
    ("alias_users.manage", 0),
    ("alias_users.impersonate", 0),
    ("alias_roles.manage", 0),
    ("customers.view", 1),
    ("customers.manage", 1),
    ("customers.impersonate", 1),
    ("customers.assign_servers", 1),
    ("servers.ip_assignments", 1),
    ("admin.users", 2),
    ("admin.servers", 2),
    ("admin.impersonate", 2),
    ("admin.audit", 2),
    ("admin.settings", 2),
];

/// The keys of a bit mask over `CATALOG`.
pub fn keys_of_mask(mask: u32) -> Vec<&'static str> {
    CATALOG
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, (k, _))| *k)
        .collect()
}

fn tier_of(kind: &str) -> Option<u8> {
    match kind {
        "user" => Some(0),
        "reseller" => Some(1),
        "admin" => Some(2),
        _ => None,
    }
}

/// The permissions a regular account holds by its kind.
fn kind_keys(kind: &str) -> BTreeSet<String> {
    let top = tier_of(kind);
    CATALOG
        .iter()
        .filter(|(_, t)| top.is_some_and(|top| *t <= top))
        .map(|(k, _)| k.to_string())
        .collect()
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct LoginRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub parent_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub role_id: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub all_servers: bool,
    #[diesel(sql_type = Bool)]
    pub disabled: bool,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<chrono::NaiveDate>,
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub hostname: String,
    #[diesel(sql_type = Text)]
    pub primary_ip: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub reseller_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Integer)]
    a: i32,
    #[diesel(sql_type = Text)]
    b: String,
}

#[derive(QueryableByName)]
struct IdPair {
    #[diesel(sql_type = Integer)]
    a: i32,
    #[diesel(sql_type = Integer)]
    b: i32,
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Integer)]
    pub user_id: i32,
    /// Granted permission keys separated by spaces; NULL for all of the login's.
    #[diesel(sql_type = Nullable<Text>)]
    pub permissions: Option<String>,
    #[diesel(sql_type = Bool)]
    pub all_servers: bool,
    #[diesel(sql_type = Bool)]
    pub revoked: bool,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<chrono::NaiveDate>,
}

/// An API key of the world: its row and the servers it was limited to.
#[derive(Debug, Clone)]
pub struct Key {
    pub row: KeyRow,
    pub chosen: BTreeSet<i32>,
}

/// The rows of one world that decide rights, as the database holds them now.
#[derive(Debug, Clone)]
pub struct State {
    pub logins: BTreeMap<i32, LoginRow>,
    pub roles: BTreeMap<i32, (i32, BTreeSet<String>)>,
    pub assigned: BTreeMap<i32, BTreeSet<i32>>,
    pub servers: BTreeMap<i32, ServerRow>,
    /// The API keys of the world's logins.
    pub keys: BTreeMap<i32, Key>,
    pub today: chrono::NaiveDate,
}

impl State {
    /// Reads the logins whose username starts with `prefix` (the world), every role of
    /// their accounts, every server and every assignment.
    pub fn load(app: &TestApp, prefix: &str) -> State {
        let logins: Vec<LoginRow> = rows(
            app,
            &format!(
                "SELECT id, kind, username, name, owner_id, parent_id, role_id, all_servers, \
                 disabled, expires_on FROM users WHERE username_key LIKE '{prefix}%'"
            ),
        );
        let logins: BTreeMap<i32, LoginRow> = logins.into_iter().map(|l| (l.id, l)).collect();
        let ids = id_list(logins.keys());
        let mut roles: BTreeMap<i32, (i32, BTreeSet<String>)> = BTreeMap::new();
        for p in rows::<IdPair>(
            app,
            &format!(
                "SELECT id AS a, account_id AS b FROM alias_roles WHERE account_id IN ({ids})"
            ),
        ) {
            roles.insert(p.a, (p.b, BTreeSet::new()));
        }
        for p in rows::<Pair>(
            app,
            &format!(
                "SELECT p.role_id AS a, p.permission AS b FROM alias_role_permissions p \
                 JOIN alias_roles r ON r.id = p.role_id WHERE r.account_id IN ({ids})"
            ),
        ) {
            if let Some(r) = roles.get_mut(&p.a) {
                r.1.insert(p.b);
            }
        }
        let mut assigned: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
        for p in rows::<IdPair>(
            app,
            &format!(
                "SELECT alias_id AS a, server_id AS b FROM alias_servers WHERE alias_id IN ({ids})"
            ),
        ) {
            assigned.entry(p.a).or_default().insert(p.b);
        }
        let servers: Vec<ServerRow> = rows(
            app,
            "SELECT id, hostname, primary_ip, reseller_id, owner_id FROM servers",
        );
        let mut keys: BTreeMap<i32, Key> = rows::<KeyRow>(
            app,
            &format!(
                "SELECT id, user_id, permissions, all_servers, \
                 (revoked_at IS NOT NULL) AS revoked, expires_on \
                 FROM api_keys WHERE user_id IN ({ids})"
            ),
        )
        .into_iter()
        .map(|row| {
            (
                row.id,
                Key {
                    row,
                    chosen: BTreeSet::new(),
                },
            )
        })
        .collect();
        for p in rows::<IdPair>(
            app,
            &format!(
                "SELECT key_id AS a, server_id AS b FROM api_key_servers WHERE key_id IN ({})",
                id_list(keys.keys())
            ),
        ) {
            if let Some(k) = keys.get_mut(&p.a) {
                k.chosen.insert(p.b);
            }
        }
        State {
            logins,
            roles,
            assigned,
            servers: servers.into_iter().map(|s| (s.id, s)).collect(),
            keys,
            today: chrono::Utc::now().date_naive(),
        }
    }

    /// Whether a login may act today: not disabled, not expired, and for an alias user a
    /// parent that may act.
    pub fn alive(&self, id: i32) -> bool {
        let Some(l) = self.logins.get(&id) else {
            return false;
        };
        if l.disabled || l.expires_on.is_some_and(|d| d <= self.today) {
            return false;
        }
        match (l.kind.as_str(), l.parent_id) {
            ("alias", Some(p)) => self.logins.get(&p).is_some_and(|p| !p.disabled),
            ("alias", None) => false,
            _ => true,
        }
    }

    /// The regular account whose environment a login acts in.
    pub fn account_of(&self, id: i32) -> Option<i32> {
        let l = self.logins.get(&id)?;
        if l.kind == "alias" {
            l.parent_id
        } else {
            Some(id)
        }
    }

    /// The logins around `id`: those of its account (its parent, its siblings, its alias
    /// users) and, for a reseller's or an admin's logins, the accounts below and theirs.
    pub fn related(&self, id: i32) -> BTreeSet<i32> {
        let Some(own) = self.account_of(id) else {
            return BTreeSet::new();
        };
        let own_kind = self.logins.get(&own).map_or("", |l| l.kind.as_str());
        self.logins
            .values()
            .filter(|l| l.id != id)
            .filter(|l| {
                let acc = self.account_of(l.id);
                acc == Some(own)
                    || own_kind == "admin"
                    || (own_kind == "reseller"
                        && acc
                            .and_then(|a| self.logins.get(&a))
                            .is_some_and(|a| a.owner_id == Some(own)))
            })
            .map(|l| l.id)
            .collect()
    }

    /// The servers a regular account holds now.
    fn held_by(&self, account: i32) -> BTreeSet<i32> {
        let Some(a) = self.logins.get(&account) else {
            return BTreeSet::new();
        };
        self.servers
            .values()
            .filter(|s| match a.kind.as_str() {
                "admin" => true,
                "reseller" => s.reseller_id == Some(account) || s.owner_id == Some(account),
                _ => s.owner_id == Some(account),
            })
            .map(|s| s.id)
            .collect()
    }

    /// The servers in a scope now.
    pub fn members(&self, scope: Scope) -> BTreeSet<i32> {
        match scope {
            Scope::Installation => self.servers.keys().copied().collect(),
            Scope::Account(a) => self.held_by(a),
        }
    }

    fn scope_of_account(&self, account: i32) -> Scope {
        match self.logins.get(&account).map(|a| a.kind.as_str()) {
            Some("admin") => Scope::Installation,
            _ => Scope::Account(account),
        }
    }

    /// Whether scope `a` includes every server `b` does, now and later: the installation
    /// includes every account; a reseller's includes its customers'.
    pub fn scope_includes(&self, a: Scope, b: Scope) -> bool {
        match (a, b) {
            (Scope::Installation, _) => true,
            (Scope::Account(_), Scope::Installation) => false,
            (Scope::Account(x), Scope::Account(y)) => {
                x == y
                    || (self.logins.get(&x).is_some_and(|r| r.kind == "reseller")
                        && self.logins.get(&y).is_some_and(|c| c.owner_id == Some(x)))
            }
        }
    }

    /// The rights of a login now (none when it may not act or does not exist).
    pub fn rights(&self, id: i32) -> Rights {
        if !self.alive(id) {
            return Rights::default();
        }
        let l = &self.logins[&id];
        let (keys, servers, all) = if l.kind == "alias" {
            let parent = l.parent_id.expect("alive alias has a parent");
            let pkind = &self.logins[&parent].kind;
            let role_keys = l
                .role_id
                .and_then(|r| self.roles.get(&r))
                .map(|r| r.1.clone())
                .unwrap_or_default();
            let keys: BTreeSet<String> =
                role_keys.intersection(&kind_keys(pkind)).cloned().collect();
            let within = self.held_by(parent);
            if l.all_servers {
                (keys, within, Some(self.scope_of_account(parent)))
            } else {
                let mine = self.assigned.get(&id).cloned().unwrap_or_default();
                (keys, mine.intersection(&within).copied().collect(), None)
            }
        } else {
            (
                kind_keys(&l.kind),
                self.held_by(id),
                Some(self.scope_of_account(id)),
            )
        };
        let (sperms, perms): (BTreeSet<String>, BTreeSet<String>) =
            keys.into_iter().partition(|k| k.starts_with("servers."));
        Rights {
            perms,
            sperms,
            servers,
            all,
        }
    }

    /// What API key `kid` may do now: its grants ∩ its login's current rights.
    /// The permissions it was granted (all when none were ticked) cut down to the login's;
    /// its chosen servers cut down to those the login reaches, and no "all servers" grant
    /// unless it has all of its login's servers. `None` when the key does not work at all
    /// (revoked, expired, gone, or its login may not act): the API answers 401.
    pub fn key_rights(&self, kid: i32) -> Option<Rights> {
        let k = self.keys.get(&kid)?;
        let row = &k.row;
        if row.revoked || row.expires_on.is_some_and(|d| d <= self.today) {
            return None;
        }
        if !self.alive(row.user_id) {
            return None;
        }
        let mut r = self.rights(row.user_id);
        if let Some(text) = &row.permissions {
            let granted: BTreeSet<String> = text.split_whitespace().map(str::to_string).collect();
            r.perms = r.perms.intersection(&granted).cloned().collect();
            r.sperms = r.sperms.intersection(&granted).cloned().collect();
        }
        if !row.all_servers {
            r.servers = r.servers.intersection(&k.chosen).copied().collect();
            r.all = None;
        }
        Some(r)
    }

    /// The no-escalation rule: `a` covers `l` when every grant of `l` is one of `a`'s.
    /// Server pairs are compared as sets of (permission, server); a server `a` does not
    /// list still counts when `a`'s "all servers" grant includes it in this state.
    pub fn covers(&self, a: &Rights, l: &Rights) -> bool {
        if !l.perms.is_subset(&a.perms) {
            return false;
        }
        if l.sperms.is_empty() || (l.servers.is_empty() && l.all.is_none()) {
            return true;
        }
        if !l.sperms.is_subset(&a.sperms) {
            return false;
        }
        let a_all = a.all.map(|s| self.members(s)).unwrap_or_default();
        if !l
            .servers
            .iter()
            .all(|s| a.servers.contains(s) || a_all.contains(s))
        {
            return false;
        }
        match (l.all, a.all) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(ls), Some(as_)) => self.scope_includes(as_, ls),
        }
    }

    /// Whether login `id` holds `perm` on server `sid` now.
    pub fn holds_on(&self, id: i32, perm: &str, sid: i32) -> bool {
        let r = self.rights(id);
        r.sperms.contains(perm) && r.reaches(sid)
    }

    /// Display names or usernames of the world that carry a format character (Unicode
    /// category Cf: bidi controls, zero-width characters, BOM) or a control character.
    pub fn hidden_characters(&self) -> Vec<String> {
        self.logins
            .values()
            .flat_map(|l| [&l.name, &l.username])
            .filter(|s| s.chars().any(is_hidden))
            .map(|s| format!("{s:?}"))
            .collect()
    }
}

/// Control characters and the Cf characters a display name could hide behind.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{0600}'..='\u{0605}' | '\u{061c}' | '\u{06dd}' | '\u{070f}'
            | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}')
}

/// Where an "all servers" grant reaches: the whole installation, or one account's servers
/// (and, for a reseller, those it passed to its customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Installation,
    Account(i32),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rights {
    /// Account-level permissions.
    pub perms: BTreeSet<String>,
    /// `servers.*` permissions, held on every server of `servers` (and of `all`).
    pub sperms: BTreeSet<String>,
    /// The servers reached now.
    pub servers: BTreeSet<i32>,
    /// The "all servers" grant.
    pub all: Option<Scope>,
}

impl Rights {
    pub fn reaches(&self, sid: i32) -> bool {
        self.servers.contains(&sid)
    }
}

fn id_list<'a>(ids: impl Iterator<Item = &'a i32>) -> String {
    let v: Vec<String> = ids.map(|i| i.to_string()).collect();
    if v.is_empty() {
        "0".into()
    } else {
        v.join(",")
    }
}
