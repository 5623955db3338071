//! POST /servers/{sid}/owner (user_id): give a server to a reseller or customer, or take it
//! back (empty user_id). Who may do what is `access::servers::new_owner_chain`; this file
//! loads the rows it needs and records the change, with an audit entry in the Activity of
//! the account that held the server and of the one that holds it now, in one hand-off.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail::{self, Input};
use super::reachable_in;
use crate::access::servers::{new_owner_chain, server_actions, AssignRefusal, Assignee, Reachable};
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::server::Server;
use crate::models::user::User;
use crate::web::client::ClientInfo;
use crate::web::current::audit_entry;
use crate::web::{render, AppError, Visit};

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
/// the reseller itself), inside the transaction of the caller's one hand-off. Errors are
/// 403 (not the login's to give or to receive).
pub fn assign_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    server: &Reachable,
    raw_user_id: &str,
) -> Result<Outcome, AppError> {
    if !server_actions(actor, server).assign {
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
            let Some(account) = User::find(c, id)? else {
                return Ok(Outcome::Invalid("Choose an account from the list."));
            };
            let owner = match account.owner_id {
                Some(o) => User::find(c, o)?,
                None => None,
            };
            Some(Assignee { account, owner })
        }
    };
    let (reseller_id, owner_id) = match new_owner_chain(actor, server, assignee.as_ref()) {
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
    let actor_account = actor.account_id();
    let old_account = server
        .owner_id
        .or(server.reseller_id)
        .unwrap_or(actor_account);
    let new_account = owner_id.or(reseller_id).unwrap_or(actor_account);
    let to_name = assignee
        .as_ref()
        .map_or("the inventory".to_string(), |a| a.account.username.clone());
    let entry = audit_entry(actor, client, old_account, "server.owner")
        .target(format!("server {}", server.hostname))
        .details(format!(
            "reseller={} owner={} (to {to_name})",
            reseller_id.map(|i| i.to_string()).unwrap_or_default(),
            owner_id.map(|i| i.to_string()).unwrap_or_default(),
        ));
    Server::set_owner_chain(c, server, reseller_id, owner_id)?;
    entry.insert(c)?;
    if new_account != old_account {
        entry.for_account(new_account).insert(c)?;
    }
    Ok(Outcome::Done(format!(
        "{} now belongs to {to_name}.",
        server.hostname
    )))
}

/// What the owner form came to: the page again (422, its rows read in the same hand-off),
/// or done with its message.
enum Answer {
    Invalid(Box<detail::Found>, &'static str),
    Done(i32, String),
}

/// POST: the session, the server, the checks and the change with its audit rows are one
/// hand-off and one transaction (`Visit::change`).
pub async fn submit(visit: Visit, form: web::Form<OwnerForm>) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let user_id = form.into_inner().user_id;
    let sent = user_id.clone();
    let client = visit.client();
    let (current, answer) = visit
        .change(move |c, actor| {
            let server = reachable_in(c, actor, &sid)?;
            match assign_in(c, actor, &client, &server, &sent)? {
                Outcome::Done(msg) => Ok(Answer::Done(server.id, msg)),
                Outcome::Invalid(msg) => {
                    let found = detail::again_in(c, actor, server)?;
                    Ok(Answer::Invalid(Box::new(found), msg))
                }
            }
        })
        .await?;
    match answer {
        Answer::Done(id, msg) => {
            current.flash("success", msg);
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Answer::Invalid(found, msg) => {
            let mut input = Input {
                user_id,
                ..Input::default()
            };
            input.errors.add("user_id", msg);
            render::invalid(&detail::again(&current, *found, input))
        }
    }
}
