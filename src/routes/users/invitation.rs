//! POST /users/{id}/invitation/resend and /users/{id}/invitation/cancel: the invitation of
//! an account that has not chosen its password yet. Doors to `operations::invitations`,
//! for whoever may change the account's status; a login no longer invited answers 409.
//! Each is one hand-off and one transaction (`Visit::change`): the session, the account,
//! the change and its audit rows.

use actix_web::HttpResponse;

use crate::operations::invitations;
use crate::routes::alias_users::invitation::{answer, not_invited};
use crate::web::current::audit_entry;
use crate::web::{AppError, Visit};

/// POST /users/{id}/invitation/resend
pub async fn resend(visit: Visit) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let client = visit.client();
    let links = state.links.clone();
    let (current, outcome) = visit
        .change_account(move |c, actor, account| {
            let who = audit_entry(
                actor,
                &client,
                actor.account_id(),
                "account.invitation_resend",
            );
            not_invited(
                invitations::resend_account_in(c, &links, actor, who, &account).map(|()| account),
            )
        })
        .await?;
    answer(&current, outcome, |account| {
        (
            format!(
                "A new invitation is on its way to {}; the earlier link no longer works.",
                account.email
            ),
            format!("/users/{}", account.id),
        )
    })
}

/// POST /users/{id}/invitation/cancel
pub async fn cancel(visit: Visit) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, outcome) = visit
        .change_account(move |c, actor, account| {
            let who = audit_entry(
                actor,
                &client,
                actor.account_id(),
                "account.invitation_cancel",
            );
            not_invited(invitations::cancel_account_in(c, actor, who, &account).map(|()| account))
        })
        .await?;
    answer(&current, outcome, |account| {
        (
            format!(
                "Invitation cancelled: the account {} was removed, and its link no longer works.",
                account.username
            ),
            "/users".to_string(),
        )
    })
}
