//! The current login's own sessions, listed on the Security page (routes/security):
//! ending one (in one hand-off), ending all others (`confirm=yes`; on `Current`, as it
//! needs this session's id).

use actix_web::{web, HttpResponse};

use super::this_session;
use crate::access::sessions::may_end_own_sessions;
use crate::access::Actor;
use crate::models::session;
use crate::web::confirm::Ask;
use crate::web::current::audit_entry;
use crate::web::form;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

const PAGE: &str = "/account/security";

/// Whose sessions the page is about: the person at the keyboard (the impersonator while
/// impersonating; its sessions include the one it impersonates in).
fn person(actor: &Actor) -> (i32, i32, String) {
    match &actor.impersonator {
        Some(real) => (
            real.id,
            real.parent_id.unwrap_or(real.id),
            real.username.clone(),
        ),
        None => (
            actor.login.id,
            actor.account_id(),
            actor.login.username.clone(),
        ),
    }
}

/// POST /account/sessions/{sess}/end: the session, the rights and the change in one
/// hand-off and one transaction (`Visit::change`). Ending this very session (its id sent
/// by hand) changes nothing in its state here: its row is gone, so its next request
/// finds no session, as before.
pub async fn end_one(visit: Visit) -> Result<HttpResponse, AppError> {
    let public_id = visit.param("sess");
    let client = visit.client();
    let (current, ()) = visit
        .change(move |c, actor| {
            if !may_end_own_sessions(actor) {
                return Err(AppError::Forbidden);
            }
            let (uid, account_id, _) = person(actor);
            let Some(row) = session::open_of(c, uid)?
                .into_iter()
                .find(|r| r.public_id == public_id)
            else {
                return Err(AppError::NotFound);
            };
            session::end_one(c, uid, &row.public_id)?;
            audit_entry(actor, &client, account_id, "session.end")
                .target(format!(
                    "session of {} from {}",
                    super::describe_browser(&row.user_agent),
                    row.ip
                ))
                .insert(c)?;
            Ok(())
        })
        .await?;
    current.flash("success", "Session ended. That browser is logged out.");
    Ok(render::see_other(PAGE))
}

/// POST /account/sessions/end-others (confirm=yes). Stays on `Current`: it keeps this
/// session open by its id, which is in the session's own state, and a `Visit::change`
/// closure sees only the acting login, not the session's state.
pub async fn end_others(
    current: Current,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if !may_end_own_sessions(&current.actor) {
        return Err(AppError::Forbidden);
    }
    let fields = form::pairs(&body)?;
    let ask = Ask {
        title: "End all other sessions?".into(),
        message: "Every other browser where you are logged in is logged out at its next \
                  request. This session stays open."
            .into(),
        action: "/account/sessions/end-others".into(),
        button: "End all other sessions".into(),
        back: PAGE.into(),
        ..Ask::default()
    };
    if let Err(asking) = ask.confirmed_by(form::first(&fields, "confirm")) {
        return asking.page(&current, "account");
    }
    let this = this_session(&current).ok_or(AppError::Forbidden)?;
    let (uid, account_id, _) = person(&current.actor);
    let audit = current.audit(account_id, "session.end_others");
    let ended = state
        .tx(move |c| {
            let n = session::end_all_except(c, uid, &this)?;
            audit.details(format!("ended={n}")).insert(c)?;
            Ok(n)
        })
        .await?;
    current.flash(
        "success",
        match ended {
            0 => "There were no other sessions.".to_string(),
            1 => "1 other session ended.".to_string(),
            n => format!("{n} other sessions ended."),
        },
    );
    Ok(render::see_other(PAGE))
}
