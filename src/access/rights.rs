//! A login's **rights** as one comparable value, and the one comparison every
//! no-escalation rule is made of: login A *covers* login L when L's rights are a subset of
//! A's (docs/ARCHITECTURE.md, "Rights" and "No escalation").
//!
//! Rights are the account-level permissions a login holds (everything but `servers.*`),
//! plus a pair (server permission, server) for every `servers.*` permission on every
//! server it reaches. Server sets can hold thousands of servers, so the pairs are kept
//! symbolically: the `servers.*` permissions once, and a `ServerGrant` saying which
//! servers they apply to. "All servers of an account" is a grant of its own — every
//! server the account holds now *and later* — so it is more than any list, even a list of
//! every server the account holds today. A login's kind brings its tier's permissions
//! (`actor::kind_permissions`).
//!
//! `coverage` compares two rights from their shapes alone. Only one case needs data: an
//! alias user's list of assigned servers against a narrower reach. Then the answer is
//! `Coverage::Counted`, and the caller passes in what the database counted
//! (`ListedCounts`); `rights::covers` in `changes` does that for a loaded login. Nothing
//! here decides who manages whom (accounts, aliases, roles do); it says only whether one
//! login's rights hold another's.

use super::actor::{alias_permissions, kind_permissions, Actor};
use super::permission_set::PermissionSet;
use crate::models::reach::Reach;
use crate::models::user::{Kind, User};

/// Which servers a login's `servers.*` permissions apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerGrant {
    /// Every server of the installation, now and later (an admin, an admin's alias with
    /// "all servers").
    Everything,
    /// Every server the regular account `account` holds, now and later. `kind` and
    /// `owner` say whose servers those also are: a customer's servers always carry the
    /// customer's reseller (`access::servers::new_owner_chain`), so a reseller's grant holds
    /// its customers' grants.
    AllOf {
        account: i32,
        kind: Kind,
        owner: Option<i32>,
    },
    /// The servers assigned to the alias user `alias`, within its parent's grant.
    Listed {
        alias: i32,
        parent: Box<ServerGrant>,
    },
    /// The servers the API key `key` was limited to, within its login's grant.
    Chosen { key: i32, within: Box<ServerGrant> },
}

/// What an API key was granted when it was made: some permissions or all of
/// its login's, and all of its login's servers or a chosen list (`api_key_servers`). A key
/// acts with these ∩ its login's rights *now* (`Rights::within_key`), so narrowing the
/// login narrows the key at once, and widening the login never widens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub key: i32,
    /// None: every permission the login holds at the time of each call.
    pub permissions: Option<PermissionSet>,
    pub all_servers: bool,
}

/// A login's rights, as one value to compare (docs/ARCHITECTURE.md, "Rights").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rights {
    /// Account-level permissions (customers.*, alias_users.*, admin.*, …).
    pub account: PermissionSet,
    /// The `servers.*` permissions, held on every server of `servers`.
    pub server: PermissionSet,
    pub servers: ServerGrant,
}

/// The server grant of a regular account by its kind.
fn account_grant(account: &User) -> ServerGrant {
    match account.kind() {
        Kind::Admin => ServerGrant::Everything,
        kind => ServerGrant::AllOf {
            account: account.id,
            kind,
            owner: account.owner_id,
        },
    }
}

impl Rights {
    fn from_parts(permissions: PermissionSet, servers: ServerGrant) -> Rights {
        Rights {
            account: permissions.account_part(),
            server: permissions.server_part(),
            servers,
        }
    }

    /// The rights of a regular account.
    pub fn of_account(account: &User) -> Rights {
        Rights::from_parts(kind_permissions(account.kind()), account_grant(account))
    }

    /// The rights of an alias user of `parent` whose role holds `role`: role ∩ parent,
    /// on all of the parent's servers or on its assigned ones.
    pub fn of_alias(alias: &User, parent: &User, role: PermissionSet) -> Rights {
        let keys = role.keys();
        let servers = if alias.all_servers {
            account_grant(parent)
        } else {
            ServerGrant::Listed {
                alias: alias.id,
                parent: Box::new(account_grant(parent)),
            }
        };
        Rights::from_parts(alias_permissions(&keys, parent), servers)
    }

