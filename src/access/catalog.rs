//! The permission catalog of SPEC §2: the one table in code that drives the role editor,
//! every check, the docs and the tests. Order matters only for display and for the bit
//! each permission takes in a `PermissionSet`.

/// Who a permission is meant for. Admin-tier permissions are never risk-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    User,
    Reseller,
    Admin,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::User => "User permissions",
            Tier::Reseller => "Reseller permissions",
            Tier::Admin => "Admin permissions",
        }
    }
}

#[derive(Debug)]
pub struct Permission {
    pub key: &'static str,
    pub tier: Tier,
    /// The group the editor shows it under ("Servers", "Keys", …).
    pub area: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    /// Pre-ticked in a new role.
    pub common: bool,
    /// Why granting it is dangerous; shown as a warning (user and reseller tiers only).
    pub risk: Option<&'static str>,
}

macro_rules! perm {
    ($key:literal, $tier:ident, $area:literal, $label:literal, $desc:literal, common) => {
        Permission {
            key: $key,
            tier: Tier::$tier,
            area: $area,
            label: $label,
            description: $desc,
            common: true,
            risk: None,
        }
    };
    ($key:literal, $tier:ident, $area:literal, $label:literal, $desc:literal) => {
        Permission {
            key: $key,
            tier: Tier::$tier,
            area: $area,
            label: $label,
            description: $desc,
            common: false,
            risk: None,
        }
    };
    ($key:literal, $tier:ident, $area:literal, $label:literal, $desc:literal, risk $risk:literal) => {
        Permission {
            key: $key,
            tier: Tier::$tier,
            area: $area,
            label: $label,
            description: $desc,
            common: false,
            risk: Some($risk),
        }
    };
}

pub static CATALOG: &[Permission] = &[
    perm!(
        "servers.view",
        User,
        "Servers",
        "View servers",
        "See the servers this login reaches and their details.",
        common
    ),
    perm!(
        "servers.power",
        User,
        "Servers",
        "Power control",
        "Power servers on, off and reset them.",
        common
    ),
    perm!(
        "servers.rename",
        User,
        "Servers",
        "Rename servers",
        "Change a server's display name.",
        common
    ),
    perm!(
        "servers.rdns",
        User,
        "Servers",
        "Reverse DNS",
        "Set the reverse DNS name of a server's addresses.",
        common
    ),
    perm!(
        "servers.traffic",
        User,
        "Servers",
        "Traffic statistics",
        "See a server's traffic of the last 30 days.",
        common
    ),
    perm!(
        "servers.inventory",
        User,
        "Servers",
        "Hardware inventory",
        "See a server's CPU, memory and disks.",
        common
    ),
    perm!("servers.console", User, "Servers", "Remote console", "Open the server's remote console.",
        risk "The remote console gives full access to the operating system to anyone who knows a password on it."),
    perm!("servers.rescue", User, "Servers", "Rescue system", "Boot a server into the rescue system.",
        risk "The rescue system gives root access to the server's disks without the operating system's password."),
    perm!("servers.reinstall", User, "Servers", "Reinstall", "Reinstall a server's operating system.",
        risk "A reinstall wipes every disk of the server: all data on it is lost."),
    perm!(
        "ssh_keys.manage",
        User,
        "Keys",
        "Manage SSH keys",
        "Add and delete the login's SSH keys.",
        common
    ),
    perm!(
        "activity.view",
        User,
        "Account",
        "View activity",
        "See the account's activity log."
    ),
    perm!("api_keys.manage", User, "Keys", "Manage API keys", "Create and revoke API keys.",
        risk "API keys are long-lived credentials that work outside the browser, without the password."),
    perm!("alias_users.manage", User, "Alias users", "Manage alias users", "Create, edit, disable and delete alias users.",
        risk "Can create more logins on this account, up to its own rights."),
    perm!("alias_users.impersonate", User, "Alias users", "Impersonate alias users", "Act as other alias users of the account.",
        risk "Can act as other alias users whose rights it holds, in their name."),
    perm!("alias_roles.manage", User, "Alias users", "Manage alias roles", "Create, edit and delete alias roles.",
        risk "Can write roles up to its own rights and so widen what other alias users may do."),
    perm!(
        "customers.view",
        Reseller,
        "Customers",
        "View customers",
        "See the reseller's customer accounts."
    ),
    perm!("customers.manage", Reseller, "Customers", "Manage customers", "Create, edit and disable customer accounts.",
        risk "Can create, edit and disable customer accounts."),
    perm!("customers.impersonate", Reseller, "Customers", "Impersonate customers", "Act as any customer of the reseller.",
        risk "Can act as any customer, with all of that customer's rights."),
    perm!("customers.assign_servers", Reseller, "Customers", "Assign servers to customers", "Hand servers to customer accounts.",
        risk "Hands hardware to other accounts."),
    perm!("servers.ip_assignments", Reseller, "Servers", "IP assignments", "Assign IP addresses to servers.",
        risk "Can take addresses that are in use elsewhere."),
    perm!(
        "admin.users",
        Admin,
        "Administration",
        "Manage all users",
        "See and manage every account of the installation."
    ),
    perm!(
        "admin.servers",
        Admin,
        "Administration",
        "Manage inventory",
        "Add, edit, delete and assign every server."
    ),
    perm!(
        "admin.impersonate",
        Admin,
        "Administration",
        "Impersonate anyone",
        "Act as any non-admin account or alias user."
    ),
    perm!(
        "admin.audit",
        Admin,
        "Administration",
        "Global audit log",
        "See the audit log of the whole installation."
    ),
    perm!(
        "admin.settings",
        Admin,
        "Administration",
        "Settings",
        "Change the installation's settings."
    ),
];

/// Looks a key up in the catalog.
pub fn find(key: &str) -> Option<&'static Permission> {
    CATALOG.iter().find(|p| p.key == key)
}

pub(crate) fn index_of(key: &str) -> Option<usize> {
    CATALOG.iter().position(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_every_permission_of_the_spec_once() {
        assert_eq!(CATALOG.len(), 25);
        let mut keys: Vec<_> = CATALOG.iter().map(|p| p.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), CATALOG.len());
    }

    #[test]
    fn admin_permissions_carry_no_risk_text_and_are_never_common() {
        for p in CATALOG.iter().filter(|p| p.tier == Tier::Admin) {
            assert!(p.risk.is_none() && !p.common, "{}", p.key);
        }
    }

    #[test]
    fn the_risky_permissions_are_those_the_spec_names() {
        let risky: Vec<_> = CATALOG
            .iter()
            .filter(|p| p.risk.is_some())
            .map(|p| p.key)
            .collect();
        assert_eq!(
            risky,
            [
                "servers.console",
                "servers.rescue",
                "servers.reinstall",
                "api_keys.manage",
                "alias_users.manage",
                "alias_users.impersonate",
                "alias_roles.manage",
                "customers.manage",
                "customers.impersonate",
                "customers.assign_servers",
                "servers.ip_assignments"
            ]
        );
    }
}
