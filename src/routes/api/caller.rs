//! `ApiCall`: the extractor every API handler takes, and `ApiCaller`, the key and login it
//! resolves to. The extractor only reads the bearer key (hashing its secret, which is
//! dropped at once: never logged, stored or put in an error) and the client; an address
//! over its budget of failed keys is refused there, before any lookup. The handler then
//! calls `call.read(|c, caller| …)` (or `call.change` for a write, in one write
//! transaction): on one pooled connection, in one hand-off, the key is found by the
//! SHA-256 of its secret, a revoked or expired key is refused, the key's login is
//! resolved with `Actor::load` (so its rights are always current; a disabled, expired,
//! deleted or parent-disabled login is refused), a call from an address outside the
//! key's `allowed_ips` is refused (403) and logged in the account's activity, and the
//! actor is cut down to the key's grants (`Actor::with_key`) before the handler's closure
//! runs with it, so every check it makes sees the key's rights ∩ its login's current
//! rights. The key's `last_used_at` is moved forward on the same connection.

use std::future::{ready, Ready};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};

use super::throttle::KeyGuesses;
use super::ApiError;
use crate::access::keys::grant_of;
use crate::access::Actor;
use crate::db::{self, DbConn};
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

/// The key that made a call and the login it acts as, cut down to the key's grants.
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

/// A call whose bearer key is in hand but not yet looked up: `read` or `change` looks it
/// up together with the handler's own work.
pub struct ApiCall {
    /// The SHA-256 of the key's secret.
    hash: String,
    client: ClientInfo,
    guesses: Option<web::Data<KeyGuesses>>,
    /// The panel's state: the pool the call runs on (`state()` for the rest).
    state: web::Data<AppState>,
}

impl FromRequest for ApiCall {
    type Error = ApiError;
    type Future = Ready<Result<ApiCall, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return ready(Err(ApiError::Unexpected(anyhow::anyhow!(
                "the app state is not registered"
            ))));
        };
        let guesses = req.app_data::<web::Data<KeyGuesses>>().cloned();
        let client = ClientInfo::of(req);
        // An address over its budget of failures is refused before any lookup.
        if let Some(seconds) = guesses.as_ref().and_then(|g| g.retry_after(&client.ip)) {
            return ready(Err(ApiError::Throttled(seconds)));
        }
        ready(match bearer(req) {
            Ok(secret) => Ok(ApiCall {
                hash: secret.hash(),
                client,
                guesses,
                state,
            }),
            Err(e) => {
                if let Some(g) = &guesses {
                    g.failed(&client.ip);
                }
                Err(e)
            }
        })
    }
}

/// What the blocking side found for a call.
enum Found<T> {
    /// No usable key: unknown, revoked or expired, or its login may not act.
    Refused,
    /// A live key used from outside its addresses.
    Outside,
    Answered(T),
}

/// A read runs in one snapshot; a change in one write transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
}

impl ApiCall {
    /// Resolves the key and runs `work` with the caller it acts as, in one read snapshot:
    /// what `work` reads is of the same moment as the rights it is judged by.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &ApiCaller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.call(Mode::Read, work).await
    }

    /// `read` for a change: the key, its login's rights and `work` in one write
    /// transaction, committed when `work` answers `Ok` and rolled back otherwise, so the
    /// rights a change is checked against are those of the moment it is written.
    pub async fn change<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &ApiCaller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.call(Mode::Write, work).await
    }

    /// The panel's state, for what a handler needs besides its hand-off.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    async fn call<T, F>(&self, mode: Mode, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &ApiCaller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let state: &AppState = &self.state;
        let hash = self.hash.clone();
        let client = self.client.clone();
        let at = now();
        let today = at.date();
        let found = db::run(&state.pool, move |c| -> Result<Found<T>, ApiError> {
            // The writes a call makes besides its work, done once the snapshot or the
            // transaction has ended: the refusal's audit row, and `last_used_at`.
            let mut refusal = None;
            let mut stale = None;
            // A change finds its key before its write transaction begins, so that a
            // guessed key never takes the write lock (SQLite's one writer).
            let early = match mode {
                Mode::Write => match usable_key(c, &hash, today)? {
                    Some(key) => Some(key),
                    None => return Ok(Found::Refused),
                },
                Mode::Read => None,
            };
            let answer = within(c, mode, |c| {
                let key = match early {
                    Some(key) => key,
                    None => match usable_key(c, &hash, today)? {
                        Some(key) => key,
                        None => return Ok(Found::Refused),
                    },
                };
                let Some(Ok(actor)) = Actor::load(c, key.user_id, today)? else {
                    return Ok(Found::Refused);
                };
                if !key.allowed_ips().allows(&client.ip) {
                    // Logged in the key's account, where its owner looks for it.
                    refusal = Some(refused_from(&actor, &key, &client));
                    return Ok(Found::Outside);
                }
                if key.last_use_is_stale(at) {
                    stale = Some(key.id);
                    // A change carries the mark in its own commit; should the change be
                    // refused, the mark is made again after the rollback.
                    if mode == Mode::Write {
                        api_key::touch(c, key.id, at)?;
                    }
                }
                let caller = ApiCaller {
                    actor: actor.with_key(grant_of(&key)),
                    key,
                    client,
                };
                work(c, &caller).map(Found::Answered)
            });
            if let Some(entry) = refusal {
                db::transaction(c, |c| entry.insert(c))?;
            }
            if let Some(id) = stale {
                if mode == Mode::Read || answer.is_err() {
                    api_key::touch(c, id, at)?;
                }
            }
            answer
        })
        .await?;
        match found {
            Found::Answered(answer) => Ok(answer),
            Found::Outside => Err(ApiError::Forbidden(OUTSIDE)),
            Found::Refused => {
                if let Some(g) = &self.guesses {
                    g.failed(&self.client.ip);
                }
                Err(ApiError::Unauthorized(REFUSED))
            }
        }
    }
}

/// The key whose secret hashes to `hash`, unless it is revoked or expired.
fn usable_key(
    c: &mut DbConn,
    hash: &str,
    today: chrono::NaiveDate,
) -> Result<Option<ApiKey>, ApiError> {
    Ok(api_key::find_by_hash(c, hash)?.filter(|k| !k.is_revoked() && !k.is_expired(today)))
}

fn within<T>(
    c: &mut DbConn,
    mode: Mode,
    work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    match mode {
        Mode::Read => db::read_snapshot(c, work),
        Mode::Write => db::transaction(c, work),
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
