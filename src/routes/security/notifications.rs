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
use crate::web::error::error_page;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    notify_owner: String,
}

pub async fn submit(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    form: web::Form<NotificationsForm>,
) -> Result<HttpResponse, AppError> {
    let id = account.id;
    if !may_set_policy(&current.actor, &account) {
        return Err(AppError::Forbidden);
    }
    let wanted = match form.notify_owner.trim() {
        "yes" | "on" => true,
        "no" | "off" => false,
        _ => {
            return Ok(error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid choice",
                "Notifications by mail take yes or no.",
            ))
        }
    };
    let actor = current.actor.clone();
    let audit = current
        .audit(account.id, "notifications.update")
        .target(format!("account {}", account.username))
        .details(format!("notify_owner={wanted}"));
    let is_self = account.id == actor.login.id;
    state
        .change(move |c| {
            account_change(c, &actor, id, is_self, |c| {
                user::set_notify_owner(c, id, wanted)?;
                audit.insert(c)?;
                Ok(())
            })
        })
        .await?;
    current.flash(
        "success",
        if wanted {
            "The account owner is now told by mail about dangerous permissions granted, two-factor removed and sign-ins from new addresses."
        } else {
            "The account owner is no longer told by mail about this account's logins."
        },
    );
    Ok(render::see_other(&tab_url(account.id)))
}
