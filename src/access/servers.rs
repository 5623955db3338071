//! Who reaches which server and what they may do there. A server is reached through the
//! login's `Reach` (built by `Actor::resolve`: all, a reseller's, an owner's, or an alias
//! user's assigned servers within its parent's), applied as a SQL filter by
//! `find_reachable`; what is outside is reported as absent (404) whatever the permission.
//! Within reach, each action needs its permission (`may_on_reached_servers`). Because
//! alias users, impersonation and API keys all arrive here as an `Actor`, there is one
//! code path.
//!
//! A server's owner chain: `reseller_id` (the reseller it is assigned to) and `owner_id` (the
//! customer using it). The rule that keeps them coherent: a customer's server carries the
//! customer's reseller (if its owner is a reseller), so the reseller keeps reaching what
//! it passed on; a reseller's unpassed server has no owner; an admin's customer's server
//! has no reseller. Admins (admin.servers) assign anywhere; a reseller with
//! customers.assign_servers moves only servers assigned to itself, between itself and its
//! own customers.

use std::ops::Deref;

use diesel::QueryResult;

use super::accounts::may_view_account;
use super::actor::{kind_permissions, Actor};
use super::catalog::Perm;
use crate::db::DbConn;
use crate::models::user::{Kind, User};
use crate::models::Page;
use crate::models::{reach::Reach, server::Server};

/// A server loaded through the actor's reach: holding one proves the actor reaches it.
#[derive(Debug, Clone)]
pub struct Reachable(Server);

impl Deref for Reachable {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.0
    }
}

impl Reachable {
    pub fn into_inner(self) -> Server {
        self.0
    }
}

/// The server `id` if the actor reaches it; `None` (answered as 404) otherwise.
pub fn find_reachable(conn: &mut DbConn, actor: &Actor, id: i32) -> QueryResult<Option<Reachable>> {
    Server::find_within(conn, &actor.reach, id).map(|s| s.map(Reachable))
}

/// A server the actor reaches, by hostname or one of its addresses.
pub fn find_reachable_by_name(
    conn: &mut DbConn,
    actor: &Actor,
    hostname_or_ip: &str,
) -> QueryResult<Option<Reachable>> {
    crate::models::server::find_by_name_within(conn, &actor.reach, hostname_or_ip)
        .map(|s| s.map(Reachable))
}

/// The servers with `account` on their owner chain (owned by it, or assigned to it as
/// reseller) that the actor reaches.
pub fn list_reachable_owned_by(
    conn: &mut DbConn,
    actor: &Actor,
    account: i32,
    q: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<Page<Reachable>> {
    Ok(Server::list_owned_within(conn, &actor.reach, account, q, page, per_page)?.map(Reachable))
}

/// The part of `reach` (another login's servers) the actor may see in detail: what it
/// reaches itself. The rest is shown only as a count: views follow reach.
pub fn visible_reach(actor: &Actor, reach: &Reach) -> Reach {
    if actor.reach.includes(reach) {
        reach.clone()
    } else {
        reach.clone().and(actor.reach.clone())
    }
}

/// May list and open the servers it reaches.
pub fn may_view_servers(actor: &Actor) -> bool {
    actor.may(Perm::ServersView)
}

/// May do what `perm` allows on the servers it reaches. A login's `servers.*` permissions
/// hold alike on every server it reaches (`rights::Rights`), so no server is asked for:
/// that a server is reached is proven by holding it as a `Reachable`.
pub fn may_on_reached_servers(actor: &Actor, perm: Perm) -> bool {
    actor.may(perm)
}

/// May add servers to the inventory, edit and delete them.
pub fn may_manage_inventory(actor: &Actor) -> bool {
    actor.may(Perm::AdminServers)
}

/// Everything a login may do on one server: drives which buttons show and is what the
/// handlers check before acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerActions {
    pub view: bool,
    pub power: bool,
    pub rename: bool,
    pub rdns: bool,
    pub reinstall: bool,
    pub rescue: bool,
    pub console: bool,
    pub inventory: bool,
    pub traffic: bool,
    pub edit: bool,
    pub assign: bool,
}

