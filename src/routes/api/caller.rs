//! `ApiCaller`: the extractor every API handler takes. It reads the bearer key, finds it by
//! the SHA-256 of its secret, refuses a revoked or expired key, and resolves the key's
//! login with `Actor::load` on every call (so its rights are always current; a disabled,
//! expired, deleted or parent-disabled login is refused). The secret itself is dropped
//! as soon as it is hashed: it is never logged, stored or put in an error. A call from an
//! address outside the key's `allowed_ips` is refused (403) and logged in the account's
//! activity; otherwise the actor is cut down to the key's grants (`Actor::with_key`), so
//! every check after this one sees the key's rights ∩ its login's current rights.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};

use super::throttle::KeyGuesses;
use super::ApiError;
use crate::access::keys::grant_of;
use crate::access::Actor;
use crate::db::{self};
use crate::models::api_key::{self, ApiKey};
use crate::models::audit::NewAuditEntry;
use crate::models::now;
use crate::security::api_key::ApiKeySecret;
use crate::web::client::ClientInfo;
use crate::AppState;

const MISSING: &str = "missing API key: send the header Authorization: Bearer <key>";
const REFUSED: &str = "invalid, expired or revoked API key";
const OUTSIDE: &str = "this API key may not be used from this address";

/// The audit entry of a call refused because it came from outside the key's addresses.
fn refused_from(actor: &Actor, key: &ApiKey, client: &ClientInfo) -> NewAuditEntry {
    NewAuditEntry {
        account_id: Some(actor.account_id()),
        actor_id: Some(actor.login.id),
        actor_name: actor.login.username.clone(),
        impersonator_id: None,
        impersonator_name: None,
        action: "api_key.refused_address".to_string(),
        target: format!("API key \"{}\"", key.name),
        details: format!(
            "API key #{} used from {}; allowed: {}",
            key.id,
            client.ip,
            key.allowed_ips().as_text()
        ),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        via_api: true,
        created_at: now(),
    }
}

pub struct ApiCaller {
    pub actor: Actor,
    pub key: ApiKey,
    client: ClientInfo,
}

/// The secret of an `Authorization: Bearer …` header, if it has a key's shape.
fn bearer(req: &HttpRequest) -> Result<ApiKeySecret, ApiError> {
    let raw = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(MISSING))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized(REFUSED))?;
    let (scheme, token) = raw
        .trim()
        .split_once(' ')
        .ok_or(ApiError::Unauthorized(REFUSED))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized(REFUSED));
    }
    ApiKeySecret::from_bearer(token.trim()).ok_or(ApiError::Unauthorized(REFUSED))
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiCaller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let hash = bearer(req).map(|secret| secret.hash());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let guesses = req.app_data::<web::Data<KeyGuesses>>().cloned();
        let client = ClientInfo::of(req);
        let ip = client.ip.clone();
        let refusal_audit = client.clone();
        Box::pin(async move {
            // An address over its budget of failures is refused before any lookup.
            if let Some(seconds) = guesses.as_ref().and_then(|g| g.retry_after(&client.ip)) {
                return Err(ApiError::Throttled(seconds));
            }
            let failed = |e: ApiError| {
                if let Some(g) = &guesses {
                    g.failed(&client.ip);
                }
                e
            };
            let hash = hash.map_err(failed)?;
            let state =
                state.ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no app state")))?;
            let at = now();
            let today = at.date();
            let found = state
                .db(move |c| {
                    let Some(key) = api_key::find_by_hash(c, &hash)? else {
                        return Ok(None);
                    };
                    if key.is_revoked() || key.is_expired(today) {
                        return Ok(None);
                    }
                    let Some(Ok(actor)) = Actor::load(c, key.user_id, today)? else {
                        return Ok(None);
                    };
                    if !key.allowed_ips().allows(&ip) {
                        // Logged in the key's account, where its owner looks for it.
                        let entry = refused_from(&actor, &key, &refusal_audit);
                        db::transaction(c, |c| entry.insert(c))?;
                        return Ok(Some(Err(())));
                    }
                    if key.last_use_is_stale(at) {
                        api_key::touch(c, key.id, at)?;
                    }
                    let actor = actor.with_key(grant_of(&key));
                    Ok(Some(Ok((actor, key))))
                })
                .await?;
            let (actor, key) = found
                .ok_or_else(|| failed(ApiError::Unauthorized(REFUSED)))?
                .map_err(|()| ApiError::Forbidden(OUTSIDE))?;
            Ok(ApiCaller { actor, key, client })
        })
    }
}

impl ApiCaller {
    /// An audit entry for a change made through the API in `account_id`'s environment.
    pub fn audit(&self, account_id: i32, action: &str) -> NewAuditEntry {
        NewAuditEntry {
            account_id: Some(account_id),
            actor_id: Some(self.actor.login.id),
            actor_name: self.actor.login.username.clone(),
            impersonator_id: None,
            impersonator_name: None,
            action: action.to_string(),
            target: String::new(),
            details: format!("API key #{} \"{}\"", self.key.id, self.key.name),
            ip: self.client.ip.clone(),
            user_agent: self.client.user_agent.clone(),
            via_api: true,
            created_at: now(),
        }
    }
}
