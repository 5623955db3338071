//! POST /users/{id}/invitation/resend and /users/{id}/invitation/cancel: the invitation of
//! an account that has not chosen its password yet. Doors to `operations::invitations`,
//! for whoever may change the account's status; a login no longer invited answers 409.

use actix_web::{web, HttpResponse};

use crate::operations::invitations;
use crate::routes::alias_users::invitation::refused;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

/// POST /users/{id}/invitation/resend
pub async fn resend(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let who = current.audit(current.actor.account_id(), "account.invitation_resend");
    match invitations::resend_account(&state.pool, &state.links, &current.actor, who, &account)
        .await
    {
        Ok(()) => {
            current.flash(
                "success",
                format!(
                    "A new invitation is on its way to {}; the earlier link no longer works.",
                    account.email
                ),
            );
            Ok(render::see_other(&format!("/users/{}", account.id)))
        }
        Err(e) => refused(e),
    }
}

/// POST /users/{id}/invitation/cancel
pub async fn cancel(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let who = current.audit(current.actor.account_id(), "account.invitation_cancel");
    match invitations::cancel_account(&state.pool, &current.actor, who, &account).await {
        Ok(()) => {
            current.flash(
                "success",
                format!(
                    "Invitation cancelled: the account {} was removed, and its link no longer works.",
                    account.username
                ),
            );
            Ok(render::see_other("/users"))
        }
        Err(e) => refused(e),
    }
}
