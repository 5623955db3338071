//! A manager ends every session of a login it covers (`confirm=yes`): an account
//! (`POST /users/{id}/sessions/end`) or an alias user (`…/alias-users/{aid}/sessions/end`).

use actix_web::{web, HttpResponse};

use crate::access::changes::credentials_change;
use crate::access::keys::Holder;
use crate::access::sessions::may_end_sessions_of;
use crate::models::session;
use crate::models::user::User;
use crate::routes::alias_users::{alias_url, load_target};
use crate::web::confirm::{confirmation, Ask};
use crate::web::form;
use crate::web::VisibleAccount;
use crate::web::{render, AppError, Current};
use crate::AppState;

/// POST /users/{id}/sessions/end
pub async fn end_account(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if !may_end_sessions_of(&current.actor, Holder::Account(&account)) {
        return Err(AppError::Forbidden);
    }
    let back = format!("/users/{}", account.id);
    end_all(&current, &state, &body, account.clone(), account.id, back).await
}

/// POST /users/{id}/alias-users/{aid}/sessions/end
pub async fn end_alias(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let holder = Holder::Alias {
        account: &t.account,
        alias: &t.alias,
        rights: t.rights,
    };
    if !may_end_sessions_of(&current.actor, holder) {
        return Err(AppError::Forbidden);
    }
    let back = alias_url(t.account.id, t.alias.id);
    end_all(&current, &state, &body, t.alias, t.account.id, back).await
}

/// Asks for `confirm=yes`, then ends every session of `login` (audited in `account_id`'s
/// environment) and answers 303 to `back`.
async fn end_all(
    current: &Current,
    state: &AppState,
    body: &[u8],
    login: User,
    account_id: i32,
    back: String,
) -> Result<HttpResponse, AppError> {
    let fields = form::pairs(body)?;
    let ask = Ask {
        title: format!("End every session of {}?", login.username),
        message: format!(
            "{} is logged out everywhere at its next request, and may log in again.",
            login.username
        ),
        action: format!("{back}/sessions/end"),
        fields: Vec::new(),
        button: "End all sessions".into(),
        back: back.clone(),
        typed: None,
    };
    if let Some(res) = confirmation(current, "users", form::first(&fields, "confirm"), ask) {
        return res;
    }
    let audit = current
        .audit(account_id, "session.end_all")
        .target(format!("sessions of {}", login.username));
    let actor = current.actor.clone();
    let uid = login.id;
    let ended = state
        .change(move |c| {
            credentials_change(c, &actor, uid, |c| {
                let n = session::end_all_of(c, uid, None)?;
                audit.details(format!("ended={n}")).insert(c)?;
                Ok(n)
            })
        })
        .await?;
    current.flash(
        "success",
        format!(
            "{} is logged out everywhere ({ended} sessions ended).",
            login.username
        ),
    );
    Ok(render::see_other(&back))
}
