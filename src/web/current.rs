//! `Current`: the extractor every logged-in handler takes. It judges the acting login (and
//! the impersonator, if any) that the session middleware read with the session on every
//! request, and turns a login that may no longer act into a purged session and a trip to
//! /login, an impersonation its impersonator no longer covers into its end, and a login
//! that must set up a second factor into a trip to that set-up.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::acting::Acting;
use super::chrome::{Chrome, Flash, Impersonation};
use super::client::ClientInfo;
use super::error::AppError;
use super::session::{
    ensure_loaded, Preloaded, Session, SessionExt, AUTH_AT, IMPERSONATOR_ID, LOGIN_ID, RETURN_TO,
};
use crate::access::accounts::account_list;
use crate::access::impersonation::still_may_impersonate;
use crate::access::two_factor::{demand, Demand, InstallPolicy};
use crate::access::Actor;
use crate::models::two_factor::FactorState;
use crate::AppState;

pub struct Current {
    pub actor: Actor,
    pub session: Session,
    pub client: ClientInfo,
    /// The second factor of the person behind the session (the impersonator's own while
    /// impersonating), and why it must have one when it has none.
    pub factor: FactorState,
    pub setup_demand: Option<Demand>,
    csrf: String,
    flash: Option<Flash>,
}

/// "Sudo mode": how long after a full login or /reauth a sensitive action needs no new one.
pub const RECENT_AUTH_MINUTES: i64 = 15;

/// The only pages a login that must set up a second factor, and has none, may reach.
const SET_UP_PATHS: &[&str] = &[
    "/account/security",
    "/account/security/totp/start",
    "/account/security/totp",
    "/account/security/passkeys/register/start",
    "/account/security/passkeys/register/finish",
    "/account/security/recovery-codes",
    "/reauth",
    "/impersonation/stop",
];

/// Unix time now, for the session's timestamps.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether an authentication at `at` (Unix time, as the session keeps it under `AUTH_AT`)
/// is recent enough for sudo mode.
pub fn authenticated_recently(at: Option<i64>) -> bool {
    at.is_some_and(|at| unix_now() - at <= RECENT_AUTH_MINUTES * 60)
}

/// Marks the session as having just proved who is behind it.
pub fn mark_authenticated(session: &Session) -> Result<(), AppError> {
    session
        .insert(AUTH_AT, unix_now())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))
}

/// The session's CSRF token, for the forms of a page.
pub fn csrf_token(session: &Session) -> String {
    session.csrf_token()
}

/// Leaves a message for the next page the browser shows.
pub fn set_flash(session: &Session, kind: &str, message: impl Into<String>) {
    session.set_flash(Flash {
        kind: kind.into(),
        message: message.into(),
    });
}

impl Current {
    /// Layout data for a page under the main navigation entry `nav`.
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        let a = &self.actor;
        Chrome {
            display_name: a.display_name().to_string(),
            csrf: self.csrf.clone(),
            show_users_nav: account_list(a).is_some(),
            show_audit_nav: crate::access::activity::may_view_global_audit(a),
            my_account_url: my_account_url(a),
            impersonation: a.impersonator.as_ref().map(|imp| Impersonation {
                original_name: if imp.name.is_empty() {
                    imp.username.clone()
                } else {
                    imp.name.clone()
                },
                target_name: a.display_name().to_string(),
            }),
            flash: self.flash.clone(),
            nav,
        }
    }

    pub fn flash(&self, kind: &str, message: impl Into<String>) {
        set_flash(&self.session, kind, message);
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether the person behind the session proved who they are in the last 15 minutes.
    pub fn recently_authenticated(&self) -> bool {
        authenticated_recently(self.session.get::<i64>(AUTH_AT).ok().flatten())
    }

    /// Sudo mode: without a recent authentication, the answer is a trip to /reauth that
    /// comes back to `next` (a page of the panel).
    pub fn require_recent_auth(&self, next: &str) -> Result<(), AppError> {
        if self.recently_authenticated() {
            Ok(())
        } else {
            Err(AppError::ReauthRequired(next.to_string()))
        }
    }
}

/// "My account": an account's own detail page, or an alias user's own page.
pub fn my_account_url(actor: &Actor) -> String {
    match &actor.parent {
        Some(p) => format!("/users/{}/alias-users/{}", p.id, actor.login.id),
        None => format!("/users/{}", actor.login.id),
    }
}

/// Returns an impersonating session to the real login, with a message saying why.
fn end_impersonation(session: &Session, imp: &Actor, target: &Actor) -> Result<(), AppError> {
    session.renew();
    session.remove(IMPERSONATOR_ID);
    session.remove(RETURN_TO);
    session
        .insert(LOGIN_ID, imp.login.id)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    set_flash(
        session,
        "error",
        format!(
            "You no longer act as {}: its access now goes beyond yours. You act as yourself again.",
            target.login.username
        ),
    );
    Ok(())
}

