//! A set of catalog permissions as a bit set: intersections and subset checks, the core of
//! "role ∩ parent" and of the no-escalation rule, cost a single instruction.

use super::catalog::Permission;
use super::catalog::{index_of, Tier, CATALOG};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub fn empty() -> Self {
        PermissionSet(0)
    }

    /// Every permission of the given tiers.
    pub fn of_tiers(tiers: &[Tier]) -> Self {
        let mut set = Self::empty();
        for (i, p) in CATALOG.iter().enumerate() {
            if tiers.contains(&p.tier) {
                set.0 |= 1 << i;
            }
        }
        set
    }

    pub fn all() -> Self {
        Self::of_tiers(&[Tier::User, Tier::Reseller, Tier::Admin])
    }

    /// The catalog's `common` permissions: what a new role starts with.
    pub fn common() -> Self {
        let mut set = Self::empty();
        for (i, p) in CATALOG.iter().enumerate() {
            if p.common {
                set.0 |= 1 << i;
            }
        }
        set
    }

    /// Builds a set from stored keys, ignoring keys the catalog no longer has.
    pub fn from_known_keys<S: AsRef<str>>(keys: &[S]) -> Self {
        let mut set = Self::empty();
        for k in keys {
            if let Some(i) = index_of(k.as_ref()) {
                set.0 |= 1 << i;
            }
        }
        set
    }

    /// Builds a set from submitted keys; answers the unknown ones as the error.
    pub fn parse_keys<S: AsRef<str>>(keys: &[S]) -> Result<Self, Vec<String>> {
        let unknown: Vec<String> = keys
            .iter()
            .map(AsRef::as_ref)
            .filter(|k| index_of(k).is_none())
            .map(str::to_string)
            .collect();
        if unknown.is_empty() {
            Ok(Self::from_known_keys(keys))
        } else {
            Err(unknown)
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        index_of(key).is_some_and(|i| self.0 & (1 << i) != 0)
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
        CATALOG
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, p)| p)
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
        assert!(PermissionSet::common().contains("servers.view"));
        assert!(!PermissionSet::common().contains("servers.reinstall"));
    }
}
