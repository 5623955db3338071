//! GET /account/security: the current login's own two-factor state and what it can do
//! about it, and where it is logged in (the sessions partial of routes/sessions). While
//! impersonating, nobody sees the target's factors or sessions (403).

use actix_web::HttpResponse;
use askama::Template;

use crate::access::sessions::may_end_own_sessions;
use crate::access::two_factor::may_manage_own_factors;
use crate::access::Actor;
use crate::models::two_factor;
use crate::models::{passkey, session};
use crate::routes::sessions::{self, SessionView};
use crate::web::chrome::Chrome;
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "security/page.html")]
struct SecurityPage {
    chrome: Option<Chrome>,
    username: String,
    has_totp: bool,
    /// Whether the login holds any factor (an authenticator app or a passkey).
    has_factor: bool,
    codes_left: i64,
    passkeys: Vec<PasskeyView>,
    /// Why passkeys cannot be added here (STEWARD_PUBLIC_URL is an IP address), if so.
    passkeys_off: Option<String>,
    may_add_passkey: bool,
    demand: Option<&'static str>,
    /// The sessions partial (routes/sessions): where this login is logged in.
    sessions: Vec<SessionView>,
    sessions_base: String,
    may_end: bool,
}

struct PasskeyView {
    id: i32,
    name: String,
    created: String,
    last_used: String,
}

/// Refuses (403) what is about one's own factors while impersonating.
pub fn own_factors_only(actor: &Actor) -> Result<(), AppError> {
    if may_manage_own_factors(actor) {
        Ok(())
    } else {
        Err(AppError::ForbiddenBecause(
            "While acting as someone else, their two-factor settings are not yours to see or change.".into(),
        ))
    }
}

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, (codes_left, open, keys, has_totp)) = visit
        .read(|c, actor| {
            own_factors_only(actor)?;
            let uid = actor.login.id;
            Ok((
                two_factor::recovery_codes_left(c, uid)?,
                session::open_of(c, uid)?,
                passkey::list_for(c, uid)?,
                two_factor::totp_of(c, uid)?.is_some(),
            ))
        })
        .await?;
    let uid = current.actor.login.id;
    let may_add_passkey = (keys.len() as i64) < passkey::MAX_PER_LOGIN;
    let passkeys = keys
        .into_iter()
        .map(|k| PasskeyView {
            id: k.id,
            name: k.name,
            created: k.created_at.format("%Y-%m-%d").to_string(),
            last_used: k
                .last_used_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    render::page(&SecurityPage {
        chrome: Some(current.chrome("account")),
        username: current.actor.login.username.clone(),
        has_totp,
        has_factor: current.factor.has_factor,
        codes_left,
        passkeys,
        passkeys_off: state.passkeys.as_ref().as_ref().err().cloned(),
        may_add_passkey,
        demand: current.setup_demand.map(|d| d.message()),
        sessions: sessions::views(open, sessions::this_session(&current).as_deref(), uid),
        sessions_base: "/account/sessions".into(),
        may_end: may_end_own_sessions(&current.actor),
    })
}
