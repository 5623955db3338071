//! Two-factor rules: when a login must hold a second factor (the installation's
//! STEWARD_REQUIRE_2FA, its account owner's policy, its role), who may set an account's
//! policy, and who may reset another login's factors (a manager who covers it; the
//! coverage itself is `changes::factors_reset`). Nobody reads or changes the factors of a
//! login they impersonate: factors are personal, like passwords.

use super::accounts::{account_edit, may_view_account};
use super::actor::Actor;
use crate::models::user::{Kind, User};

/// STEWARD_REQUIRE_2FA: which logins the installation obliges to hold a second factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InstallPolicy {
    #[default]
    None,
    /// Admins and resellers.
    Staff,
    /// Every login.
    All,
}

impl InstallPolicy {
    pub fn parse(s: &str) -> Option<InstallPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "none" => Some(InstallPolicy::None),
            "staff" => Some(InstallPolicy::Staff),
            "all" => Some(InstallPolicy::All),
            _ => None,
        }
    }

    fn demands(self, kind: Kind) -> bool {
        match self {
            InstallPolicy::None => false,
            InstallPolicy::Staff => matches!(kind, Kind::Admin | Kind::Reseller),
            InstallPolicy::All => true,
        }
    }
}

/// Why a login must hold a second factor, for the set-up page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand {
    Installation,
    AccountOwner,
    Role,
}

impl Demand {
    pub fn message(self) -> &'static str {
        match self {
            Demand::Installation => {
                "This installation requires two-factor authentication for your kind of login."
            }
            Demand::AccountOwner => {
                "Your account owner requires two-factor authentication for its alias users."
            }
            Demand::Role => "Your role requires two-factor authentication.",
        }
    }
}

/// Whether (and why) `login` must hold a second factor. `owner_requires` and
/// `role_requires` are its account owner's and its role's flags (aliases only).
pub fn demand(
    policy: InstallPolicy,
    login: &User,
    owner_requires: bool,
    role_requires: bool,
) -> Option<Demand> {
    if policy.demands(login.kind()) {
        Some(Demand::Installation)
    } else if login.is_alias() && owner_requires {
        Some(Demand::AccountOwner)
    } else if login.is_alias() && role_requires {
        Some(Demand::Role)
    } else {
        None
    }
}

/// May manage its own factors on /account/security: any login acting as itself. While
/// impersonating, nobody sees or changes the target's factors.
pub fn may_manage_own_factors(actor: &Actor) -> bool {
    !actor.is_impersonating()
}

/// May set "require two-factor for my alias users" on `account`: the account itself, or
/// a login that may edit the account (an admin or its reseller who covers it). Alias users
/// never set their own account's policy.
pub fn may_set_policy(actor: &Actor, account: &User) -> bool {
    if account.is_alias() || !may_view_account(actor, account) {
        return false;
    }
    if actor.login.id == account.id {
        return true;
    }
    let edit = account_edit(actor, account);
    edit.status
}

/// May reset the factors of the regular account `target`: a manager who may change its
/// status (admin, or its reseller) and covers it; never oneself.
pub fn may_reset_account(actor: &Actor, target: &User) -> bool {
    actor.login.id != target.id && !target.is_alias() && account_edit(actor, target).status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::actor::tests::{alias, user};

    #[test]
    fn the_installation_policy_reads_none_staff_and_all() {
        assert_eq!(InstallPolicy::parse("none"), Some(InstallPolicy::None));
        assert_eq!(InstallPolicy::parse("STAFF"), Some(InstallPolicy::Staff));
        assert_eq!(InstallPolicy::parse("all"), Some(InstallPolicy::All));
        assert_eq!(InstallPolicy::parse("some"), None);
    }

    #[test]
    fn staff_means_admins_and_resellers_and_all_means_everyone() {
        let admin = user(1, "admin");
        let reseller = user(2, "reseller");
        let customer = user(3, "user");
        let a = alias(4, &customer);
        let staff = InstallPolicy::Staff;
        assert_eq!(
            demand(staff, &admin, false, false),
            Some(Demand::Installation)
        );
        assert_eq!(
            demand(staff, &reseller, false, false),
            Some(Demand::Installation)
        );
        assert_eq!(demand(staff, &customer, false, false), None);
        assert_eq!(demand(staff, &a, false, false), None);
        assert_eq!(
            demand(InstallPolicy::All, &a, false, false),
            Some(Demand::Installation)
        );
        assert_eq!(demand(InstallPolicy::None, &admin, false, false), None);
    }

    #[test]
    fn an_owner_policy_or_a_role_demands_a_factor_of_alias_users_only() {
        let customer = user(3, "user");
        let a = alias(4, &customer);
        let none = InstallPolicy::None;
        assert_eq!(demand(none, &a, true, false), Some(Demand::AccountOwner));
        assert_eq!(demand(none, &a, false, true), Some(Demand::Role));
        assert_eq!(demand(none, &customer, true, true), None);
    }
}
