//! POST /users/{id}/security-policy (require_two_factor_for_aliases=yes|no): the account
//! owner's "require two-factor for my alias users". Set by the account itself or by a
//! manager who may edit it and covers it (`changes::account_change`); audited. It applies
//! at once, to open sessions too (the `Current` extractor reads it on every request).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::access::changes::account_change;
use crate::access::two_factor::may_set_policy;
use crate::models::two_factor;
use crate::routes::alias_users::tab_url;
use crate::web::error::error_page;
use crate::web::VisibleAccount;
use crate::web::{render, AppError};
use crate::AppState;

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    require_two_factor_for_aliases: String,
}

pub async fn submit(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    form: web::Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let id = account.id;
    if !may_set_policy(&current.actor, &account) {
        return Err(AppError::Forbidden);
    }
    let required = match form.require_two_factor_for_aliases.trim() {
        "yes" | "on" => true,
        "no" | "off" | "" => false,
        _ => {
            return Ok(error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid choice",
                "Require two-factor for alias users takes yes or no.",
            ))
        }
    };
    let actor = current.actor.clone();
    let audit = current
        .audit(account.id, "security_policy.update")
        .target(format!("account {}", account.username))
        .details(format!("require_two_factor_for_aliases={required}"));
    let is_self = account.id == actor.login.id;
    state
        .change(move |c| {
            account_change(c, &actor, id, is_self, |c| {
                two_factor::set_account_requires_for_aliases(c, id, required)?;
                audit.insert(c)?;
                Ok(())
            })
        })
        .await?;
    current.flash(
        "success",
        if required {
            "Alias users of this account now need two-factor authentication: those without it are asked to set it up at their next page."
        } else {
            "Alias users of this account no longer need two-factor authentication (unless their role or the installation asks for it)."
        },
    );
    Ok(render::see_other(&tab_url(account.id)))
}
