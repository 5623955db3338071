//! Passkeys on the Security page: registering one is two JSON requests made
//! by static/passkeys.js around `navigator.credentials.create` — start (the name; answers
//! the options) and finish (the browser's credential; stores it) — with webauthn-rs's
//! state waiting in between in the session row, which exists only after a password login,
//! under a five-minute limit and one registration at a time. Deleting one is a plain form
//! with a confirmation. All of it is one's own (never while impersonating) and needs a
//! recent authentication, as the authenticator app does. The first factor a login gets
//! comes with recovery codes, shown once.

use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::own::own_factors_only;
use super::recovery::store_new_codes;
use crate::models::now;
use crate::models::passkey::{self, NewPasskey, MAX_PER_LOGIN};
use crate::models::two_factor;
use crate::operations::notices::{self, By};
use crate::security::passkey::{credential_id, from_text, to_text, RelyingParty};
use crate::security::totp;
use crate::web::account::parse_id;
use crate::web::confirm::Ask;
use crate::web::current::unix_now;
use crate::web::session::PASSKEY_REGISTRATION;
use crate::web::{render, AppError, Current};
use crate::AppState;

/// How long a started ceremony waits for the browser's answer.
pub const CEREMONY_SECONDS: i64 = 5 * 60;
/// The longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// A registration under way, in the session.
#[derive(Serialize, Deserialize)]
struct Pending {
    login_id: i32,
    name: String,
    since: i64,
    state: PasskeyRegistration,
}

/// A JSON answer that no cache keeps.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    let mut res = HttpResponse::build(status).json(body);
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A refusal the script shows next to the field (422 unless said otherwise).
pub(crate) fn refused(status: StatusCode, message: &str) -> HttpResponse {
    json(status, &serde_json::json!({ "error": message }))
}

/// The relying party, or (Err) why passkeys are off.
pub(crate) fn relying_party(state: &AppState) -> Result<&RelyingParty, &str> {
    state.passkeys.as_ref().as_ref().map_err(String::as_str)
}

/// The 409 that says passkeys are off, and why.
pub(crate) fn passkeys_off(why: &str) -> HttpResponse {
    refused(
        StatusCode::CONFLICT,
        &format!("Passkeys are off on this installation: {why}."),
    )
}

/// What both steps of adding a passkey ask first: the login's own factors (403 while
/// impersonating), a recent password (otherwise off to /reauth), and passkeys configured
/// on this installation (`Err`: the 409 that says why not).
fn registering<'a>(
    current: &Current,
    state: &'a AppState,
) -> Result<Result<&'a RelyingParty, HttpResponse>, AppError> {
    own_factors_only(&current.actor)?;
    current.require_recent_auth("/account/security")?;
    Ok(relying_party(state).map_err(passkeys_off))
}

/// A passkey name: trimmed, 1 to 64 characters, no control characters.
pub fn valid_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Give the passkey a name, such as the device it is on.");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("A passkey name has at most 64 characters.");
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("A passkey name cannot hold control characters.");
    }
    Ok(name.to_string())
}

/// POST /account/security/passkeys/register/start (name): the options for
/// `navigator.credentials.create`, as JSON.
pub async fn start(
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let rp = match registering(&current, &state)? {
        Ok(rp) => rp,
        Err(off) => return Ok(off),
    };
    let name = match valid_name(&form.name) {
        Ok(n) => n,
        Err(message) => return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, message)),
    };
    let uid = current.actor.login.id;
    let n = name.clone();
    let (count, taken, rows) = state
        .db(move |c| {
            Ok((
                passkey::count_for(c, uid)?,
                passkey::name_taken(c, uid, &n)?,
                passkey::list_for(c, uid)?,
            ))
        })
        .await?;
    if count >= MAX_PER_LOGIN {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "You hold 10 passkeys already: delete one before adding another.",
        ));
    }
    if taken {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "You already have a passkey of that name: choose another.",
        ));
    }
    let existing: Vec<_> = rows.iter().filter_map(|r| from_text(&r.passkey)).collect();
    let login = &current.actor.login;
    let (options, reg) = rp
        .start_registration(
            uid,
            &login.username,
            current.actor.display_name(),
            &existing,
        )
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("passkey registration: {e}")))?;
    current
        .session
        .insert(
            PASSKEY_REGISTRATION,
            Pending {
                login_id: uid,
                name,
                since: unix_now(),
                state: reg,
            },
        )
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    Ok(json(StatusCode::OK, &options))
}