pub fn server_actions(actor: &Actor, server: &Reachable) -> ServerActions {
    let on = |perm| may_on_reached_servers(actor, perm);
    ServerActions {
        view: on(Perm::ServersView),
        power: on(Perm::ServersPower),
        rename: on(Perm::ServersRename),
        rdns: on(Perm::ServersRdns),
        reinstall: on(Perm::ServersReinstall),
        rescue: on(Perm::ServersRescue),
        console: on(Perm::ServersConsole),
        inventory: on(Perm::ServersInventory),
        traffic: on(Perm::ServersTraffic),
        edit: may_manage_inventory(actor),
        assign: may_assign_server(actor, server),
    }
}

/// How a login assigns servers, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigner {
    /// admin.servers: any server to any reseller or customer.
    Admin,
    /// A reseller (or its alias) with customers.assign_servers: its servers, its customers.
    Reseller(i32),
}

pub fn assigner(actor: &Actor) -> Option<Assigner> {
    if actor.may(Perm::AdminServers) {
        Some(Assigner::Admin)
    } else if actor.may(Perm::CustomersAssignServers) && actor.account().kind() == Kind::Reseller {
        Some(Assigner::Reseller(actor.account_id()))
    } else {
        None
    }
}

/// May change this server's owner chain (shows the owner form).
pub fn may_assign_server(actor: &Actor, server: &Reachable) -> bool {
    match assigner(actor) {
        Some(Assigner::Admin) => true,
        Some(Assigner::Reseller(r)) => server.reseller_id == Some(r),
        None => false,
    }
}

/// May hand servers to `account` (the assign form on its Servers tab).
pub fn may_assign_to_account(actor: &Actor, account: &User) -> bool {
    if !may_view_account(actor, account) {
        return false;
    }
    match assigner(actor) {
        Some(Assigner::Admin) => matches!(account.kind(), Kind::Reseller | Kind::User),
        Some(Assigner::Reseller(r)) => {
            account.id == r || (account.kind() == Kind::User && account.owner_id == Some(r))
        }
        None => false,
    }
}

/// May take `server` back from `account` on its Servers tab: an admin always; a reseller
/// only from its customer (it cannot give its own servers back to the admin).
pub fn may_take_back(actor: &Actor, account: &User, server: &Reachable) -> bool {
    may_assign_to_account(actor, account)
        && may_assign_server(actor, server)
        && (assigner(actor) == Some(Assigner::Admin) || server.owner_id == Some(account.id))
}

/// Where a server taken back from `account` on its Servers tab goes: an admin returns a
/// customer's server to the customer's reseller (or the inventory), anything else goes
/// back to the inventory or, for a reseller, to itself (`None`).
pub fn take_back_to(actor: &Actor, account: &User, server: &Reachable) -> Option<i32> {
    if assigner(actor) == Some(Assigner::Admin) && server.owner_id == Some(account.id) {
        server.reseller_id
    } else {
        None
    }
}

/// Whether the server list shows each server's owner chain: to those who hand servers out.
pub fn sees_owner_chains(actor: &Actor) -> bool {
    actor.may(Perm::AdminServers) || actor.may(Perm::CustomersAssignServers)
}

/// May see the Servers tab of `account`: whoever may view the account and its servers.
pub fn may_view_account_servers(actor: &Actor, account: &User) -> bool {
    may_view_account(actor, account) && may_view_servers(actor)
}

/// Who would receive a server: an account and the account that owns it.
#[derive(Debug, Clone)]
pub struct Assignee {
    pub account: User,
    pub owner: Option<User>,
}

/// Why an assignment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignRefusal {
    /// Not this login's to give or to receive: 403.
    Forbidden,
    /// A choice no one may make (e.g. an admin as owner): 422 with this message.
    Invalid(&'static str),
}

