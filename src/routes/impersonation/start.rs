//! POST /users/{id}/impersonate and POST /users/{id}/alias-users/{aid}/impersonate: the
//! checks and the audit rows in the request's one transaction, then the session switched
//! to the target under a new key (written after the answer: a second hand-off, as for
//! every request that changes who its session acts as).

use actix_web::HttpResponse;

use super::RETURN_TO;
use crate::access::actor::standing;
use crate::access::impersonation::{
    may_impersonate_account, may_impersonate_alias, NoImpersonation,
};
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::now;
use crate::models::user::User;
use crate::routes::alias_users::{load_target_in, tab_url};
use crate::web::account::visible_account_in;
use crate::web::client::ClientInfo;
use crate::web::current::audit_entry;
use crate::web::session::{IMPERSONATOR_ID, LOGIN_ID};
use crate::web::{render, AppError, Current, Visit};

fn refused(why: NoImpersonation) -> AppError {
    match why {
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
    }
}

/// The start, in both accounts' logs, on the request's transaction.
fn record_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    target: &User,
    target_account: i32,
) -> Result<(), AppError> {
    let audit = audit_entry(actor, client, target_account, "impersonation.start").target(format!(
        "{} {}",
        if target.is_alias() {
            "alias user"
        } else {
            "account"
        },
        target.username
    ));
    audit.insert(c)?;
    let own_account = actor.account_id();
    if own_account != target_account {
        audit.for_account(own_account).insert(c)?;
    }
    Ok(())
}

/// Switches the session to `target`. Its new row is the request's second hand-off: the
/// session itself changes (a new key for the new identity), written after the answer.
fn switch(current: &Current, target: &User, back: String) -> Result<HttpResponse, AppError> {
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

/// Sudo mode: without a recent authentication, a trip to /reauth that comes back.
fn recent_enough(recently: bool, back: &str) -> Result<(), AppError> {
    if recently {
        Ok(())
    } else {
        Err(AppError::ReauthRequired(back.to_string()))
    }
}

/// POST /users/{id}/impersonate: the session, the target, the checks and the audit rows in
/// one hand-off and one transaction (`Visit::change_sudo`).
pub async fn account(visit: Visit) -> Result<HttpResponse, AppError> {
    let (raw_id, client) = (visit.param("id"), visit.client());
    let (current, (target, back)) = visit
        .change_sudo(move |c, actor, recently| {
            let target = visible_account_in(c, actor, &raw_id)?;
            let parent = match target.parent_id {
                Some(pid) => User::find(c, pid)?,
                None => None,
            };
            let may_log_in = standing(&target, parent.as_ref(), now().date()).is_ok();
            let back = format!("/users/{}", target.id);
            may_impersonate_account(actor, &target, may_log_in).map_err(refused)?;
            recent_enough(recently, &back)?;
            record_in(c, actor, &client, &target, target.id)?;
            Ok((target, back))
        })
        .await?;
    switch(&current, &target, back)
}

/// POST /users/{id}/alias-users/{aid}/impersonate
pub async fn alias(visit: Visit) -> Result<HttpResponse, AppError> {
    let (id, aid, client) = (visit.param("id"), visit.param("aid"), visit.client());
    let (current, (target, back)) = visit
        .change_sudo(move |c, actor, recently| {
            let t = load_target_in(c, actor, &id, &aid)?;
            let may_log_in = standing(&t.alias, Some(&t.account), now().date()).is_ok();
            let back = tab_url(t.account.id);
            may_impersonate_alias(actor, &t.account, &t.alias, t.rights, may_log_in)
                .map_err(refused)?;
            recent_enough(recently, &back)?;
            record_in(c, actor, &client, &t.alias, t.account.id)?;
            Ok((t.alias, back))
        })
        .await?;
    switch(&current, &target, back)
}
