//! Recovery codes: ten single-use codes, stored as hashes. A new set is made when TOTP is
//! confirmed or on request (the old set stops working), and shown once on the page the
//! POST redirects to: between the two requests the codes wait in the session sealed
//! under the browser's cookie, and the page that shows them removes them.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::own::own_factors_only;
use crate::models::two_factor;
use crate::security::sealed::{self, Sealed};
use crate::security::totp;
use crate::web::chrome::Chrome;
use crate::web::session::{self, NEW_RECOVERY_CODES};
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

#[derive(Template)]
#[template(path = "security/recovery_codes.html")]
struct CodesPage {
    chrome: Option<Chrome>,
    codes: Vec<String>,
    codes_left: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Waiting {
    login_id: i32,
    sealed: Sealed,
}

/// Puts new codes in the session, sealed, for the page the POST redirects to.
pub fn store_new_codes(
    req: &HttpRequest,
    current: &Current,
    codes: &[String],
) -> Result<(), AppError> {
    let Some(cookie) = session::cookie_value(req) else {
        return Ok(());
    };
    let waiting = Waiting {
        login_id: current.actor.login.id,
        sealed: sealed::seal(&cookie, &codes.join(" ")),
    };
    current
        .session
        .insert(NEW_RECOVERY_CODES, waiting)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))
}

/// GET /account/security/recovery-codes: the codes just made, once; afterwards only how
/// many are left.
pub async fn page(req: HttpRequest, visit: Visit) -> Result<HttpResponse, AppError> {
    let (current, codes_left) = visit
        .read(|c, actor| {
            own_factors_only(actor)?;
            Ok(two_factor::recovery_codes_left(c, actor.login.id)?)
        })
        .await?;
    let uid = current.actor.login.id;
    let waiting = current
        .session
        .get::<Waiting>(NEW_RECOVERY_CODES)
        .ok()
        .flatten();
    if waiting.is_some() {
        current.session.remove(NEW_RECOVERY_CODES);
    }
    let codes: Vec<String> = waiting
        .filter(|w| w.login_id == uid)
        .and_then(|w| session::cookie_value(&req).and_then(|c| sealed::open(&c, &w.sealed)))
        .map(|s| s.split(' ').map(str::to_string).collect())
        .unwrap_or_default();
    // Only codes that are still the login's own unused ones are shown.
    let codes = if codes.len() == totp::RECOVERY_CODES && codes_left > 0 {
        codes
    } else {
        Vec::new()
    };
    let mut res = render::page(&CodesPage {
        chrome: Some(current.chrome("account")),
        codes,
        codes_left,
    })?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// POST /account/security/recovery-codes: a new set; the old one stops working.
pub async fn regenerate(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    own_factors_only(&current.actor)?;
    current.require_recent_auth("/account/security")?;
    if !current.factor.has_factor {
        current.flash(
            "error",
            "Recovery codes back up a second factor: set up an authenticator app or a passkey first.",
        );
        return Ok(render::see_other("/account/security"));
    }
    let uid = current.actor.login.id;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let audit = current
        .audit(current.actor.account_id(), "two_factor.recovery_codes")
        .target(format!("login {}", current.actor.login.username));
    state
        .tx(move |c| {
            two_factor::replace_recovery_codes(c, uid, &hashes)?;
            audit.insert(c)?;
            Ok(())
        })
        .await?;
    store_new_codes(&req, &current, &codes)?;
    current.flash(
        "success",
        "New recovery codes made: the old ones no longer work.",
    );
    Ok(render::see_other("/account/security/recovery-codes"))
}