/// The new `(reseller_id, owner_id)` of `server` when the actor gives it to `to` (`None`:
/// back to the inventory for an admin, back to itself for a reseller).
pub fn new_owner_chain(
    actor: &Actor,
    server: &Reachable,
    to: Option<&Assignee>,
) -> Result<(Option<i32>, Option<i32>), AssignRefusal> {
    // Within what the actor holds (no escalation): the receiver gets its tier's server
    // permissions on the server, so the actor must hold each of them there itself (it
    // reaches the server: `Reachable`).
    if let Some(to) = to {
        // A customer's server is also held by the customer's reseller, who gets its own
        // tier's server permissions there (servers.ip_assignments, say) unless it holds
        // the server already.
        let via_reseller = match &to.owner {
            Some(o)
                if to.account.kind() == Kind::User
                    && o.kind() == Kind::Reseller
                    && server.reseller_id != Some(o.id) =>
            {
                kind_permissions(Kind::Reseller)
            }
            _ => kind_permissions(Kind::Alias),
        };
        let received = kind_permissions(to.account.kind())
            .union(via_reseller)
            .server_part();
        if !received.is_subset_of(actor.permissions) {
            return Err(AssignRefusal::Forbidden);
        }
    }
    match assigner(actor) {
        None => Err(AssignRefusal::Forbidden),
        Some(Assigner::Admin) => {
            let Some(to) = to else {
                return Ok((None, None));
            };
            match to.account.kind() {
                Kind::Reseller => Ok((Some(to.account.id), None)),
                Kind::User => {
                    let reseller = to
                        .owner
                        .as_ref()
                        .filter(|o| o.kind() == Kind::Reseller)
                        .map(|o| o.id);
                    Ok((reseller, Some(to.account.id)))
                }
                Kind::Admin | Kind::Alias => Err(AssignRefusal::Invalid(
                    "Servers go to resellers and customers (admins reach every server; alias users share their account's).",
                )),
            }
        }
        Some(Assigner::Reseller(r)) => {
            if server.reseller_id != Some(r) {
                return Err(AssignRefusal::Forbidden);
            }
            match to {
                None => Ok((Some(r), None)),
                Some(to) if to.account.id == r => Ok((Some(r), None)),
                Some(to) if to.account.kind() == Kind::User && to.account.owner_id == Some(r) => {
                    Ok((Some(r), Some(to.account.id)))
                }
                Some(_) => Err(AssignRefusal::Forbidden),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{actor, alias, user};
    use chrono::NaiveDateTime;

    fn server(reseller: Option<i32>, owner: Option<i32>) -> Reachable {
        Reachable(Server {
            id: 7,
            hostname: "web01.example.com".into(),
            name: "web01".into(),
            primary_ip: "10.0.0.7".into(),
            location: String::new(),
            tags: String::new(),
            os: String::new(),
            power_state: "on".into(),
            status: "active".into(),
            reseller_id: reseller,
            owner_id: owner,
            cpu: String::new(),
            memory_gb: 0,
            disks: String::new(),
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
        })
    }

    fn customer(id: i32, owner: i32) -> User {
        let mut u = user(id, "user");
        u.owner_id = Some(owner);
        u
    }

    fn to(account: User, owner: Option<User>) -> Assignee {
        Assignee { account, owner }
    }

    #[test]
    fn each_login_gets_the_server_actions_its_permissions_allow() {
        let reseller = user(2, "reseller");
        let s = server(Some(2), None);
        let every = ServerActions {
            view: true,
            power: true,
            rename: true,
            rdns: true,
            reinstall: true,
            rescue: true,
            console: true,
            inventory: true,
            traffic: true,
            edit: true,
            assign: true,
        };
        let cases: Vec<(&str, Actor, ServerActions)> = vec![
            ("admin", actor(user(1, "admin"), None, &[]), every),
            (
                "reseller",
                actor(reseller.clone(), None, &[]),
                ServerActions {
                    edit: false,
                    ..every
                },
            ),
            (
                "customer",
                actor(customer(3, 2), None, &[]),
                ServerActions {
                    edit: false,
                    assign: false,
                    ..every
                },
            ),
            (
                "alias with view and power",
                actor(
                    alias(4, &reseller),
                    Some(reseller.clone()),
                    &["servers.view", "servers.power", "admin.servers"],
                ),
                ServerActions {
                    view: true,
                    power: true,
                    ..ServerActions::default()
                },
            ),
            (
                "alias of the reseller that may assign",
                actor(
                    alias(5, &reseller),
                    Some(reseller.clone()),
                    &["customers.assign_servers"],
                ),
                ServerActions {
                    assign: true,
                    ..ServerActions::default()
                },
            ),
        ];
        for (who, a, expected) in cases {
            assert_eq!(server_actions(&a, &s), expected, "{who}");
        }
    }

    #[test]
    fn admins_assign_anywhere_and_keep_the_owner_chain_coherent() {
        let admin = actor(user(1, "admin"), None, &[]);
        let s = server(None, None);
        let reseller = user(2, "reseller");
        let cases = [
            (Some(to(reseller.clone(), None)), Ok((Some(2), None))),
            (
                Some(to(customer(3, 2), Some(reseller.clone()))),
                Ok((Some(2), Some(3))),
            ),
            (
                Some(to(customer(4, 1), Some(user(1, "admin")))),
                Ok((None, Some(4))),
            ),
            (None, Ok((None, None))),
        ];
        for (target, expected) in cases {
            assert_eq!(new_owner_chain(&admin, &s, target.as_ref()), expected);
        }
        assert!(matches!(
            new_owner_chain(&admin, &s, Some(&to(user(9, "admin"), None))),
            Err(AssignRefusal::Invalid(_))
        ));
    }

    #[test]
    fn a_reseller_moves_only_its_servers_between_itself_and_its_customers() {
        let me = user(2, "reseller");
        let reseller = actor(me.clone(), None, &[]);
        let mine = server(Some(2), Some(3));
        let theirs = server(Some(8), None);
        let admins = server(None, None);
        let cases = [
            (
                &mine,
                Some(to(customer(4, 2), Some(me.clone()))),
                Ok((Some(2), Some(4))),
            ),
            (&mine, Some(to(me.clone(), None)), Ok((Some(2), None))),
            (&mine, None, Ok((Some(2), None))),
            (
                &mine,
                Some(to(customer(5, 8), None)),
                Err(AssignRefusal::Forbidden),
            ),
            (
                &mine,
                Some(to(user(8, "reseller"), None)),
                Err(AssignRefusal::Forbidden),
            ),
            (
                &theirs,
                Some(to(customer(4, 2), None)),
                Err(AssignRefusal::Forbidden),
            ),
            (
                &admins,
                Some(to(customer(4, 2), None)),
                Err(AssignRefusal::Forbidden),
            ),
        ];
        for (i, (s, target, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                new_owner_chain(&reseller, s, target.as_ref()),
                expected,
                "case {i}"
            );
        }
    }

    #[test]
    fn a_server_is_handed_over_only_with_the_permissions_the_receiver_gets_on_it() {
        let me = user(2, "reseller");
        let s = server(Some(2), None);
        let cust = to(customer(4, 2), Some(me.clone()));
        let bare = actor(
            alias(5, &me),
            Some(me.clone()),
            &["customers.assign_servers", "servers.view"],
        );
        assert_eq!(
            new_owner_chain(&bare, &s, Some(&cust)),
            Err(AssignRefusal::Forbidden)
        );
        let mut keys: Vec<&str> = crate::access::CATALOG
            .iter()
            .filter(|p| p.tier == crate::access::Tier::User && p.perm.is_server_permission())
            .map(|p| p.key)
            .collect();
        keys.push("customers.assign_servers");
        let full = actor(alias(6, &me), Some(me.clone()), &keys);
        assert_eq!(
            new_owner_chain(&full, &s, Some(&cust)),
            Ok((Some(2), Some(4)))
        );
    }

    #[test]
    fn customers_and_aliases_without_the_right_assign_nothing() {
        let parent = user(2, "reseller");
        let s = server(Some(2), None);
        for a in [
            actor(customer(3, 2), None, &[]),
            actor(alias(4, &parent), Some(parent.clone()), &["servers.view"]),
        ] {
            assert!(!may_assign_server(&a, &s));
            assert_eq!(new_owner_chain(&a, &s, None), Err(AssignRefusal::Forbidden));
        }
    }

    #[test]
    fn the_account_servers_tab_and_its_assign_form_follow_the_account_rules() {
        let admin = actor(user(1, "admin"), None, &[]);
        let reseller = actor(user(2, "reseller"), None, &[]);
        let mine = customer(3, 2);
        let theirs = customer(4, 8);
        assert!(may_view_account_servers(&reseller, &mine));
        assert!(!may_view_account_servers(&reseller, &theirs));
        assert!(may_assign_to_account(&reseller, &mine));
        assert!(!may_assign_to_account(&reseller, &theirs));
        assert!(may_assign_to_account(&admin, &theirs));
        assert!(!may_assign_to_account(&admin, &user(1, "admin")));
        let me = actor(mine.clone(), None, &[]);
        assert!(may_view_account_servers(&me, &mine));
        assert!(!may_assign_to_account(&me, &mine));
    }
}