    /// The rights of any login: an account's, or an alias user's given its parent and its
    /// role's permissions. Standing (disabled, expired) is not a right: a disabled login
    /// keeps the rights it would have when enabled again.
    pub fn of_login(login: &User, parent: Option<&User>, role: PermissionSet) -> Rights {
        match (login.is_alias(), parent) {
            (true, Some(p)) => Rights::of_alias(login, p, role),
            // An alias without a parent acts as nobody.
            (true, None) => Rights::from_parts(
                PermissionSet::empty(),
                ServerGrant::Listed {
                    alias: login.id,
                    parent: Box::new(ServerGrant::AllOf {
                        account: 0,
                        kind: Kind::User,
                        owner: None,
                    }),
                },
            ),
            (false, _) => Rights::of_account(login),
        }
    }

    /// What the acting login of a request holds (the target's, while impersonating).
    pub fn of_actor(actor: &Actor) -> Rights {
        let servers = match &actor.parent {
            Some(p) if !actor.login.all_servers => ServerGrant::Listed {
                alias: actor.login.id,
                parent: Box::new(account_grant(p)),
            },
            Some(p) => account_grant(p),
            None => account_grant(&actor.login),
        };
        let rights = Rights::from_parts(actor.permissions, servers);
        match &actor.key {
            Some(key) => rights.within_key(key),
            None => rights,
        }
    }

    /// These rights cut down to what an API key was granted: the intersection, so the key
    /// never holds a grant its login does not hold now.
    pub fn within_key(&self, key: &KeyGrant) -> Rights {
        let granted = key.permissions.unwrap_or_else(PermissionSet::all);
        let servers = match (&self.servers, key.all_servers) {
            (grant, true) => grant.clone(),
            // Applying the same key twice changes nothing.
            (grant @ ServerGrant::Chosen { key: k, .. }, false) if *k == key.key => grant.clone(),
            (grant, false) => ServerGrant::Chosen {
                key: key.key,
                within: Box::new(grant.clone()),
            },
        };
        Rights {
            account: self.account.intersect(granted.account_part()),
            server: self.server.intersect(granted.server_part()),
            servers,
        }
    }

    /// Every permission of these rights (account-level and server).
    pub fn permissions(&self) -> PermissionSet {
        self.account.union(self.server)
    }

    /// The servers this login reaches, as a query filter.
    pub fn reach(&self) -> Reach {
        self.servers.reach()
    }
}

impl ServerGrant {
    /// The servers of the grant, as a query filter.
    pub fn reach(&self) -> Reach {
        match self {
            ServerGrant::Everything => Reach::All,
            ServerGrant::AllOf {
                account,
                kind: Kind::Reseller,
                ..
            } => Reach::Reseller(*account),
            ServerGrant::AllOf { account, .. } => Reach::Owner(*account),
            ServerGrant::Listed { alias, parent } => Reach::Assigned {
                alias_id: *alias,
                within: Box::new(parent.reach()),
            },
            ServerGrant::Chosen { key, within } => Reach::KeyServers {
                key_id: *key,
                within: Box::new(within.reach()),
            },
        }
    }
}

/// Whether `a` covers `l`, as far as the shapes of their rights tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Covered,
    NotCovered,
    /// `l` is an alias user with a list of servers, and the answer depends on that list:
    /// covered when none of its servers lies outside `a`'s reach (`within_a: true`), or,
    /// when `a` lacks some of `l`'s server permissions, when `l` reaches no server at all
    /// (`within_a: false`).
    Counted {
        within_a: bool,
    },
}

/// What the database counted for a listed alias user `l`: how many servers it reaches
/// (its assignments its parent still holds), and how many of those lie outside `a`'s reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListedCounts {
    pub total: i64,
    pub outside_a: i64,
}

impl Coverage {
    /// The answer, given the counts when the shapes could not tell.
    pub fn settle(&self, counts: ListedCounts) -> bool {
        match self {
            Coverage::Covered => true,
            Coverage::NotCovered => false,
            Coverage::Counted { within_a: true } => counts.outside_a == 0,
            Coverage::Counted { within_a: false } => counts.total == 0,
        }
    }

