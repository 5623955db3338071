//! A passkey at the login's second step, instead of a code: start answers the options for
//! `navigator.credentials.get` (the pending login's passkeys), finish checks the browser's
//! assertion and, when it holds, completes the login as a right code does. Only a session
//! with a pending login (its password was right in the last five minutes) gets this far:
//! an anonymous client is sent to /login and no state is kept for it. The assertion state
//! waits in that session, one at a time, for five minutes. Refused assertions are recorded
//! in Login History and throttled with wrong codes (factor.rs).

use crate::web::session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};

use super::factor::{record, still_standing, throttled};
use super::two_factor::{complete, pending};
use crate::db::{self, DbError};
use crate::models::login_attempt::{PASSKEY_FAILED, PASSKEY_PASSED};
use crate::models::passkey;
use crate::models::user::User;
use crate::routes::security::passkeys::{
    json, passkeys_off, refused, relying_party, CEREMONY_SECONDS,
};
use crate::security::passkey::{credential_id, from_text, to_text};
use crate::web::client::ClientInfo;
use crate::web::current::unix_now;
use crate::web::render;
use crate::web::session::{LOGIN_ID, PASSKEY_AUTHENTICATION, PENDING_LOGIN, PENDING_SINCE};
use crate::web::AppError;
use crate::AppState;

const THROTTLED: &str =
    "Too many failed attempts. Wait 15 minutes before trying again, or ask your account manager to reset your two-factor authentication.";

/// An assertion under way, in the session.
#[derive(Serialize, Deserialize)]
struct Pending {
    login_id: i32,
    since: i64,
    state: PasskeyAuthentication,
}

fn session_error(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("session: {e}"))
}

/// The login of the session's second step, or (Err) where to send the session instead.
fn pending_login(session: &Session) -> Result<i32, &'static str> {
    if session.get::<i32>(LOGIN_ID).ok().flatten().is_some() {
        return Err("/servers");
    }
    pending(session).ok_or("/login")
}

/// The login, if it may still log in, with its passkeys.
fn load(
    c: &mut db::DbConn,
    login_id: i32,
) -> Result<Option<(User, Vec<passkey::PasskeyRow>)>, DbError> {
    let Some(login) = still_standing(c, login_id)? else {
        return Ok(None);
    };
    let keys = passkey::list_for(c, login_id)?;
    Ok(Some((login, keys)))
}

/// POST /login/two-factor/passkey/start
pub async fn start(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let login_id = match pending_login(&session) {
        Ok(id) => id,
        Err(to) => return Ok(render::see_other(to)),
    };
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(passkeys_off(why)),
    };
    let client = ClientInfo::of(&req);
    let loaded = state
        .db(move |c| {
            let Some((login, keys)) = load(c, login_id)? else {
                return Ok(None);
            };
            Ok(Some((throttled(c, &login, &client)?, keys)))
        })
        .await?;
    let Some((is_throttled, rows)) = loaded else {
        return Ok(render::see_other("/login"));
    };
    if is_throttled {
        return Ok(refused(StatusCode::TOO_MANY_REQUESTS, THROTTLED));
    }
    let keys: Vec<_> = rows.iter().filter_map(|r| from_text(&r.passkey)).collect();
    if keys.is_empty() {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This login has no passkey: enter a code instead.",
        ));
    }
    let (options, auth) = rp
        .start_authentication(&keys)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("passkey authentication: {e}")))?;
    session
        .insert(
            PASSKEY_AUTHENTICATION,
            Pending {
                login_id,
                since: unix_now(),
                state: auth,
            },
        )
        .map_err(session_error)?;
    Ok(json(StatusCode::OK, &options))
}

/// POST /login/two-factor/passkey/finish (the browser's assertion, as JSON)
pub async fn finish(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let login_id = match pending_login(&session) {
        Ok(id) => id,
        Err(to) => return Ok(render::see_other(to)),
    };
    if let Err(why) = relying_party(&state) {
        return Ok(passkeys_off(why));
    }
    // One answer per start: the challenge is used up whatever happens next.
    let waiting = session
        .get::<Pending>(PASSKEY_AUTHENTICATION)
        .ok()
        .flatten();
    if waiting.is_some() {
        session.remove(PASSKEY_AUTHENTICATION);
    }
    let Some(waiting) =
        waiting.filter(|w| w.login_id == login_id && unix_now() - w.since <= CEREMONY_SECONDS)
    else {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No passkey check is waiting (or it took over five minutes): try again.",
        ));
    };
    let assertion = serde_json::from_slice::<PublicKeyCredential>(&body).ok();
    let client = ClientInfo::of(&req);
    let rp_state = state.passkeys.clone();
    let outcome = state
        .db(move |c| {
            let Some((login, rows)) = load(c, login_id)? else {
                return Ok(None);
            };
            db::transaction(c, |c| {
                if throttled(c, &login, &client)? {
                    record(c, &login, &client, false, "throttled")?;
                    return Ok(Some(Err(THROTTLED)));
                }
                let keys: Vec<_> = rows.iter().filter_map(|r| from_text(&r.passkey)).collect();
                let checked = match (&assertion, rp_state.as_ref()) {
                    (Some(a), Ok(rp)) => rp.finish_authentication(&keys, a, &waiting.state),
                    _ => Err("the browser's answer could not be read".to_string()),
                };
                match checked {
                    Ok(key) => {
                        passkey::record_use(c, login.id, &credential_id(&key), &to_text(&key))?;
                        record(c, &login, &client, true, PASSKEY_PASSED)?;
                        Ok(Some(Ok(())))
                    }
                    Err(e) => {
                        log::info!("passkey refused for login {}: {e}", login.id);
                        record(c, &login, &client, false, PASSKEY_FAILED)?;
                        Ok(Some(Err(
                            "The passkey was not accepted. Try again, or enter a code instead.",
                        )))
                    }
                }
            })
        })
        .await?;
    match outcome {
        None => {
            // Disabled or expired while the factor was awaited: nothing more to try.
            session.remove(PENDING_LOGIN);
            session.remove(PENDING_SINCE);
            Ok(render::see_other("/login"))
        }
        Some(Ok(())) => {
            complete(&session, login_id)?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "redirect": "/servers" }),
            ))
        }
        Some(Err(message)) => Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, message)),
    }
}
