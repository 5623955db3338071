//! The current login's own sessions, listed on the Security page (routes/security):
//! ending one, ending all others (`confirm=yes`).

use actix_web::{web, HttpResponse};

use super::this_session;
use crate::access::sessions::may_end_own_sessions;
use crate::models::session;
use crate::web::confirm::{confirmation, Ask};
use crate::web::form;
use crate::web::{render, AppError, Current};
use crate::AppState;

const PAGE: &str = "/account/security";

/// Whose sessions the page is about: the person at the keyboard (the impersonator while
/// impersonating; its sessions include the one it impersonates in).
fn person(current: &Current) -> (i32, i32, String) {
    match &current.actor.impersonator {
        Some(real) => (
            real.id,
            real.parent_id.unwrap_or(real.id),
            real.username.clone(),
        ),
        None => (
            current.actor.login.id,
            current.actor.account_id(),
            current.actor.login.username.clone(),
        ),
    }
}

/// POST /account/sessions/{sess}/end
pub async fn end_one(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !may_end_own_sessions(&current.actor) {
        return Err(AppError::Forbidden);
    }
    let public_id = path.into_inner();
    let (uid, account_id, _) = person(&current);
    let audit = current.audit(account_id, "session.end");
    let ended = state
        .tx(move |c| {
            let Some(row) = session::open_of(c, uid)?
                .into_iter()
                .find(|r| r.public_id == public_id)
            else {
                return Ok(false);
            };
            session::end_one(c, uid, &row.public_id)?;
            audit
                .target(format!(
                    "session of {} from {}",
                    super::describe_browser(&row.user_agent),
                    row.ip
                ))
                .insert(c)?;
            Ok(true)
        })
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    current.flash("success", "Session ended. That browser is logged out.");
    Ok(render::see_other(PAGE))
}

/// POST /account/sessions/end-others (confirm=yes)
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
        fields: Vec::new(),
        button: "End all other sessions".into(),
        back: PAGE.into(),
        typed: None,
    };
    if let Some(res) = confirmation(&current, "account", form::first(&fields, "confirm"), ask) {
        return res;
    }
    let this = this_session(&current).ok_or(AppError::Forbidden)?;
    let (uid, account_id, _) = person(&current);
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