    /// Whether the answer needs `ListedCounts` at all.
    pub fn needs_counts(&self) -> bool {
        matches!(self, Coverage::Counted { .. })
    }
}

/// Does `outer` hold every server of `inner`, now and later, from their shapes alone?
/// `Some(false)` for no, `None` when only a count can tell (a list against a narrower reach).
fn grant_holds(outer: &ServerGrant, inner: &ServerGrant) -> Option<bool> {
    use ServerGrant::*;
    match (outer, inner) {
        (Everything, _) => Some(true),
        (_, Everything) => Some(false),
        // A key's list lies within its login's grant. Keys are never compared as the
        // covered side in practice; a key's list as the coverer holds no one's servers
        // (an unsure answer is no: a scoped key manages no login with server rights).
        (_, Chosen { within, .. }) => Some(grant_holds(outer, within) == Some(true)),
        (Chosen { .. }, _) => Some(false),
        (AllOf { account: a, .. }, AllOf { account: b, .. }) if a == b => Some(true),
        // A reseller's servers include its customers' (they carry its id as reseller).
        (
            AllOf {
                account: r,
                kind: Kind::Reseller,
                ..
            },
            AllOf {
                kind: Kind::User,
                owner: Some(o),
                ..
            },
        ) if r == o => Some(true),
        // "All servers" is more than any list.
        (Listed { .. }, AllOf { .. }) | (AllOf { .. }, AllOf { .. }) => Some(false),
        // A list lies within its parent's grant: holding that holds the list; otherwise
        // only its servers, counted, can tell.
        (_, Listed { parent, .. }) => match grant_holds(outer, parent) {
            Some(true) => Some(true),
            _ => None,
        },
    }
}

/// Whether `a` covers `l`: `l`'s account-level permissions are `a`'s, and every
/// (server permission, server) pair of `l` is one of `a`'s.
pub fn coverage(a: &Rights, l: &Rights) -> Coverage {
    if !l.account.is_subset_of(a.account) {
        return Coverage::NotCovered;
    }
    if l.server.is_empty() {
        return Coverage::Covered;
    }
    let listed = matches!(l.servers, ServerGrant::Listed { .. });
    if !l.server.is_subset_of(a.server) {
        // `a` lacks a server permission of `l`: only a login that reaches no server holds
        // no pair of it, and only a list can be empty.
        return if listed {
            Coverage::Counted { within_a: false }
        } else {
            Coverage::NotCovered
        };
    }
    match grant_holds(&a.servers, &l.servers) {
        Some(true) => Coverage::Covered,
        Some(false) => Coverage::NotCovered,
        None => Coverage::Counted { within_a: true },
    }
}

