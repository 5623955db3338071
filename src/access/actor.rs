//! The acting login of one request and what it may do: its effective permissions and the
//! servers it reaches, computed from the database on every request (so a role edit, an
//! unassignment, a disable or an expiry bites on the very next one). `Actor::resolve` is
//! pure and unit-tested; `Actor::load` only gathers the rows it needs.

use chrono::NaiveDate;
use diesel::QueryResult;

use super::catalog::Perm;
use super::catalog::Tier;
use super::permission_set::PermissionSet;
use super::rights::{KeyGrant, Rights};
use crate::db::DbConn;
use crate::models::reach::Reach;
use crate::models::role;
use crate::models::user::{Kind, User};

/// A login that may act right now, with what it may do.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The login whose rights apply (the target, while impersonating).
    pub login: User,
    /// For an alias user, the regular account whose environment it shares.
    pub parent: Option<User>,
    /// The real person behind the session while impersonating.
    pub impersonator: Option<User>,
    pub permissions: PermissionSet,
    pub reach: Reach,
    /// The API key the request came with: `permissions` and `reach` are already cut down
    /// to it (`Actor::with_key`).
    pub key: Option<KeyGrant>,
}

/// Why a login may not act (used for login messages and history, never shown in detail
/// to someone who has not proved the password).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Disabled,
    Expired,
    ParentDisabled,
    /// It has not chosen its password yet (nobody acts as it, not even by impersonation).
    Invited,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Disabled => "disabled",
            Refusal::Expired => "expired",
            Refusal::ParentDisabled => "account disabled",
            Refusal::Invited => "invited, no password yet",
        }
    }
}

/// The permissions a regular account holds by its kind.
pub fn kind_permissions(kind: Kind) -> PermissionSet {
    match kind {
        Kind::Admin => PermissionSet::all(),
        Kind::Reseller => PermissionSet::of_tiers(&[Tier::User, Tier::Reseller]),
        Kind::User => PermissionSet::of_tiers(&[Tier::User]),
        Kind::Alias => PermissionSet::empty(),
    }
}

/// What an alias user of `parent` may do with a role holding `role_keys`: the role's
/// permissions that the parent itself holds (role ∩ parent).
pub fn alias_permissions<S: AsRef<str>>(role_keys: &[S], parent: &User) -> PermissionSet {
    PermissionSet::from_known_keys(role_keys).intersect(kind_permissions(parent.kind()))
}

/// The servers a regular account reaches by its kind.
pub fn account_reach(account: &User) -> Reach {
    match account.kind() {
        Kind::Admin => Reach::All,
        Kind::Reseller => Reach::Reseller(account.id),
        Kind::User | Kind::Alias => Reach::Owner(account.id),
    }
}

/// Whether a login may act at all today: its own state and, for an alias, its parent's.
pub fn standing(login: &User, parent: Option<&User>, today: NaiveDate) -> Result<(), Refusal> {
    if login.disabled {
        return Err(Refusal::Disabled);
    }
    if login.is_expired(today) {
        return Err(Refusal::Expired);
    }
    if login.invited_at.is_some() {
        return Err(Refusal::Invited);
    }
    if login.is_alias() {
        match parent {
            Some(p) if !p.disabled => {}
            _ => return Err(Refusal::ParentDisabled),
        }
    }
    Ok(())
}

impl Actor {
    /// Computes what `login` may do from already loaded rows.
    /// `role_keys` are the keys of the alias user's role (ignored for accounts).
    pub fn resolve(
        login: User,
        parent: Option<User>,
        role_keys: &[String],
        today: NaiveDate,
    ) -> Result<Actor, Refusal> {
        standing(&login, parent.as_ref(), today)?;
        let (permissions, reach) = match (&login.kind(), &parent) {
            (Kind::Alias, Some(p)) => {
                let perms =
                    PermissionSet::from_known_keys(role_keys).intersect(kind_permissions(p.kind()));
                let parent_reach = account_reach(p);
                let reach = if login.all_servers {
                    parent_reach
                } else {
                    Reach::Assigned {
                        alias_id: login.id,
                        within: Box::new(parent_reach),
                    }
                };
                (perms, reach)
            }
            (Kind::Alias, None) => return Err(Refusal::ParentDisabled),
            (kind, _) => (kind_permissions(*kind), account_reach(&login)),
        };
        Ok(Actor {
            login,
            parent,
            impersonator: None,
            permissions,
            reach,
            key: None,
        })
    }

    /// Loads a login with its parent and role, and resolves it. `Ok(None)` when the login
    /// no longer exists.
    pub fn load(
        conn: &mut DbConn,
        login_id: i32,
        today: NaiveDate,
    ) -> QueryResult<Option<Result<Actor, Refusal>>> {
        let Some(login) = User::find(conn, login_id)? else {
            return Ok(None);
        };
        let parent = match login.parent_id {
            Some(pid) if login.is_alias() => User::find(conn, pid)?,
            _ => None,
        };
        let role_keys = match login.role_id {
            Some(rid) if login.is_alias() => role::permissions_of(conn, rid)?,
            _ => Vec::new(),
        };
        Ok(Some(Actor::resolve(login, parent, &role_keys, today)))
    }

    /// This actor acting through an API key: its rights ∩ the key's grants
    /// (`Rights::within_key`), from which its permissions and reach are taken.
    pub fn with_key(mut self, key: KeyGrant) -> Actor {
        self.key = Some(key);
        let rights = Rights::of_actor(&self);
        self.permissions = rights.permissions();
        self.reach = rights.reach();
        self
    }

    /// The regular account whose environment this login acts in: itself, or its parent.
    pub fn account_id(&self) -> i32 {
        self.parent.as_ref().map_or(self.login.id, |p| p.id)
    }

