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

use super::{load_owner, KeyPath, Owner};
use crate::access::changes::credentials_change;
use crate::access::keys::{may_use_keys, KeyAction, KeyKind, KeyRefusal};
use crate::db::{self, DbError};
use crate::domain::{Expiry, ShortText};
use crate::models::api_key::{self, ApiKey, NewApiKey, MAX_PER_LOGIN};
use crate::models::{now, user::User};
use crate::routes::users::tabs::Tab;
use crate::security::api_key::ApiKeySecret;
use crate::security::sealed::{self, Sealed};
use crate::security::token::sha256_hex;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::session_store::NEW_API_KEY;
use crate::web::{render, AppError, Current};
use crate::AppState;

pub struct Row {
    pub key: ApiKey,
    /// "active", "expired" or "revoked" (the CSS modifier too).
    pub status: &'static str,
}

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
const SESSION_COOKIE: &str = "steward_session";

#[derive(Template)]
#[template(path = "keys/api.html")]
pub struct ApiPage {
    pub chrome: Option<Chrome>,
    pub account: User,
    pub alias: Option<User>,
    pub is_self: bool,
    pub tabs: Vec<Tab>,
    pub active_tab: &'static str,
    pub base: String,
    pub rows: Vec<Row>,
    pub at_limit: bool,
    /// Only the login itself creates its API keys (credentials are personal).
    pub may_create: bool,
    pub created: Option<Created>,
    pub name: String,
    pub expires_at: String,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_at: String,
}

/// GET …/api-keys: the list, and the secret of a key just created here (once).
pub async fn page(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    path: KeyPath,
) -> Result<HttpResponse, AppError> {
    let owner = load_owner(&current, &state, &path, KeyKind::Api).await?;
    let base = owner.base_url();
    let uid = owner.login().id;
    let waiting = current
        .session
        .get::<Waiting>(NEW_API_KEY)
        .ok()
        .flatten()
        .filter(|w| w.page == base);
    let mut page = build(&current, &state, owner, FieldErrors::default()).await?;
    let Some(w) = waiting else {
        return render::page(&page);
    };
    // Shown once: taken out of the session before the page is answered.
    current.session.remove(NEW_API_KEY);
    let opened = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| sealed::open(c.value(), &w.sealed));
    // Only the secret of this login's key, unchanged since it was made, is shown.
    let key_id = w.key_id;
    page.created = match opened {
        Some(secret) => {
            let hash = sha256_hex(&secret);
            let stored = db::run(&state.pool, move |c| {
                api_key::find_by_hash(c, &hash).map_err(DbError::from)
            })
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

async fn build(
    current: &Current,
    state: &AppState,
    owner: Owner,
    errors: FieldErrors,
) -> Result<ApiPage, AppError> {
    let uid = owner.login().id;
    let keys = db::run(&state.pool, move |c| {
        api_key::list_for(c, uid).map_err(DbError::from)
    })
    .await?;
    let today = now().date();
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|key| Row {
            status: if key.is_revoked() {
                "revoked"
            } else if key.is_expired(today) {
                "expired"
            } else {
                "active"
            },
            key,
        })
        .collect();
    Ok(ApiPage {
        chrome: Some(current.chrome(owner.nav(&current.actor))),
        is_self: current.actor.login.id == owner.login().id,
        tabs: owner.tabs(&current.actor),
        active_tab: "api-keys",
        base: owner.base_url(),
        at_limit: rows.len() as i64 >= MAX_PER_LOGIN,
        may_create: may_use_keys(
            &current.actor,
            owner.holder(),
            KeyKind::Api,
            KeyAction::Create,
        )
        .is_ok(),
        rows,
        created: None,
        name: String::new(),
        expires_at: String::new(),
        errors,
        alias: owner.alias.map(|(a, _)| a),
        account: owner.account,
    })
}

/// POST …/api-keys (name, expires_at): creates the key and answers 303 to the list, which
/// shows the secret once.
pub async fn create(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    path: KeyPath,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let owner = load_owner(&current, &state, &path, KeyKind::Api).await?;
    // Credentials are personal (SPEC §2.1): a key made for another login would put that
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
    // Sudo mode (SPEC §7): a long-lived credential needs a recent authentication.
    current.require_recent_auth(&format!("{}/api-keys", owner.base_url()))?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", ShortText::parse(&form.name, 100, true));
    let today = now().date();
    let expires = errors
        .check("expires_at", Expiry::parse(&form.expires_at, today))
        .map(Expiry::date);
    let (Some(name), Some(expires), true) = (name, expires, errors.is_empty()) else {
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
            "prefix={prefix}… expires={}",
            expires.map_or_else(|| "never".to_string(), |d| d.to_string())
        ));
    let key_name = name.as_str().to_string();
    let created = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            // Concurrent adds for one login count one after another: the quota holds.
            User::lock_for_update(c, uid)?;
            if api_key::count_for(c, uid)? >= MAX_PER_LOGIN {
                return Ok::<_, DbError>(Err(Refusal::Quota));
            }
            if api_key::live_name_taken(c, uid, &key_name)? {
                return Ok(Err(Refusal::Name));
            }
            let id = NewApiKey {
                user_id: uid,
                name: &key_name,
                token_prefix: &prefix,
                token_hash: &hash,
                expires_on: expires,
                created_at: now(),
            }
            .insert(c)?;
            audit.insert(c)?;
            Ok(Ok(id))
        })
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
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => {
            return name_taken(&current, &state, owner, errors, &form).await
        }
        Err(e) => return Err(e.into()),
    };
    let base = owner.base_url();
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
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
        sealed: sealed::seal(cookie.value(), secret.expose()),
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
    let mut page = build(current, state, owner, errors).await?;
    page.name = form.name.clone();
    page.expires_at = form.expires_at.clone();
    render::invalid(&page)
}

/// POST …/api-keys/{kid}/revoke
pub async fn revoke(
    current: Current,
    state: web::Data<AppState>,
    path: KeyPath,
) -> Result<HttpResponse, AppError> {
    let owner = load_owner(&current, &state, &path, KeyKind::Api).await?;
    let kid = path.kid()?;
    let uid = owner.login().id;
    let audit = current.audit(owner.account.id, "api_key.revoke");
    let label = owner.label();
    let actor = current.actor.clone();
    let outcome = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            credentials_change(c, &actor, uid, |c| {
                let Some(key) = api_key::find_for(c, uid, kid)? else {
                    return Ok::<_, AppError>(None);
                };
                if key.is_revoked() {
                    return Ok(Some(false));
                }
                api_key::revoke(c, uid, kid, now())?;
                audit
                    .target(format!("API key \"{}\" of {label}", key.name))
                    .details(format!("prefix={}…", key.token_prefix))
                    .insert(c)?;
                Ok(Some(true))
            })
        })
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if outcome {
        current.flash("success", "API key revoked. It stops working at once.");
    } else {
        current.flash("success", "This API key was already revoked.");
    }
    Ok(render::see_other(&format!("{}/api-keys", owner.base_url())))
}
