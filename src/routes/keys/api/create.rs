//! Making an API key: the form's name, expiry and scope (permissions the login holds,
//! servers it reaches, addresses it may call from) checked field by field (422 with the
//! form again), the quota and the live-name rule under a lock on the login, then the key
//! stored as a hash and its secret sealed in the session for the page to show once.

use actix_web::{web, HttpRequest, HttpResponse};

use super::page::build;
use super::Waiting;
use crate::access::keys::{key_permissions, may_use_keys, KeyAction, KeyKind, KeyRefusal};
use crate::db::{self, DbError};
use crate::domain::{AllowedIps, Expiry, ShortText};
use crate::models::alias;
use crate::models::api_key::{self, NewApiKey, MAX_PER_LOGIN, MAX_SERVERS};
use crate::models::{now, user::User};
use crate::routes::keys::{load_owner, KeyPath, Owner};
use crate::security::api_key::ApiKeySecret;
use crate::security::sealed;
use crate::web::form::FieldErrors;
use crate::web::session::{self, NEW_API_KEY};
use crate::web::{render, AppError, Current};
use crate::AppState;

/// The creation form. `permissions` and `server_id` repeat, which `web::Form` cannot
/// collect, so the body is read as pairs.
#[derive(Debug, Default)]
pub struct CreateForm {
    pub(super) name: String,
    pub(super) expires_at: String,
    pub(super) permissions: Vec<String>,
    pub(super) server_scope: String,
    pub(super) server_id: Vec<String>,
    pub(super) allowed_ips: String,
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
            let message = problems.message("A key can only hold permissions its login holds:");
            errors.add("permissions", message);
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