/// Whether the actor covers a regular account. An account's grant is never a list, so
/// its shape always tells (no count is ever needed).
pub fn covers_account(actor: &Actor, account: &User) -> bool {
    coverage(&Rights::of_actor(actor), &Rights::of_account(account)) == Coverage::Covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use crate::access::Perm;

    fn set(perms: &[Perm]) -> PermissionSet {
        PermissionSet::of(perms.iter().copied())
    }

    fn customer(id: i32, owner: i32) -> User {
        let mut u = user(id, "user");
        u.owner_id = Some(owner);
        u
    }

    fn listed(id: i32, parent: &User, perms: &[Perm]) -> Rights {
        Rights::of_alias(&alias(id, parent), parent, set(perms))
    }

    fn all_of(id: i32, parent: &User, perms: &[Perm]) -> Rights {
        let mut a = alias(id, parent);
        a.all_servers = true;
        Rights::of_alias(&a, parent, set(perms))
    }

    const NONE: ListedCounts = ListedCounts {
        total: 0,
        outside_a: 0,
    };

    fn covers(a: &Rights, l: &Rights) -> bool {
        let c = coverage(a, l);
        assert!(!c.needs_counts(), "{a:?} / {l:?} needed counts");
        c.settle(NONE)
    }

    #[test]
    fn an_admin_covers_every_other_login_and_no_one_below_covers_an_admin() {
        let admin = Rights::of_account(&user(1, "admin"));
        let reseller = Rights::of_account(&user(2, "reseller"));
        let cust = Rights::of_account(&customer(3, 2));
        for l in [&admin, &reseller, &cust] {
            assert!(covers(&admin, l));
        }
        assert!(!covers(&reseller, &admin));
        assert!(!covers(&cust, &admin));
    }

    #[test]
    fn a_reseller_covers_its_own_customers_only() {
        let reseller = Rights::of_account(&user(2, "reseller"));
        assert!(covers(&reseller, &Rights::of_account(&customer(3, 2))));
        assert!(!covers(&reseller, &Rights::of_account(&customer(4, 9))));
        assert!(!covers(
            &reseller,
            &Rights::of_account(&user(8, "reseller"))
        ));
        assert!(!covers(&Rights::of_account(&customer(3, 2)), &reseller));
    }

    #[test]
    fn a_kind_brings_its_tier_so_a_promotion_is_not_covered_by_a_lesser_login() {
        let parent = user(1, "admin");
        let every_user_perm = PermissionSet::of_tiers(&[crate::access::Tier::User]);
        let helper = {
            let mut a = alias(5, &parent);
            a.all_servers = true;
            Rights::of_alias(&a, &parent, every_user_perm.union(set(&[Perm::AdminUsers])))
        };
        let cust = customer(7, 1);
        assert!(covers(&helper, &Rights::of_account(&cust)));
        let mut promoted = cust.clone();
        promoted.kind = "admin".into();
        promoted.owner_id = None;
        assert!(!covers(&helper, &Rights::of_account(&promoted)));
        promoted.kind = "reseller".into();
        promoted.owner_id = Some(1);
        assert!(!covers(&helper, &Rights::of_account(&promoted)));
    }

    #[test]
    fn all_servers_is_more_than_any_list() {
        let account = user(1, "user");
        let perms = [Perm::ServersView, Perm::ServersPower];
        let narrow = listed(2, &account, &perms);
        let wide = all_of(3, &account, &perms);
        assert!(covers(&wide, &narrow));
        assert_eq!(coverage(&narrow, &wide), Coverage::NotCovered);
        // Even when the list holds every server today: counts are not asked.
        assert!(!coverage(&narrow, &wide).needs_counts());
        assert!(covers(&Rights::of_account(&account), &wide));
    }

    #[test]
    fn a_list_is_covered_when_none_of_its_servers_lies_outside_the_coverers_reach() {
        let account = user(1, "user");
        let perms = [Perm::ServersView];
        let a = listed(2, &account, &perms);
        let l = listed(3, &account, &perms);
        let c = coverage(&a, &l);
        assert_eq!(c, Coverage::Counted { within_a: true });
        assert!(c.settle(ListedCounts {
            total: 4,
            outside_a: 0
        }));
        assert!(!c.settle(ListedCounts {
            total: 4,
            outside_a: 1
        }));
    }

    #[test]
    fn a_server_permission_the_coverer_lacks_is_harmless_only_on_no_server() {
        let account = user(1, "user");
        let a = all_of(2, &account, &[Perm::ServersView]);
        let l = listed(3, &account, &[Perm::ServersView, Perm::ServersPower]);
        let c = coverage(&a, &l);
        assert_eq!(c, Coverage::Counted { within_a: false });
        assert!(c.settle(ListedCounts {
            total: 0,
            outside_a: 0
        }));
        assert!(!c.settle(ListedCounts {
            total: 1,
            outside_a: 0
        }));
        // On all servers it always holds pairs.
        let wide = all_of(4, &account, &[Perm::ServersView, Perm::ServersPower]);
        assert_eq!(coverage(&a, &wide), Coverage::NotCovered);
    }

    #[test]
    fn account_permissions_are_compared_as_sets() {
        let account = user(1, "user");
        let a = all_of(2, &account, &[Perm::ServersView, Perm::AliasUsersManage]);
        let l = all_of(3, &account, &[Perm::ServersView, Perm::ApiKeysManage]);
        assert!(!covers(&a, &l));
        let l = all_of(3, &account, &[Perm::AliasUsersManage]);
        assert!(covers(&a, &l));
        // Without server permissions the servers do not matter.
        let l = all_of(4, &account, &[]);
        assert!(covers(&listed(5, &account, &[]), &l));
    }

    #[test]
    fn a_resellers_narrow_alias_does_not_cover_a_customers_wider_alias() {
        // Once answered wrongly: a reseller's alias limited to one server against a
        // customer's alias with all of the customer's servers.
        let reseller = user(2, "reseller");
        let cust = customer(3, 2);
        let perms = [Perm::ServersView, Perm::ServersPower];
        let narrow = listed(
            4,
            &reseller,
            &[&perms[..], &[Perm::CustomersImpersonate]].concat(),
        );
        let wide = all_of(5, &cust, &perms);
        assert_eq!(coverage(&narrow, &wide), Coverage::NotCovered);
        // The reseller itself covers it, and its alias with all servers does too.
        assert!(covers(&Rights::of_account(&reseller), &wide));
        assert!(covers(&all_of(6, &reseller, &perms), &wide));
        // A customer's listed alias against the reseller: the reseller's reach includes
        // the customer's, so no count is needed.
        assert!(covers(
            &Rights::of_account(&reseller),
            &listed(7, &cust, &perms)
        ));
    }

    #[test]
    fn other_tenants_are_never_covered() {
        let a = Rights::of_account(&user(1, "user"));
        let other = user(9, "user");
        assert!(!covers(&a, &Rights::of_account(&other)));
        assert!(!covers(&a, &all_of(10, &other, &[Perm::ServersView])));
        // A list within another tenant's servers can only be settled by a count.
        let c = coverage(&a, &listed(11, &other, &[Perm::ServersView]));
        assert_eq!(c, Coverage::Counted { within_a: true });
    }

    #[test]
    fn the_actors_rights_are_those_of_its_login() {
        let parent = user(1, "reseller");
        let mut al = alias(2, &parent);
        let a = actor(
            al.clone(),
            Some(parent.clone()),
            &["servers.view", "customers.view"],
        );
        let r = Rights::of_actor(&a);
        assert_eq!(
            r,
            Rights::of_alias(&al, &parent, set(&[Perm::ServersView, Perm::CustomersView]))
        );
        assert_eq!(r.reach(), a.reach);
        al.all_servers = true;
        let a = actor(al.clone(), Some(parent.clone()), &["servers.view"]);
        assert_eq!(Rights::of_actor(&a).reach(), a.reach);
        for kind in ["admin", "reseller", "user"] {
            let a = actor(user(3, kind), None, &[]);
            assert_eq!(Rights::of_actor(&a), Rights::of_account(&a.login));
            assert_eq!(Rights::of_actor(&a).reach(), a.reach);
        }
    }

    #[test]
    fn a_key_holds_its_grants_within_its_logins_rights_and_never_more() {
        let account = user(1, "user");
        let login = all_of(2, &account, &[Perm::ServersView, Perm::ApiKeysManage]);
        let key = KeyGrant {
            key: 9,
            permissions: Some(set(&[Perm::ServersView, Perm::ServersPower])),
            all_servers: false,
        };
        let k = login.within_key(&key);
        // servers.power was granted but the login lacks it: the key lacks it too.
        assert_eq!(k.permissions(), set(&[Perm::ServersView]));
        assert_eq!(
            k.reach(),
            Reach::KeyServers {
                key_id: 9,
                within: Box::new(Reach::Owner(1))
            }
        );
        // Applying it twice changes nothing; its login covers it, it covers no list.
        assert_eq!(k.within_key(&key), k);
        assert!(covers(&login, &k));
        assert_eq!(
            coverage(&k, &listed(3, &account, &[Perm::ServersView])),
            Coverage::NotCovered
        );
        // "All" means the login's, whatever they are at the time.
        let all = KeyGrant {
            key: 10,
            permissions: None,
            all_servers: true,
        };
        assert_eq!(login.within_key(&all), login);
    }

    #[test]
    fn an_actor_with_a_key_acts_with_the_keys_rights() {
        let account = user(1, "user");
        let a = actor(account.clone(), None, &[]).with_key(KeyGrant {
            key: 4,
            permissions: Some(set(&[Perm::ServersView])),
            all_servers: false,
        });
        assert!(a.may(Perm::ServersView) && !a.may(Perm::ServersPower));
        assert_eq!(Rights::of_actor(&a).reach(), a.reach);
        assert!(matches!(a.reach, Reach::KeyServers { key_id: 4, .. }));
    }
}
