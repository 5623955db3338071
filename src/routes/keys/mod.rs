//! SSH Keys and API Keys pages of every login: an account's tabs (`/users/{id}/ssh-keys`,
//! `/users/{id}/api-keys`) and an alias user's own (`/users/{id}/alias-users/{aid}/…`).
//! One handler serves both shapes: `KeyPath` reads `id`, `aid` and `kid` from the matched
//! route. `load_owner` (`load_owner_in` inside a page view's one hand-off) makes a missing
//! or foreign id a 404 and asks `access::keys::may_manage_keys` (403, also while
//! impersonating) before anything else.

/// Makes a key page that embeds `frame: KeyPageFrame` read its fields as its own.
macro_rules! key_page {
    ($page:ty) => {
        impl std::ops::Deref for $page {
            type Target = $crate::routes::keys::KeyPageFrame;
            fn deref(&self) -> &Self::Target {
                &self.frame
            }
        }
    };
}

pub mod api;
mod ssh;

use std::future::{ready, Ready};

use actix_web::{FromRequest, HttpRequest};

use crate::access::aliases::TargetRights;
use crate::access::keys::{may_manage_keys, Holder, KeyKind};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::models::user::User;
use crate::routes::alias_users::{alias_url, load_target_in};
use crate::routes::table::Routes;
use crate::routes::users::tabs::{self, AccountTab, Tab};
use crate::web::account::{parse_id, visible_account_in};
use crate::web::{AppError, Current};
use crate::AppState;

pub fn configure(routes: &mut Routes) {
    // Written out in full (not built in a loop) so the route table reads as it is served.
    routes
        .get("/users/{id}/ssh-keys", ssh::page)
        .post("/users/{id}/ssh-keys", ssh::add)
        .post("/users/{id}/ssh-keys/{kid}/delete", ssh::delete)
        .get("/users/{id}/api-keys", api::page)
        .post("/users/{id}/api-keys", api::create)
        .reads_fields(api::CreateForm::FIELDS)
        .post("/users/{id}/api-keys/{kid}/revoke", api::revoke)
        .get("/users/{id}/alias-users/{aid}/ssh-keys", ssh::page)
        .post("/users/{id}/alias-users/{aid}/ssh-keys", ssh::add)
        .post(
            "/users/{id}/alias-users/{aid}/ssh-keys/{kid}/delete",
            ssh::delete,
        )
        .get("/users/{id}/alias-users/{aid}/api-keys", api::page)
        .post("/users/{id}/alias-users/{aid}/api-keys", api::create)
        .reads_fields(api::CreateForm::FIELDS)
        .post(
            "/users/{id}/alias-users/{aid}/api-keys/{kid}/revoke",
            api::revoke,
        );
}

/// The ids of a key route: the account, the alias user (on alias routes) and the key.
#[derive(Clone)]
pub struct KeyPath {
    id: String,
    aid: Option<String>,
    kid: Option<String>,
}

impl FromRequest for KeyPath {
    type Error = AppError;
    type Future = Ready<Result<KeyPath, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let m = req.match_info();
        ready(match m.get("id") {
            Some(id) => Ok(KeyPath {
                id: id.to_string(),
                aid: m.get("aid").map(str::to_string),
                kid: m.get("kid").map(str::to_string),
            }),
            None => Err(AppError::NotFound),
        })
    }
}

impl KeyPath {
    /// The key id; anything that is not a positive number is 404.
    pub fn kid(&self) -> Result<i32, AppError> {
        parse_id(self.kid.as_deref().unwrap_or(""))
    }
}

/// Whose keys a page shows: an account's own, or one of its alias users'.
pub struct Owner {
    pub account: User,
    pub alias: Option<(User, TargetRights)>,
}

impl Owner {
    /// The login that holds the keys.
    pub fn login(&self) -> &User {
        self.alias.as_ref().map_or(&self.account, |(a, _)| a)
    }

