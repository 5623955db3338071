//! POST /users/{id}/notifications (notify_owner=yes|no): whether the account owner is told
//! by mail about risky grants, two-factor removals and sign-ins from new addresses on its
//! account (`operations::notices`). The same people may set it as the two-factor
//! policy beside it (`may_set_policy`: the account itself, or a manager who may edit it and
//! covers it); audited.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::access::changes::account_change;
use crate::access::two_factor::may_set_policy;
use crate::models::user;
use crate::routes::alias_users::tab_url;
use crate::web::current::audit_entry;
use crate::web::error::error_page;
use crate::web::{render, AppError, Visit};

#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    notify_owner: String,
}

pub async fn submit(
    visit: Visit,
    form: web::Form<NotificationsForm>,
) -> Result<HttpResponse, AppError> {
    // Read before the change, judged inside it: a login that may not set it is told so
    // (403) before it is told the value is wrong (422).
    let wanted = match form.notify_owner.trim() {
        "yes" | "on" => Some(true),
        "no" | "off" => Some(false),
        _ => None,
    };
    let client = visit.client();
    let (current, (account_id, wanted)) = visit
        .change_account(move |c, actor, account| {
            if !may_set_policy(actor, &account) {
                return Err(AppError::Forbidden);
            }
            let Some(wanted) = wanted else {
                return Ok((account.id, None));
            };
            let id = account.id;
            let audit = audit_entry(actor, &client, id, "notifications.update")
                .target(format!("account {}", account.username))
                .details(format!("notify_owner={wanted}"));
            account_change(
                c,
                actor,
                id,
                id == actor.login.id,
                |c| -> Result<(), AppError> {
                    user::set_notify_owner(c, id, wanted)?;
                    audit.insert(c)?;
                    Ok(())
                },
            )?;
            Ok((id, Some(wanted)))
        })
        .await?;
    let Some(wanted) = wanted else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid choice",
            "Notifications by mail take yes or no.",
        ));
    };
    current.flash(
        "success",
        if wanted {
            "The account owner is now told by mail about dangerous permissions granted, two-factor removed and sign-ins from new addresses."
        } else {
            "The account owner is no longer told by mail about this account's logins."
        },
    );
    Ok(render::see_other(&tab_url(account_id)))
}
