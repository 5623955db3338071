//! POST /users/{id}/impersonate and POST /users/{id}/alias-users/{aid}/impersonate.

use actix_web::{web, HttpResponse};

use super::RETURN_TO;
use crate::access::actor::standing;
use crate::access::impersonation::{
    may_impersonate_account, may_impersonate_alias, NoImpersonation,
};
use crate::models::now;
use crate::models::user::User;
use crate::routes::alias_users::{load_target, tab_url};
use crate::web::session::{IMPERSONATOR_ID, LOGIN_ID};
use crate::web::VisibleAccount;
use crate::web::{render, AppError, Current};
use crate::AppState;

fn refused(why: NoImpersonation) -> Result<HttpResponse, AppError> {
    Err(match why {
        NoImpersonation::Nested => AppError::ForbiddenBecause(
            "You are already acting as someone else: return first.".into(),
        ),
        NoImpersonation::TargetCannotLogIn => AppError::ForbiddenBecause(
            "A disabled, expired or still invited login cannot be impersonated.".into(),
        ),
        NoImpersonation::Itself => {
            AppError::ForbiddenBecause("You cannot impersonate yourself.".into())
        }
        NoImpersonation::NotAllowed => AppError::Forbidden,
    })
}

/// Switches the session to `target` and records the start in both accounts' logs.
async fn begin(
    current: Current,
    state: &AppState,
    target: &User,
    target_account: i32,
    back: String,
) -> Result<HttpResponse, AppError> {
    let audit = current
        .audit(target_account, "impersonation.start")
        .target(format!(
            "{} {}",
            if target.is_alias() {
                "alias user"
            } else {
                "account"
            },
            target.username
        ));
    let own_account = current.actor.account_id();
    state
        .tx(move |c| {
            audit.insert(c)?;
            if own_account != target_account {
                audit.for_account(own_account).insert(c)?;
            }
            Ok(())
        })
        .await?;
    let session = &current.session;
    let original = current.actor.login.id;
    // A new session key and CSRF token for the new identity.
    session.renew();
    let set = session
        .insert(IMPERSONATOR_ID, original)
        .and_then(|_| session.insert(LOGIN_ID, target.id))
        .and_then(|_| session.insert(RETURN_TO, back));
    set.map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    current.flash(
        "success",
        format!(
            "You are now acting as {}. Use “Return” to come back.",
            // The name the banner shows too.
            if target.name.is_empty() {
                &target.username
            } else {
                &target.name
            }
        ),
    );
    Ok(render::see_other("/servers"))
}

/// POST /users/{id}/impersonate
pub async fn account(
    VisibleAccount {
        current,
        account: target,
    }: VisibleAccount,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let may_log_in = target_may_log_in(&state, &target).await?;
    let back = format!("/users/{}", target.id);
    if let Err(why) = may_impersonate_account(&current.actor, &target, may_log_in) {
        return refused(why);
    }
    current.require_recent_auth(&back)?;
    begin(current, &state, &target, target.id, back).await
}

/// POST /users/{id}/alias-users/{aid}/impersonate
pub async fn alias(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let may_log_in = standing(&t.alias, Some(&t.account), now().date()).is_ok();
    let back = tab_url(t.account.id);
    if let Err(why) =
        may_impersonate_alias(&current.actor, &t.account, &t.alias, t.rights, may_log_in)
    {
        return refused(why);
    }
    current.require_recent_auth(&back)?;
    begin(current, &state, &t.alias, t.account.id, back).await
}

async fn target_may_log_in(state: &AppState, target: &User) -> Result<bool, AppError> {
    let parent = match target.parent_id {
        Some(pid) => state.db(move |c| Ok(User::find(c, pid)?)).await?,
        None => None,
    };
    Ok(standing(target, parent.as_ref(), now().date()).is_ok())
}