    pub fn holder(&self) -> Holder<'_> {
        match &self.alias {
            None => Holder::Account(&self.account),
            Some((alias, rights)) => Holder::Alias {
                account: &self.account,
                alias,
                rights: *rights,
            },
        }
    }

    /// The page the key pages hang under.
    pub fn base_url(&self) -> String {
        match &self.alias {
            None => format!("/users/{}", self.account.id),
            Some((a, _)) => alias_url(self.account.id, a.id),
        }
    }

    /// Names the keys' holder in audit targets: "acme" or "acme/ops-bob".
    pub fn label(&self) -> String {
        match &self.alias {
            None => self.account.username.clone(),
            Some((a, _)) => format!("{}/{}", self.account.username, a.username),
        }
    }

    /// The tab bar: the account's tabs, or the alias user's page and its key pages.
    pub fn tabs(&self, actor: &Actor) -> Vec<Tab> {
        match &self.alias {
            None => tabs::for_account(actor, &self.account),
            Some(_) => {
                let base = self.base_url();
                let mut t = vec![Tab {
                    key: "alias",
                    label: "Profile & Access",
                    url: base.clone(),
                }];
                for (kind, key, label, path) in [
                    (KeyKind::Ssh, "ssh-keys", "SSH Keys", "ssh-keys"),
                    (KeyKind::Api, "api-keys", "API Keys", "api-keys"),
                ] {
                    if may_manage_keys(actor, self.holder(), kind).is_ok() {
                        t.push(Tab {
                            key,
                            label,
                            url: format!("{base}/{path}"),
                        });
                    }
                }
                t
            }
        }
    }

    /// The main navigation entry the page belongs to.
    pub fn nav(&self, actor: &Actor) -> &'static str {
        if actor.login.id == self.login().id {
            "account"
        } else {
            "users"
        }
    }
}

/// What both key pages show around their list: the tab frame (an alias user's own tabs
/// for its keys), the alias user whose keys they are, whether they are the viewer's own,
/// and the URL the page hangs under. A key page embeds it as `frame` and derefs to it.
pub struct KeyPageFrame {
    pub tab: AccountTab,
    pub alias: Option<User>,
    pub is_self: bool,
    pub base: String,
}

impl std::ops::Deref for KeyPageFrame {
    type Target = AccountTab;
    fn deref(&self) -> &AccountTab {
        &self.tab
    }
}

impl Owner {
    /// The frame of this holder's key page `active` ("ssh-keys" or "api-keys").
    pub fn into_frame(self, current: &Current, active: &'static str) -> KeyPageFrame {
        let actor = &current.actor;
        let tab = AccountTab {
            chrome: Some(current.chrome(self.nav(actor))),
            tabs: self.tabs(actor),
            active_tab: active,
            account: self.account.clone(),
        };
        KeyPageFrame {
            is_self: actor.login.id == self.login().id,
            base: self.base_url(),
            alias: self.alias.map(|(a, _)| a),
            tab,
        }
    }
}

/// Loads the holder of the keys named by the path and checks that the actor may manage
/// its `kind` keys: unknown or foreign ids are 404, a refusal is 403. For a closure that
/// reads on a connection already (`Visit::read`).
pub fn load_owner_in(
    c: &mut DbConn,
    actor: &Actor,
    path: &KeyPath,
    kind: KeyKind,
) -> Result<Owner, AppError> {
    let owner = match &path.aid {
        None => {
            let account = visible_account_in(c, actor, &path.id)?;
            if account.is_alias() {
                return Err(AppError::NotFound);
            }
            Owner {
                account,
                alias: None,
            }
        }
        Some(aid) => {
            let t = load_target_in(c, actor, &path.id, aid)?;
            Owner {
                account: t.account,
                alias: Some((t.alias, t.rights)),
            }
        }
    };
    may_manage_keys(actor, owner.holder(), kind).map_err(|_| AppError::Forbidden)?;
    Ok(owner)
}

/// `load_owner_in` in a hand-off of its own, for a handler whose `Current` is in hand.
pub async fn load_owner(
    current: &Current,
    state: &AppState,
    path: &KeyPath,
    kind: KeyKind,
) -> Result<Owner, AppError> {
    let actor = current.actor.clone();
    let path = path.clone();
    db::run(&state.pool, move |c| {
        db::read_snapshot(c, |c| load_owner_in(c, &actor, &path, kind))
    })
    .await
}
