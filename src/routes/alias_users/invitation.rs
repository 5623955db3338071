//! POST /users/{id}/alias-users/{aid}/invitation/resend and .../invitation/cancel: the
//! invitation of an alias user that has not chosen its password yet. Doors to
//! `operations::invitations`; a login that is no longer invited answers 409.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::{alias_url, load_target, tab_url, AliasPath};
use crate::operations::{invitations, OpError};
use crate::web::error::error_page;
use crate::web::{render, AppError, Current};
use crate::AppState;

/// The page answer to an operation's refusal: 409 with its message when the login is no
/// longer invited, the usual pages otherwise.
pub fn refused(e: OpError) -> Result<HttpResponse, AppError> {
    match e {
        OpError::Busy(m) => Ok(error_page(StatusCode::CONFLICT, "Not invited", &m)),
        e => Err(e.into()),
    }
}

/// POST .../{aid}/invitation/resend
pub async fn resend(
    current: Current,
    state: actix_web::web::Data<AppState>,
    path: AliasPath,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let who = current.audit(t.account.id, "alias.invitation_resend");
    match invitations::resend_alias(&state.pool, &state.links, &current.actor, who, &t).await {
        Ok(()) => {
            current.flash(
                "success",
                format!(
                    "A new invitation is on its way to {}; the earlier link no longer works.",
                    t.alias.email
                ),
            );
            Ok(render::see_other(&alias_url(t.account.id, t.alias.id)))
        }
        Err(e) => refused(e),
    }
}

/// POST .../{aid}/invitation/cancel
pub async fn cancel(
    current: Current,
    state: actix_web::web::Data<AppState>,
    path: AliasPath,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let who = current.audit(t.account.id, "alias.invitation_cancel");
    match invitations::cancel_alias(&state.pool, &current.actor, who, &t).await {
        Ok(()) => {
            current.flash(
                "success",
                format!(
                    "Invitation cancelled: {} was removed, and its link no longer works.",
                    t.alias.username
                ),
            );
            Ok(render::see_other(&tab_url(t.account.id)))
        }
        Err(e) => refused(e),
    }
}