    /// The account row whose environment this login acts in.
    pub fn account(&self) -> &User {
        self.parent.as_ref().unwrap_or(&self.login)
    }

    pub fn may(&self, perm: Perm) -> bool {
        self.permissions.contains(perm)
    }

    pub fn is_alias(&self) -> bool {
        self.login.is_alias()
    }

    pub fn is_impersonating(&self) -> bool {
        self.impersonator.is_some()
    }

    /// The name shown in "Hi, {name}".
    pub fn display_name(&self) -> &str {
        if self.login.name.is_empty() {
            &self.login.username
        } else {
            &self.login.name
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    pub fn user(id: i32, kind: &str) -> User {
        User {
            id,
            kind: kind.into(),
            username: format!("{kind}{id}"),
            username_key: format!("{kind}{id}"),
            name: format!("{kind} {id}"),
            email: format!("{kind}{id}@example.com"),
            password_hash: String::new(),
            owner_id: None,
            parent_id: None,
            role_id: None,
            all_servers: false,
            disabled: false,
            expires_on: None,
            created_at: NaiveDateTime::default(),
            last_login_at: None,
            invited_at: None,
        }
    }

    /// An actor for `u` (with its parent, for an alias) whose role holds `keys`.
    pub fn actor(u: User, parent: Option<User>, keys: &[&str]) -> Actor {
        let keys: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        Actor::resolve(
            u,
            parent,
            &keys,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap()
    }

    pub fn alias(id: i32, parent: &User) -> User {
        let mut a = user(id, "alias");
        a.parent_id = Some(parent.id);
        a
    }

    /// Checks a rule meant for admins and their alias users holding admin.users alone (the
    /// installation-wide admin pages): an admin's alias with another admin right, a
    /// reseller and a customer are all refused.
    pub fn assert_admins_and_user_managers_only(may: fn(&Actor) -> bool) {
        let admin_account = user(1, "admin");
        let admin = actor(admin_account.clone(), None, &[]);
        let helper = actor(
            alias(2, &admin_account),
            Some(admin_account.clone()),
            &["admin.users"],
        );
        let auditor = actor(
            alias(3, &admin_account),
            Some(admin_account.clone()),
            &["admin.audit"],
        );
        let reseller = actor(user(4, "reseller"), None, &[]);
        let customer = actor(user(5, "user"), None, &[]);
        assert!(may(&admin) && may(&helper));
        assert!(!may(&auditor));
        assert!(!may(&reseller) && !may(&customer));
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn keys(ks: &[&str]) -> Vec<String> {
        ks.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_account_kind_gets_its_tiers_and_its_servers() {
        let cases = [
            ("admin", true, true, Reach::All),
            ("reseller", true, false, Reach::Reseller(1)),
            ("user", false, false, Reach::Owner(1)),
        ];
        for (kind, reseller_perm, admin_perm, reach) in cases {
            let a = Actor::resolve(user(1, kind), None, &[], today()).unwrap();
            assert!(a.may(Perm::ServersView), "{kind}");
            assert_eq!(a.may(Perm::CustomersManage), reseller_perm, "{kind}");
            assert_eq!(a.may(Perm::AdminUsers), admin_perm, "{kind}");
            assert_eq!(a.reach, reach, "{kind}");
        }
    }

    #[test]
    fn an_alias_holds_its_role_intersected_with_its_parents_rights() {
        let parent = user(1, "user");
        let a = Actor::resolve(
            alias(2, &parent),
            Some(parent),
            &keys(&["servers.view", "customers.manage", "admin.users", "no.such"]),
            today(),
        )
        .unwrap();
        assert_eq!(a.permissions.keys(), ["servers.view"]);
        assert_eq!(a.account_id(), 1);
    }

    #[test]
    fn an_admins_alias_may_hold_admin_permissions_from_its_role() {
        let parent = user(1, "admin");
        let a = Actor::resolve(
            alias(2, &parent),
            Some(parent),
            &keys(&["admin.users"]),
            today(),
        )
        .unwrap();
        assert!(a.may(Perm::AdminUsers));
    }

    #[test]
    fn an_alias_reaches_all_or_its_assigned_servers_within_its_parents() {
        let parent = user(1, "reseller");
        let mut al = alias(2, &parent);
        let a = Actor::resolve(al.clone(), Some(parent.clone()), &[], today()).unwrap();
        assert_eq!(
            a.reach,
            Reach::Assigned {
                alias_id: 2,
                within: Box::new(Reach::Reseller(1))
            }
        );
        al.all_servers = true;
        let a = Actor::resolve(al, Some(parent), &[], today()).unwrap();
        assert_eq!(a.reach, Reach::Reseller(1));
    }

    #[test]
    fn disabled_expired_and_orphaned_logins_may_not_act() {
        let mut u = user(1, "user");
        u.disabled = true;
        assert_eq!(
            Actor::resolve(u, None, &[], today()).unwrap_err(),
            Refusal::Disabled
        );

        let mut parent = user(1, "user");
        let mut al = alias(2, &parent);
        al.expires_on = Some(today());
        assert_eq!(
            Actor::resolve(al.clone(), Some(parent.clone()), &[], today()).unwrap_err(),
            Refusal::Expired
        );
        al.expires_on = NaiveDate::from_ymd_opt(2026, 11, 28);
        assert!(Actor::resolve(al.clone(), Some(parent.clone()), &[], today()).is_ok());
        parent.disabled = true;
        assert_eq!(
            Actor::resolve(al.clone(), Some(parent), &[], today()).unwrap_err(),
            Refusal::ParentDisabled
        );
        assert_eq!(
            Actor::resolve(al, None, &[], today()).unwrap_err(),
            Refusal::ParentDisabled
        );
    }
}
