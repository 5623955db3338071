//! A set of catalog permissions as a bit set, one bit per `Perm` in a `u64`. Combining and
//! comparing two sets (intersection, union, difference, subset), which "role ∩ parent" and
//! the no-escalation rule do on every check, is one bitwise operation on that word.
//! Building a set (from tiers, stored keys, the catalog's `common` flags), splitting off
//! its `servers.*` part and listing its entries walk the whole catalog instead.

use super::catalog::{Perm, Permission, Tier, CATALOG};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub fn empty() -> Self {
        PermissionSet(0)
    }

    /// Every permission of the given tiers.
    pub fn of_tiers(tiers: &[Tier]) -> Self {
        Self::of(
            CATALOG
                .iter()
                .filter(|p| tiers.contains(&p.tier))
                .map(|p| p.perm),
        )
    }

    /// The set of these permissions.
    pub fn of(perms: impl IntoIterator<Item = Perm>) -> Self {
        PermissionSet(perms.into_iter().fold(0, |bits, p| bits | p.bit()))
    }

    /// The `servers.*` permissions of the set: held per server reached, not account-wide.
    pub fn server_part(self) -> Self {
        self.intersect(Self::of(
            Perm::ALL
                .iter()
                .copied()
                .filter(|p| p.is_server_permission()),
        ))
    }

    /// The account-level permissions of the set (everything but `servers.*`).
    pub fn account_part(self) -> Self {
        self.minus(self.server_part())
    }

    pub fn all() -> Self {
        Self::of_tiers(&[Tier::User, Tier::Reseller, Tier::Admin])
    }

    /// The catalog's `common` permissions: what a new role starts with.
    pub fn common() -> Self {
        Self::of(CATALOG.iter().filter(|p| p.common).map(|p| p.perm))
    }

    /// Builds a set from stored keys, ignoring keys the catalog no longer has.
    pub fn from_known_keys<S: AsRef<str>>(keys: &[S]) -> Self {
        Self::of(keys.iter().filter_map(|k| Perm::from_key(k.as_ref())))
    }

    /// Builds a set from submitted keys; answers the unknown ones as the error.
    pub fn parse_keys<S: AsRef<str>>(keys: &[S]) -> Result<Self, Vec<String>> {
        let unknown: Vec<String> = keys
            .iter()
            .map(AsRef::as_ref)
            .filter(|k| Perm::from_key(k).is_none())
            .map(str::to_string)
            .collect();
        if unknown.is_empty() {
            Ok(Self::from_known_keys(keys))
        } else {
            Err(unknown)
        }
    }

    pub fn contains(&self, perm: Perm) -> bool {
        self.0 & perm.bit() != 0
    }

    pub fn intersect(self, other: Self) -> Self {
        PermissionSet(self.0 & other.0)
    }

    pub fn union(self, other: Self) -> Self {
        PermissionSet(self.0 | other.0)
    }

    pub fn minus(self, other: Self) -> Self {
        PermissionSet(self.0 & !other.0)
    }

    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The catalog entries in the set, in catalog order.
    pub fn iter(self) -> impl Iterator<Item = &'static Permission> {
        CATALOG.iter().filter(move |p| self.contains(p.perm))
    }

    pub fn keys(self) -> Vec<&'static str> {
        self.iter().map(|p| p.key).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_reported_not_dropped() {
        let err = PermissionSet::parse_keys(&["servers.view", "servers.fly"]).unwrap_err();
        assert_eq!(err, vec!["servers.fly".to_string()]);
    }

    #[test]
    fn intersection_and_subset_behave_like_sets() {
        let a = PermissionSet::parse_keys(&["servers.view", "servers.power"]).unwrap();
        let b = PermissionSet::parse_keys(&["servers.view", "admin.users"]).unwrap();
        assert_eq!(a.intersect(b).keys(), ["servers.view"]);
        assert!(a.intersect(b).is_subset_of(a));
        assert!(!a.is_subset_of(b));
        assert_eq!(a.minus(b).keys(), ["servers.power"]);
        assert!(PermissionSet::common().contains(Perm::ServersView));
        assert!(!PermissionSet::common().contains(Perm::ServersReinstall));
    }

    #[test]
    fn a_set_splits_into_its_server_and_account_parts() {
        let s = PermissionSet::of([Perm::ServersPower, Perm::ApiKeysManage, Perm::AdminUsers]);
        assert_eq!(s.server_part().keys(), ["servers.power"]);
        assert_eq!(s.account_part().keys(), ["api_keys.manage", "admin.users"]);
        assert_eq!(s.server_part().union(s.account_part()), s);
    }
}
