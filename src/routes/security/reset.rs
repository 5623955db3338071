//! Resetting another login's second factors: a manager who covers the login
//! (`changes::factors_reset`: never oneself, covered before and after) removes its TOTP
//! secret and recovery codes, after `confirm=yes`. Audited in the login's account. The
//! login logs in with its password alone afterwards, and is asked to set up a factor again
//! if a policy requires one. Never while impersonating: factors are personal. A reset that
//! removed something tells the account owner, in the same transaction.

use actix_web::{web, HttpResponse};

use crate::access::changes::factors_reset;
use crate::access::two_factor::may_reset_account;
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::audit::NewAuditEntry;
use crate::models::two_factor;
use crate::models::user::User;
use crate::operations::notices::{self, By};
use crate::routes::alias_users::{acted_on_in, alias_url};
use crate::web::account::visible_account_in;
use crate::web::confirm::{Ask, Asking};
use crate::web::current::audit_entry;
use crate::web::{render, AppError, Visit};

fn not_while_impersonating(actor: &Actor) -> Result<(), AppError> {
    if actor.is_impersonating() {
        return Err(AppError::ForbiddenBecause(
            "Two-factor settings cannot be changed while acting as someone else.".into(),
        ));
    }
    Ok(())
}

/// Whose factors a reset POST names, where it was sent and where it goes back to.
struct Reset {
    target: User,
    account_id: i32,
    action: String,
    back: String,
}

/// What the POST came to: a question first, a trip to /reauth, or the reset made.
enum Outcome {
    Ask(Asking),
    Reauth(String),
    Done {
        removed: bool,
        username: String,
        back: String,
    },
}

fn ask(r: &Reset) -> Ask {
    Ask {
        title: format!("Reset two-factor authentication of {}?", r.target.username),
        message: format!(
            "{} loses its authenticator app and recovery codes and logs in with its password alone, until it sets up a new factor (at once, if a policy requires one).",
            r.target.username
        ),
        action: r.action.clone(),
        button: "Reset two-factor".into(),
        back: r.back.clone(),
        ..Ask::default()
    }
}

/// The reset itself, on the request's transaction: asked first, in sudo mode only.
fn reset_in(
    c: &mut DbConn,
    actor: &Actor,
    who: impl FnOnce(i32) -> NewAuditEntry,
    r: Reset,
    confirm: &str,
    recently: bool,
) -> Result<Outcome, AppError> {
    let ask = ask(&r);
    if let Err(asking) = ask.confirmed_by(confirm) {
        return Ok(Outcome::Ask(asking));
    }
    if !recently {
        return Ok(Outcome::Reauth(r.back));
    }
    let tid = r.target.id;
    let audit = who(r.account_id).target(format!("login {}", r.target.username));
    let by = By::actor(actor, &audit);
    let removed = factors_reset(c, actor, tid, |c| -> Result<bool, AppError> {
        let removed = two_factor::remove_all(c, tid)?;
        audit.insert(c)?;
        if removed {
            notices::factors_removed(c, &by, &r.target, notices::FACTORS_RESET)?;
        }
        Ok(removed)
    })?;
    Ok(Outcome::Done {
        removed,
        username: r.target.username,
        back: r.back,
    })
}

/// Renders what `reset_in` came to.
fn answer(current: &crate::web::Current, outcome: Outcome) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Ask(asking) => asking.page(current, "users"),
        Outcome::Reauth(back) => Err(AppError::ReauthRequired(back)),
        Outcome::Done {
            removed,
            username,
            back,
        } => {
            current.flash(
                "success",
                if removed {
                    format!("Two-factor authentication of {username} was reset.")
                } else {
                    format!("{username} had no second factor to reset.")
                },
            );
            Ok(render::see_other(&back))
        }
    }
}

/// POST /users/{id}/two-factor/reset (confirm=yes): the session, the account and the
/// reset in one hand-off and one transaction.
pub async fn account(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let fields = crate::web::form::pairs(&body)?;
    let confirm = crate::web::form::first(&fields, "confirm").to_owned();
    let (raw_id, client) = (visit.param("id"), visit.client());
    let (current, outcome) = visit
        .change_sudo(move |c, actor, recently| {
            let target = visible_account_in(c, actor, &raw_id)?;
            if !may_reset_account(actor, &target) {
                return Err(AppError::Forbidden);
            }
            not_while_impersonating(actor)?;
            let id = target.id;
            let r = Reset {
                target,
                account_id: id,
                action: format!("/users/{id}/two-factor/reset"),
                back: format!("/users/{id}"),
            };
            let who = |account| audit_entry(actor, &client, account, "two_factor.reset");
            reset_in(c, actor, who, r, &confirm, recently)
        })
        .await?;
    answer(&current, outcome)
}

/// POST /users/{id}/alias-users/{aid}/two-factor/reset (confirm=yes)
pub async fn alias(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let fields = crate::web::form::pairs(&body)?;
    let confirm = crate::web::form::first(&fields, "confirm").to_owned();
    let client = visit.client();
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let (current, outcome) = visit
        .change_sudo(move |c, actor, recently| {
            let t = acted_on_in(c, actor, &id, &aid)?;
            not_while_impersonating(actor)?;
            let url = alias_url(t.account.id, t.alias.id);
            let r = Reset {
                target: t.alias,
                account_id: t.account.id,
                action: format!("{url}/two-factor/reset"),
                back: url,
            };
            let who = |account| audit_entry(actor, &client, account, "two_factor.reset");
            reset_in(c, actor, who, r, &confirm, recently)
        })
        .await?;
    answer(&current, outcome)
}
