//! `ApiCaller`: the extractor every API handler takes. It reads the bearer key, finds it by
//! the SHA-256 of its secret, refuses a revoked or expired key, and resolves the key's
//! login with `Actor::load` on every call (so its rights are always current; a disabled,
//! expired, deleted or parent-disabled login is refused). The secret itself is dropped
//! as soon as it is hashed: it is never logged, stored or put in an error.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};

use super::throttle::KeyGuesses;
use super::ApiError;
use crate::access::Actor;
use crate::db::{self, DbError};
use crate::models::api_key::{self, ApiKey};
use crate::models::audit::NewAuditEntry;
use crate::models::now;
use crate::security::api_key::ApiKeySecret;
use crate::web::client::ClientInfo;
use crate::AppState;

const MISSING: &str = "missing API key: send the header Authorization: Bearer <key>";
const REFUSED: &str = "invalid, expired or revoked API key";

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
            let found = db::run(&state.pool, move |c| {
                let Some(key) = api_key::find_by_hash(c, &hash)? else {
                    return Ok::<_, DbError>(None);
                };
                if key.is_revoked() || key.is_expired(today) {
                    return Ok(None);
                }
                let Some(Ok(actor)) = Actor::load(c, key.user_id, today)? else {
                    return Ok(None);
                };
                if key.last_use_is_stale(at) {
                    api_key::touch(c, key.id, at)?;
                }
                Ok(Some((actor, key)))
            })
            .await?;
            let (actor, key) = found.ok_or_else(|| failed(ApiError::Unauthorized(REFUSED)))?;
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
