//! The login's second step. After the right password, a login that holds a
//! factor is only *pending*: its id waits in the session under `PENDING_LOGIN`, and
//! `LOGIN_ID` is not set, so the session reaches nothing but this page (the `Current`
//! extractor and every API route know no pending login). The step expires after five
//! minutes. A right code (TOTP or recovery) turns the session into a full login, with a
//! fresh session key; wrong codes are recorded and throttled (factor.rs).

use crate::web::session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::factor::{check_code, still_standing, CodeCheck};
use crate::db::{self};
use crate::models::two_factor;
use crate::web::client::ClientInfo;
use crate::web::current::{csrf_token, mark_authenticated, unix_now};
use crate::web::render;
use crate::web::session::{
    IMPERSONATOR_ID, LOGIN_ID, PASSKEY_AUTHENTICATION, PENDING_LOGIN, PENDING_SINCE,
};
use crate::web::AppError;
use crate::AppState;

/// How long the second step waits for its code.
pub const PENDING_MINUTES: i64 = 5;

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
struct TwoFactorPage {
    chrome: Option<crate::web::chrome::Chrome>,
    csrf: String,
    error: Option<String>,
    /// Whether the login holds a passkey (the page then offers it first).
    has_passkeys: bool,
}

/// Whether the pending login holds a passkey that this installation can check.
async fn has_passkeys(state: &AppState, login_id: i32) -> Result<bool, AppError> {
    if state.passkeys.is_err() {
        return Ok(false);
    }
    let n = state
        .db(move |c| Ok(crate::models::passkey::count_for(c, login_id)?))
        .await?;
    Ok(n > 0)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

fn session_error(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("session: {e}"))
}

/// After the right password: a login with a factor is sent to the second step, any other
/// is logged in. Answers where to go.
pub async fn after_password(
    session: &Session,
    state: &AppState,
    login_id: i32,
) -> Result<&'static str, AppError> {
    let has_factor = state
        .db(move |c| Ok(two_factor::has_factor(c, login_id)?))
        .await?;
    // A fresh session key and CSRF token in either case (no session fixation). The
    // session row is written once, here, with everything the next page needs.
    session.renew();
    session.remove(IMPERSONATOR_ID);
    if has_factor {
        session.remove(LOGIN_ID);
        session
            .insert(PENDING_LOGIN, login_id)
            .and_then(|_| session.insert(PENDING_SINCE, unix_now()))
            .map_err(session_error)?;
        Ok("/login/two-factor")
    } else {
        session.insert(LOGIN_ID, login_id).map_err(session_error)?;
        mark_authenticated(session)?;
        Ok("/servers")
    }
}

/// The pending login of the session, if its five minutes have not run out.
pub(super) fn pending(session: &Session) -> Option<i32> {
    let id = session.get::<i32>(PENDING_LOGIN).ok().flatten()?;
    let since = session.get::<i64>(PENDING_SINCE).ok().flatten()?;
    if unix_now() - since > PENDING_MINUTES * 60 {
        session.remove(PENDING_LOGIN);
        session.remove(PENDING_SINCE);
        return None;
    }
    Some(id)
}

/// GET /login/two-factor
pub async fn form(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if session.get::<i32>(LOGIN_ID).ok().flatten().is_some() {
        return Ok(render::see_other("/servers"));
    }
    let Some(login_id) = pending(&session) else {
        return Ok(render::see_other("/login"));
    };
    render::page(&TwoFactorPage {
        chrome: None,
        csrf: csrf_token(&session),
        error: None,
        has_passkeys: has_passkeys(&state, login_id).await?,
    })
}

/// Turns the pending session into a full login (a factor passed): a fresh session key.
pub(super) fn complete(session: &Session, login_id: i32) -> Result<(), AppError> {
    session.renew();
    session.remove(PENDING_LOGIN);
    session.remove(PENDING_SINCE);
    session.remove(PASSKEY_AUTHENTICATION);
    session.insert(LOGIN_ID, login_id).map_err(session_error)?;
    mark_authenticated(session)
}

/// POST /login/two-factor (code: a TOTP code or a recovery code)
pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    if session.get::<i32>(LOGIN_ID).ok().flatten().is_some() {
        return Ok(render::see_other("/servers"));
    }
    let Some(login_id) = pending(&session) else {
        return Ok(render::see_other("/login"));
    };
    let client = ClientInfo::of(&req);
    let code: String = form.code.chars().take(100).collect();
    let key = state.factor_key.clone();
    let checked = state
        .db(move |c| {
            let Some(login) = still_standing(c, login_id)? else {
                return Ok(None);
            };
            let outcome = db::transaction(c, |c| check_code(c, &key, &login, &code, &client))?;
            Ok(Some(outcome))
        })
        .await?;
    let error = match checked {
        None => {
            session.remove(PENDING_LOGIN);
            session.remove(PENDING_SINCE);
            return Ok(render::see_other("/login"));
        }
        Some(CodeCheck::Passed) => {
            complete(&session, login_id)?;
            return Ok(render::see_other("/servers"));
        }
        Some(CodeCheck::Wrong) => {
            "That code is not right, or was used already. Enter the current code from your app, or an unused recovery code."
        }
        Some(CodeCheck::Throttled) => {
            "Too many wrong codes. Wait 15 minutes before trying again, or ask your account manager to reset your two-factor authentication."
        }
    };
    render::invalid(&TwoFactorPage {
        chrome: None,
        csrf: csrf_token(&session),
        error: Some(error.to_string()),
        has_passkeys: has_passkeys(&state, login_id).await?,
    })
}
