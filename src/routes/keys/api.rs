//! API keys of a login: the list (name, visible prefix, created, expiry, last use, status),
//! creation with a name (unique among the login's live keys) and optional expiry, and
//! revocation. Creation is Post/Redirect/Get: the POST makes the key and answers 303 to
//! the list, which shows the secret exactly once (`Cache-Control: no-store`), so a reload
//! never makes a second key. Between the two requests the secret waits in the session
//! sealed under the browser's cookie (`security::sealed`); the page that shows it removes
//! it. It is never put in a flash message, a URL, a log line or an audit row, and the
//! database keeps only its SHA-256.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::{load_owner, load_owner_in, KeyPageFrame, KeyPath, Owner};
use crate::access::changes::credentials_change;
use crate::access::keys::{key_permissions, may_use_keys, KeyAction, KeyKind, KeyRefusal};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError};
use crate::domain::{AllowedIps, Expiry, ShortText};
use crate::models::alias;
use crate::models::api_key::{self, ApiKey, NewApiKey, MAX_PER_LOGIN, MAX_SERVERS};
use crate::models::server::Server;
use crate::models::Page;
use crate::models::{now, user::User};
use crate::security::api_key::ApiKeySecret;
use crate::security::sealed::{self, Sealed};
use crate::security::token::sha256_hex;
use crate::web::current::audit_entry;
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

/// What waits in the session between the creating POST and the page that shows the key.
#[derive(Debug, Serialize, Deserialize)]
struct Waiting {
    /// The key page it belongs to (another login's key page leaves it waiting).
    page: String,
    key_id: i32,
    name: String,
    sealed: Sealed,
}

/// The name of the session cookie, whose value seals a waiting secret.

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

/// The creation form. `permissions` and `server_id` repeat, which `web::Form` cannot
/// collect, so the body is read as pairs.
#[derive(Debug, Default)]
pub struct CreateForm {
    name: String,
    expires_at: String,
    permissions: Vec<String>,
    server_scope: String,
    server_id: Vec<String>,
    allowed_ips: String,
}

impl CreateForm {
    /// The fields `parse` reads (for the route table and the hostile-input test).
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "expires_at",
        "permissions",
        "server_scope",
        "server_id",
        "allowed_ips",
    ];

    fn parse(body: &[u8]) -> Result<CreateForm, AppError> {
        let mut form = CreateForm::default();
        for (k, v) in crate::web::form::pairs(body)? {
            match k.as_str() {
                "name" => form.name = v,
                "expires_at" => form.expires_at = v,
                "permissions" => form.permissions.push(v),
                "server_scope" => form.server_scope = v,
                "server_id" => form.server_id.push(v),
                "allowed_ips" => form.allowed_ips = v,
                _ => {}
            }
        }
        Ok(form)
    }
}

