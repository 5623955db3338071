//! The tab bar of the account detail page. A tab the login may not use is not shown;
//! each feature adds its tab here with the access check that guards its route.

use crate::access::keys::{may_manage_keys, Holder, KeyKind};
use crate::access::roles::may_manage_roles;
use crate::access::servers::may_view_account_servers;
use crate::access::Actor;
use crate::models::user::User;

#[derive(Debug, Clone)]
pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// The tabs `actor` may use on `account`'s page, in the order of SPEC §3.
pub fn for_account(actor: &Actor, account: &User) -> Vec<Tab> {
    let base = format!("/users/{}", account.id);
    let mut tabs = vec![Tab {
        key: "details",
        label: "Account Details",
        url: base.clone(),
    }];
    if may_view_account_servers(actor, account) {
        tabs.push(Tab {
            key: "servers",
            label: "Servers",
            url: format!("{base}/servers"),
        });
    }
    if crate::access::aliases::may_list_aliases(actor, account) {
        tabs.push(Tab {
            key: "alias-users",
            label: "Alias Users",
            url: format!("{base}/alias-users"),
        });
    }
    if may_manage_roles(actor, account) {
        tabs.push(Tab {
            key: "roles",
            label: "Roles",
            url: format!("{base}/roles"),
        });
    }
    for (kind, key, label) in [
        (KeyKind::Ssh, "ssh-keys", "SSH Keys"),
        (KeyKind::Api, "api-keys", "API Keys"),
    ] {
        if may_manage_keys(actor, Holder::Account(account), kind).is_ok() {
            tabs.push(Tab {
                key,
                label,
                url: format!("{base}/{key}"),
            });
        }
    }
    if crate::access::review::may_review_access(actor, account) {
        tabs.push(Tab {
            key: "access-review",
            label: "Access Review",
            url: format!("{base}/access-review"),
        });
    }
    if crate::access::activity::may_view_activity(actor, account).is_some() {
        tabs.push(Tab {
            key: "activity",
            label: "Activity",
            url: format!("{base}/activity"),
        });
    }
    if crate::access::activity::may_view_login_history(actor, account) {
        tabs.push(Tab {
            key: "logins",
            label: "Login History",
            url: format!("{base}/logins"),
        });
    }
    tabs
}