/// What the rows of a session's login allow, decided without touching the session, so a
/// page that reads them beside its own rows can decide on the same blocking thread.
// One per request, moved twice: boxing the common case would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Judged {
    Acts {
        actor: Actor,
        factor: FactorState,
        setup_demand: Option<Demand>,
    },
    /// The impersonator may still act, but no longer as this target.
    Uncovered { imp: Box<Actor>, target: Box<Actor> },
    /// Deleted, disabled, expired, or its parent or impersonator is.
    Gone,
    /// A login that must set up a second factor asked for another page.
    SetupRequired,
}

/// Judges the acting login's rows for a request to `path`.
pub fn judge(acting: Acting, require_two_factor: InstallPolicy, path: &str) -> Judged {
    let Acting {
        actor,
        impersonator: imp,
        covered,
        factor,
    } = acting;
    let actor = match (actor, imp, covered) {
        (Some(Ok(actor)), None, _) => actor,
        (Some(Ok(mut actor)), Some(Some(Ok(imp))), covered)
            if still_may_impersonate(&imp, &actor, covered) =>
        {
            actor.impersonator = Some(imp.login);
            actor
        }
        (Some(Ok(target)), Some(Some(Ok(imp))), _) => {
            return Judged::Uncovered {
                imp: Box::new(imp),
                target: Box::new(target),
            }
        }
        _ => return Judged::Gone,
    };
    // A login that must hold a second factor and holds none reaches only its set-up,
    // whatever policy made it so and whenever (open sessions included).
    let real = actor.impersonator.as_ref().unwrap_or(&actor.login);
    let setup_demand = if factor.has_factor {
        None
    } else {
        demand(
            require_two_factor,
            real,
            factor.owner_requires,
            factor.role_requires,
        )
    };
    if setup_demand.is_some() && !SET_UP_PATHS.contains(&path) {
        return Judged::SetupRequired;
    }
    Judged::Acts {
        actor,
        factor,
        setup_demand,
    }
}

impl Current {
    /// The acting login of a judged session, or what its session must do instead: a login
    /// that may no longer act ends the session (the browser goes to /login, whatever
    /// instance made the session); an impersonation its impersonator no longer covers
    /// returns to the impersonator, and this request, made as the target, is not served.
    pub fn finish(
        session: Session,
        judged: Judged,
        client: ClientInfo,
    ) -> Result<Current, AppError> {
        let (actor, factor, setup_demand) = match judged {
            Judged::Acts {
                actor,
                factor,
                setup_demand,
            } => (actor, factor, setup_demand),
            Judged::Uncovered { imp, target } => {
                end_impersonation(&session, &imp, &target)?;
                return Err(AppError::ImpersonationEnded);
            }
            Judged::Gone => {
                session.purge();
                return Err(AppError::LoginRequired);
            }
            Judged::SetupRequired => return Err(AppError::TwoFactorSetupRequired),
        };
        let csrf = csrf_token(&session);
        let flash = session.take_flash();
        Ok(Current {
            actor,
            session,
            client,
            factor,
            setup_demand,
            csrf,
            flash,
        })
    }
}

impl FromRequest for Current {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Current, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no app state")))?;
            ensure_loaded(&req).await?;
            let session = req.get_session();
            let login_id = session
                .get::<i32>(LOGIN_ID)
                .ok()
                .flatten()
                .ok_or(AppError::LoginRequired)?;
            let impersonator_id = session.get::<i32>(IMPERSONATOR_ID).ok().flatten();
            // Taken, not borrowed: a request has one `Current` (handlers that take it twice
            // would read the login again, which is correct, only slower).
            let preloaded = req.extensions_mut().remove::<Preloaded>();
            // Read with the session (`web::session`) on one connection; read here only if
            // the session gained its login during this request, before this extractor.
            let acting = match preloaded {
                Some(p) if p.login_id == login_id && p.impersonator_id == impersonator_id => {
                    p.acting
                }
                _ => {
                    let today = crate::models::now().date();
                    state
                        .db(move |c| Acting::load(c, login_id, impersonator_id, today))
                        .await?
                }
            };
            let judged = judge(acting, state.require_two_factor, req.path());
            Current::finish(session, judged, ClientInfo::of(&req))
        })
    }
}

impl Current {
    /// An audit entry for an action of this login on `account_id`'s environment.
    pub fn audit(&self, account_id: i32, action: &str) -> crate::models::audit::NewAuditEntry {
        audit_entry(&self.actor, &self.client, account_id, action)
    }
}

/// An audit entry for an action of `a`, from `client`, on `account_id`'s environment.
pub fn audit_entry(
    a: &Actor,
    client: &ClientInfo,
    account_id: i32,
    action: &str,
) -> crate::models::audit::NewAuditEntry {
    crate::models::audit::NewAuditEntry {
        account_id: Some(account_id),
        actor_id: Some(a.login.id),
        actor_name: a.login.username.clone(),
        impersonator_id: a.impersonator.as_ref().map(|i| i.id),
        impersonator_name: a.impersonator.as_ref().map(|i| i.username.clone()),
        action: action.to_string(),
        target: String::new(),
        details: String::new(),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        via_api: false,
        created_at: crate::models::now(),
    }
}
