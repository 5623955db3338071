//! The API keys page: the holder's keys with their scope and status, the creation form
//! (the permissions and servers the login may give a key), and, on the first view after a
//! key is made, its secret — once, never cached.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::create::CreateForm;
use super::Waiting;
use crate::access::keys::{may_use_keys, KeyAction, KeyKind};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError};
use crate::models::api_key::{self, ApiKey, MAX_PER_LOGIN};
use crate::models::now;
use crate::models::server::Server;
use crate::models::Page;
use crate::routes::keys::{load_owner_in, KeyPageFrame, KeyPath, Owner};
use crate::security::sealed;
use crate::security::token::sha256_hex;
use crate::web::form::FieldErrors;
use crate::web::session::{self, NEW_API_KEY};
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

pub struct Row {
    pub key: ApiKey,
    /// "active", "expired" or "revoked" (the CSS modifier too).
    pub status: &'static str,
    /// What the key may do: "All permissions of …" or the granted keys.
    pub permissions: String,
    /// "All servers" or the chosen servers' hostnames.
    pub servers: String,
    /// "Anywhere" or the allowed networks.
    pub addresses: String,
}

/// A permission the login may grant a new key.
pub struct PermChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// A server the login may limit a new key to.
pub struct ServerChoice {
    pub id: i32,
    pub hostname: String,
    pub checked: bool,
}

/// How many of the login's servers the form offers (more: "all servers").
const SERVER_CHOICES: i64 = 100;

/// A key just created: its name and the secret, shown once.
pub struct Created {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "keys/api.html")]
pub struct ApiPage {
    pub frame: KeyPageFrame,
    pub rows: Vec<Row>,
    pub at_limit: bool,
    /// Only the login itself creates its API keys (credentials are personal).
    pub may_create: bool,
    pub created: Option<Created>,
    pub name: String,
    pub expires_at: String,
    pub perm_choices: Vec<PermChoice>,
    pub server_choices: Vec<ServerChoice>,
    /// The login reaches more servers than the form lists.
    pub more_servers: bool,
    pub chosen_scope: bool,
    pub allowed_ips: String,
    pub errors: FieldErrors,
}

key_page!(ApiPage);

/// GET …/api-keys: the list, and the secret of a key just created here (once).
pub async fn page(req: HttpRequest, visit: Visit, path: KeyPath) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, (owner, found)) = visit
        .read(move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Api)?;
            let found = read(c, actor, &owner)?;
            Ok((owner, found))
        })
        .await?;
    let base = owner.base_url();
    let uid = owner.login().id;
    let waiting = current
        .session
        .get::<Waiting>(NEW_API_KEY)
        .ok()
        .flatten()
        .filter(|w| w.page == base);
    let mut page = assemble(&current, owner, found, FieldErrors::default(), None);
    let Some(w) = waiting else {
        return render::page(&page);
    };
    // Shown once: taken out of the session before the page is answered.
    current.session.remove(NEW_API_KEY);
    let opened = session::cookie_value(&req).and_then(|c| sealed::open(&c, &w.sealed));
    // Only the secret of this login's key, unchanged since it was made, is shown. What
    // waits is in the session, known only once the page's hand-off is back, so this one
    // view (the first after a key is made) looks the key up in a hand-off of its own.
    let key_id = w.key_id;
    page.created = match opened {
        Some(secret) => {
            let hash = sha256_hex(&secret);
            let stored = state
                .db(move |c| Ok(api_key::find_by_hash(c, &hash)?))
                .await?;
            stored
                .filter(|k| k.id == key_id && k.user_id == uid)
                .map(|_| Created {
                    name: w.name,
                    secret,
                })
        }
        None => None,
    };
    let mut res = render::page_with_status(&page, StatusCode::OK)?;
    // The one answer that holds the secret must not be kept by the browser or a proxy.
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// What the page lists: the holder's keys, the servers of those limited to some, and
/// (for a login that may make a key here) the servers the form offers.
struct Found {
    keys: Vec<ApiKey>,
    chosen: Vec<(i32, i32, String)>,
    servers: Option<Page<Server>>,
}

