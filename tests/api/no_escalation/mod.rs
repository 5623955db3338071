//! The no-escalation rule seen from outside: a login may change another only if it covers
//! that login before the change and still covers it after (SECURITY.md, "The no-escalation
//! rule"). `core_cases` drives a few of its cases over HTTP, `reported_escalations` keeps
//! every escalation the generated attacker once found as a named test, and `attacker`
//! is that generated attacker: random worlds and random steps judged by its own model.

pub mod attacker;
mod core_cases;
mod reported_escalations;

/// Every user-tier permission of the catalog (what a customer account may hold).
pub(crate) const USER_TIER: &[&str] = &[
    "servers.view",
    "servers.power",
    "servers.rename",
    "servers.rdns",
    "servers.traffic",
    "servers.inventory",
    "servers.console",
    "servers.rescue",
    "servers.reinstall",
    "ssh_keys.manage",
    "activity.view",
    "api_keys.manage",
    "alias_users.manage",
    "alias_users.impersonate",
    "alias_roles.manage",
];
