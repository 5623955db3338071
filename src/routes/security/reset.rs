//! Resetting another login's second factors: a manager who covers the login
//! (`changes::factors_reset`: never oneself, covered before and after) removes its TOTP
//! secret and recovery codes, after `confirm=yes`. Audited in the login's account. The
//! login logs in with its password alone afterwards, and is asked to set up a factor again
//! if a policy requires one. Never while impersonating: factors are personal. A reset that
//! removed something tells the account owner, in the same transaction.

use actix_web::{web, HttpResponse};

use crate::access::changes::factors_reset;
use crate::access::two_factor::may_reset_account;
use crate::models::two_factor;
use crate::models::user::User;
use crate::operations::notices::{self, By};
use crate::routes::alias_users::{acted_on, alias_url, AliasPath};
use crate::web::confirm::{confirmation, Ask};
use crate::web::VisibleAccount;
use crate::web::{render, AppError, Current};
use crate::AppState;

fn not_while_impersonating(current: &Current) -> Result<(), AppError> {
    if current.actor.is_impersonating() {
        return Err(AppError::ForbiddenBecause(
            "Two-factor settings cannot be changed while acting as someone else.".into(),
        ));
    }
    Ok(())
}

async fn reset(
    current: &Current,
    state: &AppState,
    target: User,
    account_id: i32,
    action: String,
    back: String,
    body: &[u8],
) -> Result<HttpResponse, AppError> {
    let fields = crate::web::form::pairs(body)?;
    let ask = Ask {
        title: format!("Reset two-factor authentication of {}?", target.username),
        message: format!(
            "{} loses its authenticator app and recovery codes and logs in with its password alone, until it sets up a new factor (at once, if a policy requires one).",
            target.username
        ),
        action,
        fields: Vec::new(),
        button: "Reset two-factor".into(),
        back: back.clone(),
        typed: None,
    };
    if let Some(res) = confirmation(
        current,
        "users",
        crate::web::form::first(&fields, "confirm"),
        ask,
    ) {
        return res;
    }
    current.require_recent_auth(&back)?;
    let actor = current.actor.clone();
    let tid = target.id;
    let audit = current
        .audit(account_id, "two_factor.reset")
        .target(format!("login {}", target.username));
    let by = By::actor(&actor, &audit);
    let login = target.clone();
    let removed = state
        .change(move |c| {
            factors_reset(c, &actor, tid, |c| {
                let removed = two_factor::remove_all(c, tid)?;
                audit.insert(c)?;
                if removed {
                    notices::factors_removed(c, &by, &login, notices::FACTORS_RESET)?;
                }
                Ok(removed)
            })
        })
        .await?;
    current.flash(
        "success",
        if removed {
            format!(
                "Two-factor authentication of {} was reset.",
                target.username
            )
        } else {
            format!("{} had no second factor to reset.", target.username)
        },
    );
    Ok(render::see_other(&back))
}

/// POST /users/{id}/two-factor/reset (confirm=yes)
pub async fn account(
    VisibleAccount {
        current,
        account: target,
    }: VisibleAccount,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = target.id;
    if !may_reset_account(&current.actor, &target) {
        return Err(AppError::Forbidden);
    }
    not_while_impersonating(&current)?;
    let action = format!("/users/{id}/two-factor/reset");
    let back = format!("/users/{id}");
    reset(&current, &state, target, id, action, back, &body).await
}

/// POST /users/{id}/alias-users/{aid}/two-factor/reset (confirm=yes)
pub async fn alias(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let t = acted_on(&current, &state, &path).await?;
    not_while_impersonating(&current)?;
    let url = alias_url(t.account.id, t.alias.id);
    let action = format!("{url}/two-factor/reset");
    reset(&current, &state, t.alias, t.account.id, action, url, &body).await
}
