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
use crate::web::current::audit_entry;
use crate::web::error::error_page;
use crate::web::{render, AppError, Visit};

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    require_two_factor_for_aliases: String,
}

pub async fn submit(visit: Visit, form: web::Form<PolicyForm>) -> Result<HttpResponse, AppError> {
    // Read before the change, judged inside it: a login that may not set it is told so
    // (403) before it is told the value is wrong (422).
    let required = match form.require_two_factor_for_aliases.trim() {
        "yes" | "on" => Some(true),
        "no" | "off" | "" => Some(false),
        _ => None,
    };
    let client = visit.client();
    let (current, (account_id, required)) = visit
        .change_account(move |c, actor, account| {
            if !may_set_policy(actor, &account) {
                return Err(AppError::Forbidden);
            }
            let Some(required) = required else {
                return Ok((account.id, None));
            };
            let id = account.id;
            let audit = audit_entry(actor, &client, id, "security_policy.update")
                .target(format!("account {}", account.username))
                .details(format!("require_two_factor_for_aliases={required}"));
            account_change(
                c,
                actor,
                id,
                id == actor.login.id,
                |c| -> Result<(), AppError> {
                    two_factor::set_account_requires_for_aliases(c, id, required)?;
                    audit.insert(c)?;
                    Ok(())
                },
            )?;
            Ok((id, Some(required)))
        })
        .await?;
    let Some(required) = required else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid choice",
            "Require two-factor for alias users takes yes or no.",
        ));
    };
    current.flash(
        "success",
        if required {
            "Alias users of this account now need two-factor authentication: those without it are asked to set it up at their next page."
        } else {
            "Alias users of this account no longer need two-factor authentication (unless their role or the installation asks for it)."
        },
    );
    Ok(render::see_other(&tab_url(account_id)))
}