/// POST /account/security/passkeys/register/finish (the browser's credential, as JSON):
/// stores the passkey and answers where to go next.
pub async fn finish(
    req: HttpRequest,
    current: Current,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let rp = match registering(&current, &state)? {
        Ok(rp) => rp,
        Err(off) => return Ok(off),
    };
    let uid = current.actor.login.id;
    // One answer per start: the challenge is used up whatever happens next.
    let pending = current
        .session
        .get::<Pending>(PASSKEY_REGISTRATION)
        .ok()
        .flatten();
    if pending.is_some() {
        current.session.remove(PASSKEY_REGISTRATION);
    }
    let Some(pending) =
        pending.filter(|p| p.login_id == uid && unix_now() - p.since <= CEREMONY_SECONDS)
    else {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No passkey registration is waiting (or it took over five minutes): start again.",
        ));
    };
    let Ok(credential) = serde_json::from_slice::<RegisterPublicKeyCredential>(&body) else {
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The browser's answer could not be read: start again.",
        ));
    };
    let key = match rp.finish_registration(&credential, &pending.state) {
        Ok(k) => k,
        Err(e) => {
            log::info!("passkey registration refused for login {uid}: {e}");
            return Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The passkey could not be verified: start again.",
            ));
        }
    };
    let cred = credential_id(&key);
    let stored = to_text(&key);
    let name = pending.name.clone();
    let audit = current
        .audit(current.actor.account_id(), "two_factor.passkey_add")
        .target(format!("login {}", current.actor.login.username))
        .details(format!("passkey \u{201c}{name}\u{201d}"));
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let outcome = state
        .tx(move |c| {
            // Checked again here: another tab may have added one meanwhile.
            if passkey::count_for(c, uid)? >= MAX_PER_LOGIN {
                return Ok(Err("You hold 10 passkeys already."));
            }
            if passkey::name_taken(c, uid, &name)? {
                return Ok(Err(
                    "You already have a passkey of that name: choose another.",
                ));
            }
            if passkey::credential_taken(c, &cred)? {
                return Ok(Err("This passkey is registered already."));
            }
            let first = !two_factor::has_factor(c, uid)?;
            NewPasskey {
                user_id: uid,
                name: &name,
                credential_id: &cred,
                passkey: &stored,
                created_at: now(),
            }
            .insert(c)?;
            if first {
                two_factor::replace_recovery_codes(c, uid, &hashes)?;
            }
            audit.insert(c)?;
            Ok(Ok(first))
        })
        .await?;
    let first = match outcome {
        Ok(first) => first,
        Err(message) => return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, message)),
    };
    let next = if first {
        store_new_codes(&req, &current, &codes)?;
        current.flash(
            "success",
            format!(
                "Passkey \u{201c}{}\u{201d} added: two-factor authentication is on. Keep these recovery codes somewhere safe.",
                pending.name
            ),
        );
        "/account/security/recovery-codes"
    } else {
        current.flash(
            "success",
            format!("Passkey \u{201c}{}\u{201d} added.", pending.name),
        );
        "/account/security"
    };
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "redirect": next }),
    ))
}

/// POST /account/security/passkeys/{pk}/delete (confirm=yes)
pub async fn delete(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    own_factors_only(&current.actor)?;
    let pk = parse_id(&path)?;
    current.require_recent_auth("/account/security")?;
    let uid = current.actor.login.id;
    let row = state
        .db(move |c| Ok(passkey::find_for(c, uid, pk)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = crate::web::form::pairs(&body)?;
    let ask = Ask {
        title: format!("Delete the passkey \u{201c}{}\u{201d}?", row.name),
        message: "It no longer works as your second factor. If it was your last factor, a password alone logs in again (or, if a policy requires one, you are asked to set one up at once).".into(),
        action: format!("/account/security/passkeys/{pk}/delete"),
        button: "Delete passkey".into(),
        back: "/account/security".into(),
        ..Ask::default()
    };
    if let Err(asking) = ask.confirmed_by(crate::web::form::first(&fields, "confirm")) {
        return asking.page(&current, "account");
    }
    let audit = current
        .audit(current.actor.account_id(), "two_factor.passkey_delete")
        .target(format!("login {}", current.actor.login.username))
        .details(format!("passkey \u{201c}{}\u{201d}", row.name));
    let by = By::actor(&current.actor, &audit);
    let login = current.actor.login.clone();
    let what = format!("it deleted its passkey \u{201c}{}\u{201d}", row.name);
    let removed = state
        .tx(move |c| {
            let removed = passkey::delete_for(c, uid, pk)?;
            if removed {
                two_factor::drop_codes_without_factor(c, uid)?;
                audit.insert(c)?;
                let what = super::totp::factor_removed(c, uid, &what)?;
                notices::factors_removed(c, &by, &login, &what)?;
            }
            Ok(removed)
        })
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    current.flash(
        "success",
        format!("Passkey \u{201c}{}\u{201d} deleted.", row.name),
    );
    Ok(render::see_other("/account/security"))
}
