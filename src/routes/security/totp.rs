//! TOTP set-up and removal. Start makes a secret and shows it (otpauth:// URI, base32,
//! and a QR code drawn server-side as SVG); the secret waits in the session, sealed under
//! the browser's cookie, until a first code confirms it. Confirming stores it (sealed
//! under the server's key), makes ten recovery codes and redirects to the page that shows
//! them once. Both, and removal, need a recent authentication (sudo mode).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::own::own_factors_only;
use super::recovery::store_new_codes;
use crate::db::DbError;
use crate::models::two_factor;
use crate::operations::notices::{self, By};
use crate::security::sealed::{self, Sealed};
use crate::security::totp;
use crate::web::chrome::Chrome;
use crate::web::confirm::Ask;
use crate::web::session::{self, TOTP_SETUP};
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Template)]
#[template(path = "security/totp_setup.html")]
struct SetupPage {
    chrome: Option<Chrome>,
    uri: String,
    secret: String,
    qr_svg: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The secret being set up, sealed under the cookie, for this login only.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    login_id: i32,
    sealed: Sealed,
}

fn setup_page(
    current: &Current,
    secret: &str,
    error: Option<String>,
) -> Result<SetupPage, AppError> {
    let uri = totp::otpauth_uri(secret, &current.actor.login.username)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("otpauth URI")))?;
    let qr_svg = totp::qr_svg(&uri).unwrap_or_default();
    Ok(SetupPage {
        chrome: Some(current.chrome("account")),
        secret: secret.to_string(),
        uri,
        qr_svg,
        error,
    })
}

/// POST /account/security/totp/start
pub async fn start(req: HttpRequest, current: Current) -> Result<HttpResponse, AppError> {
    own_factors_only(&current.actor)?;
    current.require_recent_auth("/account/security")?;
    let Some(cookie) = session::cookie_value(&req) else {
        return Err(AppError::LoginRequired);
    };
    let secret = totp::new_secret();
    let pending = Pending {
        login_id: current.actor.login.id,
        sealed: sealed::seal(&cookie, &secret),
    };
    current
        .session
        .insert(TOTP_SETUP, pending)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    let mut res = render::page(&setup_page(&current, &secret, None)?)?;
    no_store(&mut res);
    Ok(res)
}

fn no_store(res: &mut HttpResponse) {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
}

/// POST /account/security/totp (code)
pub async fn confirm(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    own_factors_only(&current.actor)?;
    current.require_recent_auth("/account/security")?;
    let uid = current.actor.login.id;
    let secret = current
        .session
        .get::<Pending>(TOTP_SETUP)
        .ok()
        .flatten()
        .filter(|p| p.login_id == uid)
        .and_then(|p| session::cookie_value(&req).and_then(|c| sealed::open(&c, &p.sealed)))
        .filter(|s| totp::is_secret(s));
    let Some(secret) = secret else {
        current.flash(
            "error",
            "Start the set-up first: no authenticator secret is waiting for a code.",
        );
        return Ok(render::see_other("/account/security"));
    };
    let code: String = form.code.chars().take(100).collect();
    let Some(step) = totp::matching_step(&secret, &code) else {
        let mut res = render::invalid(&setup_page(
            &current,
            &secret,
            Some("That code does not match. Enter the six-digit code your app shows now.".into()),
        )?)?;
        no_store(&mut res);
        return Ok(res);
    };
    let stored = totp::seal_secret(&state.factor_key, &secret);
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let audit = current
        .audit(current.actor.account_id(), "two_factor.enable")
        .target(format!("login {}", current.actor.login.username))
        .details("authenticator app (TOTP)");
    state
        .tx(move |c| {
            two_factor::set_totp(c, uid, &stored, step)?;
            two_factor::replace_recovery_codes(c, uid, &hashes)?;
            audit.insert(c)?;
            Ok(())
        })
        .await?;
    current.session.remove(TOTP_SETUP);
    store_new_codes(&req, &current, &codes)?;
    current.flash(
        "success",
        "Two-factor authentication is on. Keep these recovery codes somewhere safe.",
    );
    Ok(render::see_other("/account/security/recovery-codes"))
}

/// POST /account/security/totp/delete (confirm=yes)
pub async fn delete(
    current: Current,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    own_factors_only(&current.actor)?;
    current.require_recent_auth("/account/security")?;
    let fields = crate::web::form::pairs(&body)?;
    let ask = Ask {
        title: "Remove the authenticator app?".into(),
        message: "Its codes stop working. If it is your last factor (no passkey left), your recovery codes stop working too and a password alone logs in again; if a policy requires a second factor, you will be asked to set one up at once.".into(),
        action: "/account/security/totp/delete".into(),
        button: "Remove authenticator app".into(),
        back: "/account/security".into(),
        ..Ask::default()
    };
    if let Err(asking) = ask.confirmed_by(crate::web::form::first(&fields, "confirm")) {
        return asking.page(&current, "account");
    }
    let uid = current.actor.login.id;
    let audit = current
        .audit(current.actor.account_id(), "two_factor.disable")
        .target(format!("login {}", current.actor.login.username));
    let by = By::actor(&current.actor, &audit);
    let login = current.actor.login.clone();
    let removed = state
        .tx(move |c| {
            let removed = two_factor::remove_totp(c, uid)?;
            if removed {
                audit.insert(c)?;
                let what = factor_removed(c, uid, "it removed its authenticator app")?;
                notices::factors_removed(c, &by, &login, &what)?;
            }
            Ok(removed)
        })
        .await?;
    current.flash(
        if removed { "success" } else { "error" },
        if removed {
            "The authenticator app is removed."
        } else {
            "No authenticator app was set up."
        },
    );
    Ok(render::see_other("/account/security"))
}

/// What the owner's notice says of a factor the login removed itself, and whether any is
/// left (a login with no factor left logs in with its password alone).
pub(crate) fn factor_removed(
    c: &mut crate::db::DbConn,
    uid: i32,
    what: &str,
) -> Result<String, DbError> {
    Ok(if two_factor::has_factor(c, uid)? {
        format!("{what}; it still holds another second factor")
    } else {
        format!("{what}; it has no second factor left")
    })
}