/// GET …/api-keys: the list, and the secret of a key just created here (once).
pub async fn page(
    req: HttpRequest,
    visit: Visit,
    state: web::Data<AppState>,
    path: KeyPath,
) -> Result<HttpResponse, AppError> {
    let (current, (owner, found)) = visit
        .read(&state, move |c, actor| {
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

fn may_create(actor: &Actor, owner: &Owner) -> bool {
    may_use_keys(actor, owner.holder(), KeyKind::Api, KeyAction::Create).is_ok()
}

/// The page for a request whose `Current` and holder are in hand (the creation form
/// shown again with its errors): the same read as a page view, in a hand-off of its own.
async fn build(
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

/// What a valid creation form asks for.
struct Scope {
    permissions: Option<String>,
    all_servers: bool,
    server_ids: Vec<i32>,
    allowed_ips: AllowedIps,
}

/// Reads the scope fields; the chosen servers are checked against the login's reach by
/// the caller (a query).
fn parse_scope(current: &Current, form: &CreateForm, errors: &mut FieldErrors) -> Option<Scope> {
    let permissions = match key_permissions(&current.actor, &form.permissions) {
        Ok(p) => Some(p.map(|set| set.keys().join(" "))),
        Err(problems) => {
            let mut parts = Vec::new();
            if !problems.unknown.is_empty() {
                parts.push(format!(
                    "Unknown permissions: {}.",
                    problems.unknown.join(", ")
                ));
            }
            if !problems.not_grantable.is_empty() {
                parts.push(format!(
                    "A key can only hold permissions its login holds: {}.",
                    problems.not_grantable.join(", ")
                ));
            }
            errors.add("permissions", parts.join(" "));
            None
        }
    };
    let all_servers = match form.server_scope.as_str() {
        "" | "all" => Some(true),
        "chosen" => Some(false),
        _ => {
            errors.add("server_scope", "Choose all servers or chosen servers.");
            None
        }
    };
    let mut server_ids = Vec::new();
    if all_servers == Some(false) {
        for raw in &form.server_id {
            match raw.trim().parse::<i32>() {
                Ok(id) if id > 0 => {
                    if !server_ids.contains(&id) {
                        server_ids.push(id)
                    }
                }
                _ => errors.add("server_id", "Choose servers from the list."),
            }
        }
        if server_ids.is_empty() {
            errors.add(
                "server_id",
                "Choose at least one server, or give the key all servers.",
            );
        } else if server_ids.len() > MAX_SERVERS {
            errors.add(
                "server_id",
                format!("A key may be limited to at most {MAX_SERVERS} servers; give it all servers instead."),
            );
        }
    }
    let allowed_ips = errors.check("allowed_ips", AllowedIps::parse(&form.allowed_ips));
    Some(Scope {
        permissions: permissions?,
        all_servers: all_servers?,
        server_ids,
        allowed_ips: allowed_ips?,
    })
}

/// POST …/api-keys (name, expires_at, permissions repeated, server_scope=all|chosen,
/// server_id repeated, allowed_ips): creates the key and answers 303 to the list, which
/// shows the secret once.
pub async fn create(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    path: KeyPath,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = CreateForm::parse(&body)?;
    let owner = load_owner(&current, &state, &path, KeyKind::Api).await?;
    // Credentials are personal: a key made for another login would put that
    // login's rights in its maker's hands, beyond the maker's own life.
    if let Err(KeyRefusal::NotYours) = may_use_keys(
        &current.actor,
        owner.holder(),
        KeyKind::Api,
        KeyAction::Create,
    ) {
        return Err(AppError::ForbiddenBecause(
            "Credentials are personal: only this login itself may create its API keys.".into(),
        ));
    }
    // Sudo mode: a long-lived credential needs a recent authentication.
    current.require_recent_auth(&format!("{}/api-keys", owner.base_url()))?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", ShortText::parse(&form.name, 100, true));
    let today = now().date();
    let expires = errors
        .check("expires_at", Expiry::parse(&form.expires_at, today))
        .map(Expiry::date);
    let scope = parse_scope(&current, &form, &mut errors);
    let (Some(name), Some(expires), Some(scope), true) = (name, expires, scope, errors.is_empty())
    else {
        return invalid(&current, &state, owner, errors, &form).await;
    };
    let secret = ApiKeySecret::generate();
    let (hash, prefix) = (secret.hash(), secret.visible_prefix());
    let uid = owner.login().id;
    let audit = current
        .audit(owner.account.id, "api_key.create")
        .target(format!(
            "API key \"{}\" of {}",
            name.as_str(),
            owner.label()
        ))
        .details(format!(
            "prefix={prefix}… expires={} permissions={} servers={} allowed_ips={}",
            expires.map_or_else(|| "never".to_string(), |d| d.to_string()),
            scope.permissions.as_deref().unwrap_or("all"),
            if scope.all_servers {
                "all".to_string()
            } else {
                scope
                    .server_ids
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            },
            if scope.allowed_ips.is_anywhere() {
                "anywhere".to_string()
            } else {
                scope.allowed_ips.as_text()
            }
        ));
    let key_name = name.as_str().to_string();
    let reach = current.actor.reach.clone();
    let created = state
        .tx(move |c| {
            // Concurrent adds for one login count one after another: the quota holds.
            User::lock_for_update(c, uid)?;
            if api_key::count_for(c, uid)? >= MAX_PER_LOGIN {
                return Ok(Err(Refusal::Quota));
            }
            if api_key::live_name_taken(c, uid, &key_name)? {
                return Ok(Err(Refusal::Name));
            }
            let wanted = scope.server_ids.len() as i64;
            if alias::count_within(c, &reach, &scope.server_ids)? != wanted {
                return Ok(Err(Refusal::Servers));
            }
            let id = NewApiKey {
                user_id: uid,
                name: &key_name,
                token_prefix: &prefix,
                token_hash: &hash,
                expires_on: expires,
                created_at: now(),
                permissions: scope.permissions.clone(),
                all_servers: scope.all_servers,
                allowed_ips: scope.allowed_ips.as_text(),
            }
            .insert(c)?;
            if !scope.all_servers {
                api_key::set_servers(c, id, &scope.server_ids)?;
            }
            audit.insert(c)?;
            Ok(Ok(id))
        })
        .await;
    let key_id = match created {
        Ok(Ok(id)) => id,
        Ok(Err(Refusal::Quota)) => {
            errors.add(
                "name",
                format!("A login holds at most {MAX_PER_LOGIN} API keys. Revoked keys count too."),
            );
            return invalid(&current, &state, owner, errors, &form).await;
        }
        // Two tabs racing past the check meet the database's unique index.
        Ok(Err(Refusal::Name)) => return name_taken(&current, &state, owner, errors, &form).await,
        Ok(Err(Refusal::Servers)) => {
            errors.add(
                "server_id",
                "Choose servers from the list: this login does not reach some of them.",
            );
            return invalid(&current, &state, owner, errors, &form).await;
        }
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => {
            return name_taken(&current, &state, owner, errors, &form).await
        }
        Err(e) => return Err(e.into()),
    };
    let base = owner.base_url();
    let Some(cookie) = session::cookie_value(&req) else {
        // No cookie to seal under (cannot happen for a logged-in browser): the key exists
        // but cannot be shown; the list says to revoke it and make another.
        current.flash(
            "error",
            "The key was created but could not be shown. Revoke it and create another.",
        );
        return Ok(render::see_other(&format!("{base}/api-keys")));
    };
    let waiting = Waiting {
        page: base.clone(),
        key_id,
        name: name.as_str().to_string(),
        sealed: sealed::seal(&cookie, secret.expose()),
    };
    current
        .session
        .insert(NEW_API_KEY, waiting)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    Ok(render::see_other(&format!("{base}/api-keys")))
}

enum Refusal {
    Quota,
    Name,
    Servers,
}

async fn name_taken(
    current: &Current,
    state: &AppState,
    owner: Owner,
    mut errors: FieldErrors,
    form: &CreateForm,
) -> Result<HttpResponse, AppError> {
    errors.add(
        "name",
        "You already have a key with this name. Pick another name, or revoke the old key first.",
    );
    invalid(current, state, owner, errors, form).await
}

async fn invalid(
    current: &Current,
    state: &AppState,
    owner: Owner,
    errors: FieldErrors,
    form: &CreateForm,
) -> Result<HttpResponse, AppError> {
    let page = build(current, state, owner, errors, Some(form)).await?;
    render::invalid(&page)
}

/// POST …/api-keys/{kid}/revoke: the session, the key's holder and the revocation in one
/// hand-off and one transaction.
pub async fn revoke(
    visit: Visit,
    state: web::Data<AppState>,
    path: KeyPath,
) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, (base, revoked)) = visit
        .change(&state, move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Api)?;
            let kid = path.kid()?;
            let uid = owner.login().id;
            let audit = audit_entry(actor, &client, owner.account.id, "api_key.revoke");
            let label = owner.label();
            let revoked = credentials_change(c, actor, uid, |c| -> Result<_, AppError> {
                let Some(key) = api_key::find_for(c, uid, kid)? else {
                    return Err(AppError::NotFound);
                };
                if key.is_revoked() {
                    return Ok(false);
                }
                api_key::revoke(c, uid, kid, now())?;
                audit
                    .target(format!("API key \"{}\" of {label}", key.name))
                    .details(format!("prefix={}…", key.token_prefix))
                    .insert(c)?;
                Ok(true)
            })?;
            Ok((owner.base_url(), revoked))
        })
        .await?;
    if revoked {
        current.flash("success", "API key revoked. It stops working at once.");
    } else {
        current.flash("success", "This API key was already revoked.");
    }
    Ok(render::see_other(&format!("{base}/api-keys")))
}
