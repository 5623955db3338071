//! POST /users/{id}/alias-users/{aid}/invitation/resend and .../invitation/cancel: the
//! invitation of an alias user that has not chosen its password yet. Doors to
//! `operations::invitations`; a login that is no longer invited answers 409.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::{alias_url, load_target_in, tab_url};
use crate::operations::{invitations, OpError};
use crate::web::current::audit_entry;
use crate::web::current::Current;
use crate::web::error::error_page;
use crate::web::{render, AppError, Visit};

/// Answers a resend or cancel as all four doors do: 303 to the page `done` names, with its
/// message, or the 409 page of a login that is no longer invited, with the operation's.
pub fn answer<T>(
    current: &Current,
    outcome: Result<T, String>,
    done: impl FnOnce(T) -> (String, String),
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(t) => {
            let (message, to) = done(t);
            current.flash("success", message);
            Ok(render::see_other(&to))
        }
        Err(message) => Ok(error_page(StatusCode::CONFLICT, "Not invited", &message)),
    }
}

/// A login that is no longer invited is an answer of its own (the 409 of `answer`), found
/// before anything is written; any other refusal rolls the transaction back.
pub fn not_invited<T>(done: Result<T, OpError>) -> Result<Result<T, String>, AppError> {
    match done {
        Ok(t) => Ok(Ok(t)),
        Err(OpError::Busy(message)) => Ok(Err(message)),
        Err(e) => Err(e.into()),
    }
}

/// POST .../{aid}/invitation/resend: the session, the target, the new token, its queued
/// mail and the audit row in one hand-off and one transaction (`Visit::change`).
pub async fn resend(visit: Visit) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let client = visit.client();
    let links = state.links.clone();
    let (current, outcome) = visit
        .change(move |c, actor| {
            let t = load_target_in(c, actor, &id, &aid)?;
            let who = audit_entry(actor, &client, t.account.id, "alias.invitation_resend");
            not_invited(invitations::resend_alias_in(c, &links, actor, who, &t).map(|()| t))
        })
        .await?;
    answer(&current, outcome, |t| {
        (
            format!(
                "A new invitation is on its way to {}; the earlier link no longer works.",
                t.alias.email
            ),
            alias_url(t.account.id, t.alias.id),
        )
    })
}

/// POST .../{aid}/invitation/cancel: one hand-off and one transaction, like `resend`.
pub async fn cancel(visit: Visit) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let client = visit.client();
    let (current, outcome) = visit
        .change(move |c, actor| {
            let t = load_target_in(c, actor, &id, &aid)?;
            let who = audit_entry(actor, &client, t.account.id, "alias.invitation_cancel");
            not_invited(invitations::cancel_alias_in(c, actor, who, &t).map(|()| t))
        })
        .await?;
    answer(&current, outcome, |t| {
        (
            format!(
                "Invitation cancelled: {} was removed, and its link no longer works.",
                t.alias.username
            ),
            tab_url(t.account.id),
        )
    })
}
