//! POST /impersonation/stop: back to the real login, with its own rights and nothing more.

use crate::web::session::Session;
use actix_web::{web, HttpRequest, HttpResponse};

use super::RETURN_TO;
use crate::access::Actor;
use crate::models::audit::NewAuditEntry;
use crate::models::now;
use crate::web::client::ClientInfo;
use crate::web::current::set_flash;
use crate::web::session::{IMPERSONATOR_ID, LOGIN_ID};
use crate::web::{render, AppError};
use crate::AppState;

pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(original) = session.get::<i32>(IMPERSONATOR_ID).ok().flatten() else {
        return Ok(render::see_other("/servers"));
    };
    let target = session.get::<i32>(LOGIN_ID).ok().flatten();
    let back = session
        .get::<String>(RETURN_TO)
        .ok()
        .flatten()
        .unwrap_or_else(|| "/servers".into());
    let client = ClientInfo::of(&req);
    let today = now().date();
    // The stop is recorded even when the target was disabled meanwhile; the original
    // login must still be able to act, or the session ends.
    let original_ok = state
        .tx(move |c| {
            let me = Actor::load(c, original, today)?;
            let Some(Ok(me)) = me else {
                return Ok(false);
            };
            let target_user = match target {
                Some(t) => crate::models::user::User::find(c, t)?,
                None => None,
            };
            let entry = NewAuditEntry {
                account_id: Some(me.account_id()),
                actor_id: Some(me.login.id),
                actor_name: me.login.username.clone(),
                impersonator_id: None,
                impersonator_name: None,
                action: "impersonation.stop".into(),
                target: target_user
                    .as_ref()
                    .map(|u| u.username.clone())
                    .unwrap_or_default(),
                details: String::new(),
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
                via_api: false,
                created_at: now(),
            };
            entry.insert(c)?;
            if let Some(t) = &target_user {
                let acct = t.parent_id.unwrap_or(t.id);
                if acct != me.account_id() {
                    entry.for_account(acct).insert(c)?;
                }
            }
            Ok(true)
        })
        .await?;
    if !original_ok {
        session.purge();
        return Ok(render::see_other("/login"));
    }
    session.renew();
    session.remove(IMPERSONATOR_ID);
    session.remove(RETURN_TO);
    session
        .insert(LOGIN_ID, original)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    set_flash(
        &session,
        "success",
        "Welcome back: you act as yourself again.",
    );
    Ok(render::see_other(&back))
}
