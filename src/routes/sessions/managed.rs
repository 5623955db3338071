//! A manager ends every session of a login it covers (`confirm=yes`): an account
//! (`POST /users/{id}/sessions/end`) or an alias user (`…/alias-users/{aid}/sessions/end`).
//! The session, the target and the change are one hand-off and one transaction
//! (`Visit::change`).

use actix_web::{web, HttpResponse};

use crate::access::changes::credentials_change;
use crate::access::keys::Holder;
use crate::access::sessions::may_end_sessions_of;
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::session;
use crate::models::user::User;
use crate::routes::alias_users::{alias_url, load_target_in};
use crate::web::client::ClientInfo;
use crate::web::confirm::{Ask, Asking};
use crate::web::current::audit_entry;
use crate::web::form;
use crate::web::{render, AppError, Current, Visit};

/// What the POST did: asked first (with the answer sent), or ended the login's sessions.
enum Outcome {
    Ask(Asking),
    Ended(String, usize, String),
}

/// POST /users/{id}/sessions/end
pub async fn end_account(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, outcome) = visit
        .change_account(move |c, actor, account| {
            if !may_end_sessions_of(actor, Holder::Account(&account)) {
                return Err(AppError::Forbidden);
            }
            let back = format!("/users/{}", account.id);
            let account_id = account.id;
            end_all_in(c, actor, &client, &body, account, account_id, back)
        })
        .await?;
    answer(&current, outcome)
}

/// POST /users/{id}/alias-users/{aid}/sessions/end
pub async fn end_alias(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let client = visit.client();
    let (current, outcome) = visit
        .change(move |c, actor| {
            let t = load_target_in(c, actor, &id, &aid)?;
            let holder = Holder::Alias {
                account: &t.account,
                alias: &t.alias,
                rights: t.rights,
            };
            if !may_end_sessions_of(actor, holder) {
                return Err(AppError::Forbidden);
            }
            let back = alias_url(t.account.id, t.alias.id);
            end_all_in(c, actor, &client, &body, t.alias, t.account.id, back)
        })
        .await?;
    answer(&current, outcome)
}

/// Asks for `confirm=yes`, then ends every session of `login` (audited in `account_id`'s
/// environment), in the caller's transaction.
fn end_all_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    body: &[u8],
    login: User,
    account_id: i32,
    back: String,
) -> Result<Outcome, AppError> {
    let fields = form::pairs(body)?;
    let ask = Ask {
        title: format!("End every session of {}?", login.username),
        message: format!(
            "{} is logged out everywhere at its next request, and may log in again.",
            login.username
        ),
        action: format!("{back}/sessions/end"),
        button: "End all sessions".into(),
        back: back.clone(),
        ..Ask::default()
    };
    if let Err(asking) = ask.confirmed_by(form::first(&fields, "confirm")) {
        return Ok(Outcome::Ask(asking));
    }
    let audit = audit_entry(actor, client, account_id, "session.end_all")
        .target(format!("sessions of {}", login.username));
    let uid = login.id;
    let ended = credentials_change(c, actor, uid, |c| {
        let n = session::end_all_of(c, uid, None)?;
        audit.details(format!("ended={n}")).insert(c)?;
        Ok::<_, AppError>(n)
    })?;
    Ok(Outcome::Ended(login.username, ended, back))
}

/// The confirmation page, or 303 to `back` with the outcome.
fn answer(current: &Current, outcome: Outcome) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Ask(asking) => asking.page(current, "users"),
        Outcome::Ended(username, ended, back) => {
            current.flash(
                "success",
                format!("{username} is logged out everywhere ({ended} sessions ended)."),
            );
            Ok(render::see_other(&back))
        }
    }
}