fn read(c: &mut DbConn, actor: &Actor, owner: &Owner) -> Result<Found, DbError> {
    let keys = api_key::list_for(c, owner.login().id)?;
    let ids: Vec<i32> = keys
        .iter()
        .filter(|k| !k.all_servers)
        .map(|k| k.id)
        .collect();
    let chosen = api_key::chosen_servers(c, &ids)?;
    // Only the login itself fills the form, so its own reach is what it may choose from.
    let servers = if may_create(actor, owner) {
        Some(Server::list_within(c, &actor.reach, "", 1, SERVER_CHOICES)?)
    } else {
        None
    };
    Ok(Found {
        keys,
        chosen,
        servers,
    })
}

pub(super) fn may_create(actor: &Actor, owner: &Owner) -> bool {
    may_use_keys(actor, owner.holder(), KeyKind::Api, KeyAction::Create).is_ok()
}

/// The page for a request whose `Current` and holder are in hand (the creation form
/// shown again with its errors): the same read as a page view, in a hand-off of its own.
pub(super) async fn build(
    current: &Current,
    state: &AppState,
    owner: Owner,
    errors: FieldErrors,
    form: Option<&CreateForm>,
) -> Result<ApiPage, AppError> {
    let actor = current.actor.clone();
    let read_page = move |c: &mut DbConn| -> Result<_, DbError> {
        let found = read(c, &actor, &owner)?;
        Ok((owner, found))
    };
    let (owner, found) = db::run(&state.pool, move |c| db::read_snapshot(c, read_page)).await?;
    Ok(assemble(current, owner, found, errors, form))
}

fn assemble(
    current: &Current,
    owner: Owner,
    found: Found,
    errors: FieldErrors,
    form: Option<&CreateForm>,
) -> ApiPage {
    let Found {
        keys,
        chosen,
        servers,
    } = found;
    let may_create = may_create(&current.actor, &owner);
    let today = now().date();
    let login_name = owner.login().username.clone();
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|key| {
            let names: Vec<&str> = chosen
                .iter()
                .filter(|(k, _, _)| *k == key.id)
                .map(|(_, _, h)| h.as_str())
                .collect();
            Row {
                status: if key.is_revoked() {
                    "revoked"
                } else if key.is_expired(today) {
                    "expired"
                } else {
                    "active"
                },
                permissions: match &key.permissions {
                    None => format!("All permissions of {login_name}"),
                    Some(p) if p.trim().is_empty() => "No permissions".into(),
                    Some(p) => p.split_whitespace().collect::<Vec<_>>().join(", "),
                },
                servers: if key.all_servers {
                    "All servers".into()
                } else if names.is_empty() {
                    "No servers".into()
                } else {
                    names.join(", ")
                },
                addresses: if key.allowed_ips.trim().is_empty() {
                    "Anywhere".into()
                } else {
                    key.allowed_ips.replace(' ', ", ")
                },
                key,
            }
        })
        .collect();
    let ticked: Vec<&str> = form.map_or_else(Vec::new, |f| {
        f.permissions.iter().map(String::as_str).collect()
    });
    let perm_choices = if may_create {
        current
            .actor
            .permissions
            .iter()
            .map(|p| PermChoice {
                key: p.key,
                label: p.label,
                checked: ticked.contains(&p.key),
            })
            .collect()
    } else {
        Vec::new()
    };
    let picked: Vec<&str> = form.map_or_else(Vec::new, |f| {
        f.server_id.iter().map(String::as_str).collect()
    });
    let (server_choices, more_servers) = match servers {
        Some(page) => (
            page.rows
                .into_iter()
                .map(|s| ServerChoice {
                    checked: picked.contains(&s.id.to_string().as_str()),
                    id: s.id,
                    hostname: s.hostname,
                })
                .collect(),
            page.total > SERVER_CHOICES,
        ),
        None => (Vec::new(), false),
    };
    ApiPage {
        at_limit: rows.len() as i64 >= MAX_PER_LOGIN,
        may_create,
        rows,
        created: None,
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        expires_at: form.map(|f| f.expires_at.clone()).unwrap_or_default(),
        perm_choices,
        server_choices,
        more_servers,
        chosen_scope: form.is_some_and(|f| f.server_scope == "chosen"),
        allowed_ips: form.map(|f| f.allowed_ips.clone()).unwrap_or_default(),
        errors,
        frame: owner.into_frame(current, "api-keys"),
    }
}
