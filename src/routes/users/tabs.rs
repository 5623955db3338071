//! The tab bar of the account detail page. A tab the login may not use is not shown;
//! each feature adds its tab here with the access check that guards its route.

use crate::access::activity::{may_view_activity, may_view_login_history};
use crate::access::aliases::may_list_aliases;
use crate::access::keys::{may_manage_keys, Holder, KeyKind};
use crate::access::review::may_review_access;
use crate::access::roles::may_manage_roles;
use crate::access::servers::may_view_account_servers;
use crate::access::Actor;
use crate::models::user::User;
use crate::web::chrome::Chrome;
use crate::web::Current;

#[derive(Debug, Clone)]
pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// The tabs `actor` may use on `account`'s page, in the order the page shows them.
pub fn for_account(actor: &Actor, account: &User) -> Vec<Tab> {
    let may_keys = |kind| may_manage_keys(actor, Holder::Account(account), kind).is_ok();
    // Each tab with the check that guards its route; its URL is the key under the account.
    let features = [
        (
            "servers",
            "Servers",
            may_view_account_servers(actor, account),
        ),
        (
            "alias-users",
            "Alias Users",
            may_list_aliases(actor, account),
        ),
        ("roles", "Roles", may_manage_roles(actor, account)),
        ("ssh-keys", "SSH Keys", may_keys(KeyKind::Ssh)),
        ("api-keys", "API Keys", may_keys(KeyKind::Api)),
        (
            "access-review",
            "Access Review",
            may_review_access(actor, account),
        ),
        (
            "activity",
            "Activity",
            may_view_activity(actor, account).is_some(),
        ),
        (
            "logins",
            "Login History",
            may_view_login_history(actor, account),
        ),
    ];
    let base = format!("/users/{}", account.id);
    let details = Tab {
        key: "details",
        label: "Account Details",
        url: base.clone(),
    };
    let usable = features.into_iter().filter(|(_, _, may)| *may);
    std::iter::once(details)
        .chain(usable.map(|(key, label, _)| Tab {
            key,
            label,
            url: format!("{base}/{key}"),
        }))
        .collect()
}

/// What every account tab page shows around its own content: the layout, the account,
/// its tab bar and which tab is open. A page embeds it as `frame` and derefs to it
/// (`account_tab_page!`), so templates read `chrome`, `account`, `tabs` and `active_tab`
/// as fields of the page.
pub struct AccountTab {
    pub chrome: Option<Chrome>,
    pub account: User,
    pub tabs: Vec<Tab>,
    pub active_tab: &'static str,
}

impl AccountTab {
    /// The frame of `account`'s tab `active`. The top navigation marks "My account" when
    /// the account is the actor's own, or its parent account for an alias user.
    pub fn new(current: &Current, account: User, active: &'static str) -> AccountTab {
        let own = current.actor.account_id() == account.id;
        AccountTab::with_nav(current, account, active, own)
    }

    /// The frame of a tab that is the login's own only when the login is the account
    /// itself (its details and its roles; an alias user's "My account" is its own page).
    pub fn of_login(current: &Current, account: User, active: &'static str) -> AccountTab {
        let own = current.actor.login.id == account.id;
        AccountTab::with_nav(current, account, active, own)
    }

    fn with_nav(current: &Current, account: User, active: &'static str, own: bool) -> AccountTab {
        AccountTab {
            chrome: Some(current.chrome(if own { "account" } else { "users" })),
            tabs: for_account(&current.actor, &account),
            account,
            active_tab: active,
        }
    }
}

/// Makes a page that embeds `frame: AccountTab` read its fields as its own.
#[macro_export]
macro_rules! account_tab_page {
    ($page:ty) => {
        impl std::ops::Deref for $page {
            type Target = $crate::routes::users::tabs::AccountTab;
            fn deref(&self) -> &Self::Target {
                &self.frame
            }
        }
    };
}
