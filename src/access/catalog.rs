//! The permission catalog: the one table in code that drives the role editor,
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
    pub perm: Perm,
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

/// Declares the catalog and the `Perm` enum together, so the two can never disagree: each
/// entry becomes a variant (its position is its bit in a `PermissionSet`) and a row of
/// `CATALOG`. A typo in `Perm::AdminUsres` fails to compile; a stored key the catalog no
/// longer has is simply unknown to `Perm::from_key`.
macro_rules! catalog {
    ($($variant:ident = $key:literal, $tier:ident, $area:literal, $label:literal, $desc:literal,
        common: $common:literal, risk: $risk:expr;)*) => {
        /// One permission of the catalog, as a type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Perm {
            $($variant,)*
        }

        impl Perm {
            /// Every permission, in catalog order.
            pub const ALL: &'static [Perm] = &[$(Perm::$variant,)*];
        }

        pub static CATALOG: &[Permission] = &[
            $(Permission {
                perm: Perm::$variant,
                key: $key,
                tier: Tier::$tier,
                area: $area,
                label: $label,
                description: $desc,
                common: $common,
                risk: $risk,
            },)*
        ];
    };
}

catalog! {
    ServersView = "servers.view", User, "Servers", "View servers",
        "See the servers this login reaches and their details.",
        common: true, risk: None;
    ServersPower = "servers.power", User, "Servers", "Power control",
        "Power servers on, off and reset them.",
        common: true, risk: None;
    ServersRename = "servers.rename", User, "Servers", "Rename servers",
        "Change a server's display name.",
        common: true, risk: None;
    ServersRdns = "servers.rdns", User, "Servers", "Reverse DNS",
        "Set the reverse DNS name of a server's addresses.",
        common: true, risk: None;
    ServersTraffic = "servers.traffic", User, "Servers", "Traffic statistics",
        "See a server's traffic of the last 30 days.",
        common: true, risk: None;
    ServersInventory = "servers.inventory", User, "Servers", "Hardware inventory",
        "See a server's CPU, memory and disks.",
        common: true, risk: None;
    ServersConsole = "servers.console", User, "Servers", "Remote console",
        "Open the server's remote console.",
        common: false, risk: Some("The remote console gives full access to the operating system to anyone who knows a password on it.");
    ServersRescue = "servers.rescue", User, "Servers", "Rescue system",
        "Boot a server into the rescue system.",
        common: false, risk: Some("The rescue system gives root access to the server's disks without the operating system's password.");
    ServersReinstall = "servers.reinstall", User, "Servers", "Reinstall",
        "Reinstall a server's operating system.",
        common: false, risk: Some("A reinstall wipes every disk of the server: all data on it is lost.");
    SshKeysManage = "ssh_keys.manage", User, "Keys", "Manage SSH keys",
        "Add and delete the login's SSH keys.",
        common: true, risk: None;
    ActivityView = "activity.view", User, "Account", "View activity",
        "See the account's activity log.",
        common: false, risk: None;
    ApiKeysManage = "api_keys.manage", User, "Keys", "Manage API keys",
        "Create and revoke API keys.",
        common: false, risk: Some("API keys are long-lived credentials that work outside the browser, without the password.");
    AliasUsersManage = "alias_users.manage", User, "Alias users", "Manage alias users",
        "Create, edit, disable and delete alias users.",
        common: false, risk: Some("Can create more logins on this account, up to its own rights.");
    AliasUsersImpersonate = "alias_users.impersonate", User, "Alias users", "Impersonate alias users",
        "Act as other alias users of the account.",
        common: false, risk: Some("Can act as other alias users whose rights it holds, in their name.");
    AliasRolesManage = "alias_roles.manage", User, "Alias users", "Manage alias roles",
        "Create, edit and delete alias roles.",
        common: false, risk: Some("Can write roles up to its own rights and so widen what other alias users may do.");
    CustomersView = "customers.view", Reseller, "Customers", "View customers",
        "See the reseller's customer accounts.",
        common: false, risk: None;
    CustomersManage = "customers.manage", Reseller, "Customers", "Manage customers",
        "Create, edit and disable customer accounts.",
        common: false, risk: Some("Can create, edit and disable customer accounts.");
    CustomersImpersonate = "customers.impersonate", Reseller, "Customers", "Impersonate customers",
        "Act as any customer of the reseller.",
        common: false, risk: Some("Can act as any customer, with all of that customer's rights.");
    CustomersAssignServers = "customers.assign_servers", Reseller, "Customers", "Assign servers to customers",
        "Hand servers to customer accounts.",
        common: false, risk: Some("Hands hardware to other accounts.");
    ServersIpAssignments = "servers.ip_assignments", Reseller, "Servers", "IP assignments",
        "Assign IP addresses to servers.",
        common: false, risk: Some("Can take addresses that are in use elsewhere.");
    AdminUsers = "admin.users", Admin, "Administration", "Manage all users",
        "See and manage every account of the installation.",
        common: false, risk: None;
    AdminServers = "admin.servers", Admin, "Administration", "Manage inventory",
        "Add, edit, delete and assign every server.",
        common: false, risk: None;
    AdminImpersonate = "admin.impersonate", Admin, "Administration", "Impersonate anyone",
        "Act as any non-admin account or alias user.",
        common: false, risk: None;
    AdminAudit = "admin.audit", Admin, "Administration", "Global audit log",
        "See the audit log of the whole installation.",
        common: false, risk: None;
    AdminSettings = "admin.settings", Admin, "Administration", "Settings",
        "Change the installation's settings.",
        common: false, risk: None;
}

impl Perm {
    /// Its catalog entry.
    pub fn info(self) -> &'static Permission {
        &CATALOG[self as usize]
    }

    /// The stored and submitted form ("servers.view").
    pub fn key(self) -> &'static str {
        self.info().key
    }

    pub fn tier(self) -> Tier {
        self.info().tier
    }

    /// The permission a key names, if the catalog has it.
    pub fn from_key(key: &str) -> Option<Perm> {
        CATALOG.iter().find(|p| p.key == key).map(|p| p.perm)
    }

    /// A `servers.*` permission: granted per server the login reaches, not
    /// account-wide.
    pub fn is_server_permission(self) -> bool {
        self.key().starts_with("servers.")
    }

    /// Its bit in a `PermissionSet`.
    pub(crate) fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// Looks a key up in the catalog.
pub fn find(key: &str) -> Option<&'static Permission> {
    Perm::from_key(key).map(Perm::info)
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
    fn each_variant_names_its_own_catalog_row() {
        for (i, p) in CATALOG.iter().enumerate() {
            assert_eq!(p.perm as usize, i);
            assert_eq!(Perm::from_key(p.key), Some(p.perm));
            assert_eq!(Perm::ALL[i], p.perm);
        }
        assert_eq!(Perm::AdminUsers.key(), "admin.users");
        assert_eq!(Perm::from_key("admin.userz"), None);
        assert!(Perm::ServersIpAssignments.is_server_permission());
        assert!(!Perm::ApiKeysManage.is_server_permission());
        assert!(CATALOG.len() <= 64, "a PermissionSet is 64 bits");
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
