//! The access review: who may read it, which permissions count as risky, and the
//! servers a reviewer may see by name. A review shows every login of an account, so it is
//! for the account's managers (those who may manage its alias users); a manager that
//! reaches only part of the account sees the other servers as counts.

use super::actor::{account_reach, Actor};
use super::aliases::may_manage_aliases;
use super::catalog::{Permission, Tier};
use super::permission_set::PermissionSet;
use super::servers::visible_reach;
use crate::models::reach::Reach;
use crate::models::user::User;

/// May read the access review of `account` (page and CSV).
pub fn may_review_access(actor: &Actor, account: &User) -> bool {
    may_manage_aliases(actor, account)
}

/// A permission a reviewer should look at twice: one with a risk warning, or admin tier.
pub fn is_risky(p: &Permission) -> bool {
    p.risk.is_some() || p.tier == Tier::Admin
}

/// Whether the set holds a risky permission.
pub fn holds_risky(set: PermissionSet) -> bool {
    set.iter().any(is_risky)
}

/// The servers a login of `account` reaches: the account's, or an alias user's assigned
/// ones unless it has "all servers".
pub fn login_reach(account: &User, login: &User) -> Reach {
    if !login.is_alias() || login.all_servers {
        account_reach(account)
    } else {
        Reach::Assigned {
            alias_id: login.id,
            within: Box::new(account_reach(account)),
        }
    }
}

/// The part of a login's servers the reviewer may see by name.
pub fn reviewable_reach(actor: &Actor, account: &User, login: &User) -> Reach {
    visible_reach(actor, &login_reach(account, login))
}

/// The review's filters (`filter=`); anything else shows every login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFilter {
    All,
    Risky,
    NoTwoFactor,
    Unused,
}

/// Logins unused for this long are listed by the "unused" filter.
pub const UNUSED_DAYS: i64 = 90;

impl ReviewFilter {
    pub fn parse(raw: &str) -> ReviewFilter {
        match raw.trim() {
            "risky" => ReviewFilter::Risky,
            "no-two-factor" => ReviewFilter::NoTwoFactor,
            "unused" => ReviewFilter::Unused,
            _ => ReviewFilter::All,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ReviewFilter::All => "",
            ReviewFilter::Risky => "risky",
            ReviewFilter::NoTwoFactor => "no-two-factor",
            ReviewFilter::Unused => "unused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::catalog::Perm;

    #[test]
    fn risky_permissions_are_the_warned_ones_and_the_admin_tier() {
        assert!(!is_risky(Perm::ServersView.info()));
        assert!(is_risky(Perm::ServersRescue.info()));
        let admin_tier = crate::access::CATALOG
            .iter()
            .filter(|p| p.tier == Tier::Admin)
            .map(|p| p.perm);
        assert!(PermissionSet::of(admin_tier).iter().all(is_risky));
        assert!(holds_risky(PermissionSet::of([
            Perm::ServersView,
            Perm::ServersRescue
        ])));
        assert!(!holds_risky(PermissionSet::of([Perm::ServersView])));
    }

    #[test]
    fn unknown_filters_show_every_login() {
        assert_eq!(ReviewFilter::parse("risky"), ReviewFilter::Risky);
        assert_eq!(ReviewFilter::parse("unused"), ReviewFilter::Unused);
        assert_eq!(
            ReviewFilter::parse("no-two-factor"),
            ReviewFilter::NoTwoFactor
        );
        assert_eq!(ReviewFilter::parse("' OR 1=1"), ReviewFilter::All);
    }
}
