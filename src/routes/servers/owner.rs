//! POST /servers/{sid}/owner (user_id): give a server to a reseller or customer, or take it
//! back (empty user_id). Who may do what is `access::servers::new_owner_chain`; this file
//! loads the rows it needs and records the change, with an audit entry in the Activity of
//! the account that held the server and of the one that holds it now.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail::{self, Input};
use super::reachable;
use crate::access::servers::{new_owner_chain, server_actions, AssignRefusal, Assignee, Reachable};
use crate::models::server::Server;
use crate::models::user::User;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct OwnerForm {
    #[serde(default)]
    pub user_id: String,
}

/// What came of an assignment request that was allowed to be asked.
pub enum Outcome {
    Done(String),
    Invalid(&'static str),
}

/// Gives `server` to the account `raw_user_id` names ("" = back to the inventory, or to
/// the reseller itself). Errors are 403 (not the login's to give or to receive).
pub async fn assign(
    current: &Current,
    state: &AppState,
    server: &Reachable,
    raw_user_id: &str,
) -> Result<Outcome, AppError> {
    if !server_actions(&current.actor, server).assign {
        return Err(AppError::Forbidden);
    }
    let target_id = match raw_user_id.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(id) => Some(id),
            Err(_) => return Ok(Outcome::Invalid("Choose an account from the list.")),
        },
    };
    let assignee = match target_id {
        None => None,
        Some(id) => {
            let found = state
                .db(move |c| {
                    let Some(account) = User::find(c, id)? else {
                        return Ok(None);
                    };
                    let owner = match account.owner_id {
                        Some(o) => User::find(c, o)?,
                        None => None,
                    };
                    Ok(Some(Assignee { account, owner }))
                })
                .await?;
            match found {
                Some(a) => Some(a),
                None => return Ok(Outcome::Invalid("Choose an account from the list.")),
            }
        }
    };
    let (reseller_id, owner_id) = match new_owner_chain(&current.actor, server, assignee.as_ref()) {
        Ok(h) => h,
        Err(AssignRefusal::Forbidden) => return Err(AppError::Forbidden),
        Err(AssignRefusal::Invalid(m)) => return Ok(Outcome::Invalid(m)),
    };
    if (reseller_id, owner_id) == (server.reseller_id, server.owner_id) {
        return Ok(Outcome::Done(format!(
            "{} already belongs there; nothing changed.",
            server.hostname
        )));
    }
    let actor_account = current.actor.account_id();
    let old_account = server
        .owner_id
        .or(server.reseller_id)
        .unwrap_or(actor_account);
    let new_account = owner_id.or(reseller_id).unwrap_or(actor_account);
    let to_name = assignee
        .as_ref()
        .map_or("the inventory".to_string(), |a| a.account.username.clone());
    let entry = current
        .audit(old_account, "server.owner")
        .target(format!("server {}", server.hostname))
        .details(format!(
            "reseller={} owner={} (to {to_name})",
            reseller_id.map(|i| i.to_string()).unwrap_or_default(),
            owner_id.map(|i| i.to_string()).unwrap_or_default(),
        ));
    let s: Server = (**server).clone();
    state
        .tx(move |c| {
            Server::set_owner_chain(c, &s, reseller_id, owner_id)?;
            entry.insert(c)?;
            if new_account != old_account {
                entry.for_account(new_account).insert(c)?;
            }
            Ok(())
        })
        .await?;
    Ok(Outcome::Done(format!(
        "{} now belongs to {to_name}.",
        server.hostname
    )))
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<OwnerForm>,
) -> Result<HttpResponse, AppError> {
    let server = reachable(&state.pool, &current.actor, &path).await?;
    match assign(&current, &state, &server, &form.user_id).await? {
        Outcome::Done(msg) => {
            current.flash("success", msg);
            Ok(render::see_other(&format!("/servers/{}", server.id)))
        }
        Outcome::Invalid(msg) => {
            let mut input = Input {
                user_id: form.user_id.clone(),
                ..Input::default()
            };
            input.errors.add("user_id", msg);
            render::invalid(&detail::build(&current, &state, server, input).await?)
        }
    }
}
