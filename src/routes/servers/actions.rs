//! The actions on a server page: power, rename, rDNS, reinstall, rescue — the page's
//! door to `operations::servers`. Each loads the server through the login's reach (404
//! outside it) and checks the action's permission before reading its input (403, nothing
//! changed), asks for confirmation where the action destroys something, then lets the
//! operation validate (422, the page shown again with the input) and act, and answers 303.
//! The session, those checks and the operation's write are one hand-off and one
//! transaction (`Visit::change`); a 422's page is read in it too. Power, reinstall and
//! rescue then wait a moment for the controller's answer to the job they queued: that
//! wait is a second step on purpose, after the commit (the driver worker only sees a
//! committed job, and no transaction is held while the controller is called).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail::{self, Input};
use super::reachable_in;
use crate::access::keys::may_install_own_keys;
use crate::access::servers::{server_actions, Reachable, ServerActions};
use crate::access::Actor;
use crate::db::DbConn;
use crate::driver::{InstallKey, PowerAction};
use crate::jobs::driver::Outcome;
use crate::models::audit::NewAuditEntry;
use crate::models::server::Server;
use crate::models::server_ip;
use crate::models::server_job::FAILED;
use crate::models::ssh_key;
use crate::operations::servers::{self as servers_op, JobId};
use crate::operations::OpError;
use crate::web::client::ClientInfo;
use crate::web::confirm::{Ask, Asking};
use crate::web::current::audit_entry;
use crate::web::form::{self, pairs};
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    confirm: String,
}

type Form = web::Form<ActionForm>;

/// What an action's one hand-off came to.
enum Acted<T> {
    /// The operation's answer, for the server with this id.
    Done(i32, T),
    /// The page again with the input and its messages (422; nothing was written).
    Invalid(Box<detail::Found>, Input),
    /// A message instead (a reinstall runs), back to the server with this id.
    Refused(i32, String),
    /// The confirmation page first.
    Ask(Asking),
}

impl<T> Acted<T> {
    /// The same answer with the operation's value changed (`Done` only).
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Acted<U> {
        match self {
            Acted::Done(id, v) => Acted::Done(id, f(v)),
            Acted::Invalid(found, input) => Acted::Invalid(found, input),
            Acted::Refused(id, m) => Acted::Refused(id, m),
            Acted::Ask(asking) => Acted::Ask(asking),
        }
    }
}

/// `Visit::change` for an action on the server the path's `{sid}` names: `work` gets the
/// server when the login reaches it (404 otherwise) and `allowed` says it may act (403),
/// in the same transaction as its change, with the client for the audit row.
async fn change_on_server<T: Send + 'static>(
    visit: &Visit,
    allowed: fn(&ServerActions) -> bool,
    work: impl FnOnce(&mut DbConn, &Actor, &ClientInfo, Reachable) -> Result<Acted<T>, AppError>
        + Send
        + 'static,
) -> Result<(Current, Acted<T>), AppError> {
    let sid = visit.param("sid");
    let client = visit.client();
    visit
        .change(move |c, actor| {
            let server = reachable_in(c, actor, &sid)?;
            if !allowed(&server_actions(actor, &server)) {
                return Err(AppError::Forbidden);
            }
            work(c, actor, &client, server)
        })
        .await
}

/// The page again with `input`, its rows read in the action's transaction.
fn invalid_in<T>(
    c: &mut DbConn,
    actor: &Actor,
    server: Reachable,
    input: Input,
) -> Result<Acted<T>, AppError> {
    let found = detail::again_in(c, actor, server)?;
    Ok(Acted::Invalid(Box::new(found), input))
}

/// Runs an operation's synchronous part in the action's transaction: bad input shows the
/// page again with what was typed (`retyped`) and the messages; a running reinstall
/// comes back as a message; a refusal is 403.
fn operate_in<T, F>(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    server: Reachable,
    retyped: Input,
    op: F,
) -> Result<Acted<T>, AppError>
where
    F: FnOnce(&mut DbConn, &Actor, NewAuditEntry, &Reachable) -> Result<T, OpError>,
{
    // The operation names the action and the server's account; the door adds who and from where.
    let who = audit_entry(actor, client, actor.account_id(), "");
    let id = server.id;
    match op(c, actor, who, &server) {
        Ok(v) => Ok(Acted::Done(id, v)),
        Err(OpError::Invalid(errors)) => {
            let mut input = retyped;
            input.errors = errors;
            invalid_in(c, actor, server, input)
        }
        Err(OpError::Busy(m)) => Ok(Acted::Refused(id, m)),
        Err(OpError::Forbidden(_)) => Err(AppError::Forbidden),
        Err(e) => Err(e.into()),
    }
}

/// Answers as every action of the server page does: 303 back to the page with `done`'s
/// message, or what the hand-off decided (the page again, a message, a confirmation).
fn answer<T>(
    current: &Current,
    acted: Acted<T>,
    done: impl FnOnce(T) -> String,
) -> Result<HttpResponse, AppError> {
    match acted {
        Acted::Done(id, v) => {
            current.flash("success", done(v));
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Acted::Invalid(found, input) => render::invalid(&detail::again(current, *found, input)),
        Acted::Refused(id, m) => {
            current.flash("error", m);
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Acted::Ask(asking) => asking.page(current, "servers"),
    }
}

/// `answer` for the actions the controller carries out (power, reinstall, rescue): the
/// hand-off queued the job, and the answer then waits a moment (`driver_wait`) for the
/// controller's, so a quick one's result is in the flash; a slow one's is shown as
/// progress on the server page. `asked` is the flash of an accepted call. The wait is a
/// second step on purpose: after the commit, holding no transaction or connection.
async fn answer_hardware(
    current: &Current,
    state: &AppState,
    acted: Acted<(JobId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, job, asked) = match acted {
        Acted::Done(id, (job, asked)) => (id, job, asked),
        other => return answer(current, other, |_| String::new()),
    };
    match state.jobs.outcome(job, state.driver_wait).await {
        Outcome::Ended { status, message } if status == FAILED => {
            current.flash("error", format!("The controller refused: {message}."))
        }
        Outcome::Ended { .. } => current.flash("success", asked),
        Outcome::Pending => current.flash(
            "success",
            format!("{asked} The controller has not answered yet: this page shows when it has."),
        ),
    }
    Ok(render::see_other(&format!("/servers/{id}")))
}

fn power_verb(action: PowerAction) -> &'static str {
    match action {
        PowerAction::On => "Power on",
        PowerAction::Off => "Power off",
        PowerAction::Reset => "Reset",
    }
}

/// The fields of a reinstall or rescue form to send again from the confirmation page:
/// everything but the token and the confirmation itself.
fn resend(fields: &[(String, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(k, _)| k != "csrf_token" && k != "confirm")
        .cloned()
        .collect()
}

/// A driver action asked while a reinstall runs is refused with a message before any
/// confirmation page (the operation refuses it again).
fn busy<T>(server: &Server) -> Option<Acted<T>> {
    servers_op::busy(server)
        .err()
        .map(|e| Acted::Refused(server.id, e.to_string()))
}

/// The confirmation a server action asks first: its form posts `fields` again to
/// `/servers/{id}/{action}`, and "Cancel" goes back to the server's page. The caller
/// fills in the words (title, message, button) and whether the hostname must be typed.
fn ask_on(server: &Server, action: &str, fields: Vec<(String, String)>) -> Ask {
    Ask {
        action: format!("/servers/{}/{action}", server.id),
        fields,
        back: format!("/servers/{}", server.id),
        ..Ask::default()
    }
}

/// Queues a driver job through `op` (power, reinstall, rescue); `started` is the flash
/// once the controller has taken it.
fn start_job<F>(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    server: Reachable,
    started: String,
    op: F,
) -> Result<Acted<(JobId, String)>, AppError>
where
    F: FnOnce(&mut DbConn, &Actor, NewAuditEntry, &Reachable) -> Result<JobId, OpError>,
{
    let acted = operate_in(c, actor, client, server, Input::default(), op)?;
    Ok(acted.map(|job| (job, started)))
}

pub async fn power(visit: Visit, form: Form) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let form = form.into_inner();
    let (current, acted) =
        change_on_server(&visit, |m| m.power, move |c, actor, client, server| {
            let Some(action) = PowerAction::parse(&form.action) else {
                let mut input = Input::default();
                input.errors.add("action", "Choose power on, off or reset.");
                return invalid_in(c, actor, server, input);
            };
            if let Some(refused) = busy(&server) {
                return Ok(refused);
            }
            if action != PowerAction::On {
                let what = if action == PowerAction::Off {
                    "cuts the power like pulling the plug: running programs stop without shutting down and unsaved data is lost"
                } else {
                    "restarts it at once, without shutting down: running programs stop and unsaved data is lost"
                };
                let ask = Ask {
                    title: format!("{} {}?", power_verb(action), server.hostname),
                    message: format!("{} {} {what}.", power_verb(action), server.hostname),
                    button: power_verb(action).into(),
                    ..ask_on(&server, "power", vec![("action".into(), action.as_str().into())])
                };
                if let Err(asking) = ask.confirmed_by(&form.confirm) {
                    return Ok(Acted::Ask(asking));
                }
            }
            let started = format!("Power {} sent to {}.", action.as_str(), server.hostname);
            start_job(c, actor, client, server, started, move |c, actor, who, server| {
                servers_op::power_in(c, actor, who, server, action)
            })
        })
        .await?;
    answer_hardware(&current, state, acted).await
}

pub async fn rename(visit: Visit, form: Form) -> Result<HttpResponse, AppError> {
    let name = form.into_inner().name;
    let (current, acted) = change_on_server(
        &visit,
        |m| m.rename,
        move |c, actor, client, server| {
            let retyped = Input {
                name: Some(name.clone()),
                ..Input::default()
            };
            operate_in(
                c,
                actor,
                client,
                server,
                retyped,
                move |c, actor, who, server| servers_op::rename_in(c, actor, who, server, &name),
            )
        },
    )
    .await?;
    answer(&current, acted, |()| "Server renamed.".into())
}

pub async fn rdns(visit: Visit, form: Form) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ip = form.ip.trim().to_string();
    let address = ip.clone();
    let (current, acted) = change_on_server(
        &visit,
        |m| m.rdns,
        move |c, actor, client, server| {
            let ips = server_ip::of_server(c, server.id)?
                .into_iter()
                .any(|i| i.ip == address);
            if !ips {
                // An address of another server (or none) is not this page's to name.
                return Err(AppError::NotFound);
            }
            let retyped = Input {
                rdns_ip: address.clone(),
                rdns_hostname: form.hostname.clone(),
                ..Input::default()
            };
            let given = form.hostname;
            operate_in(
                c,
                actor,
                client,
                server,
                retyped,
                move |c, actor, who, server| {
                    servers_op::set_rdns_in(c, actor, who, server, &address, &given)
                },
            )
        },
    )
    .await?;
    answer(&current, acted, move |hostname| {
        format!("Reverse DNS of {ip} set to {hostname}.")
    })
}

pub async fn reinstall(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, acted) =
        change_on_server(&visit, |m| m.reinstall, move |c, actor, client, server| {
            // Read after the permission check, so a refused login learns nothing from it.
            let fields = pairs(&body)?;
            let keys = chosen_keys_in(c, actor, &fields)?;
            let retyped = Input {
                os: form::first(&fields, "os").to_string(),
                ..Input::default()
            };
            let os = match servers_op::chosen_os(&retyped.os) {
                Ok(os) => os,
                Err(OpError::Invalid(errors)) => {
                    let mut input = retyped;
                    input.errors = errors;
                    return invalid_in(c, actor, server, input);
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(refused) = busy(&server) {
                return Ok(refused);
            }
            let ask = Ask {
                title: format!("Reinstall {}?", server.hostname),
                message: format!(
                    "Reinstalling {} with {} wipes every disk of the server: its data cannot be recovered. Type its hostname to confirm.",
                    server.hostname, os.label
                ),
                button: "Wipe and reinstall".into(),
                typed: Some(server.hostname.clone()),
                ..ask_on(&server, "reinstall", resend(&fields))
            };
            if let Err(asking) = ask.confirmed_by(form::first(&fields, "confirm")) {
                return Ok(Acted::Ask(asking));
            }
            let started = format!("Reinstall of {} with {} started.", server.hostname, os.label);
            start_job(c, actor, client, server, started, move |c, actor, who, server| {
                servers_op::reinstall_in(c, actor, who, server, os, &keys)
            })
        })
        .await?;
    answer_hardware(&current, state, acted).await
}

/// The acting login's own SSH keys ticked in the form (`ssh_key`, repeated), to be put on
/// the server. Someone else's key id is as absent as a missing one (404); while
/// impersonating, keys are neither shown nor used (403).
fn chosen_keys_in(
    c: &mut DbConn,
    actor: &Actor,
    fields: &[(String, String)],
) -> Result<Vec<InstallKey>, AppError> {
    let mut ids = Vec::new();
    for raw in form::all(fields, "ssh_key") {
        let id = raw.trim().parse::<i32>().map_err(|_| AppError::NotFound)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    if !may_install_own_keys(actor) {
        return Err(AppError::Forbidden);
    }
    let own = ssh_key::list_for(c, actor.login.id)?;
    ids.iter()
        .map(|id| {
            own.iter()
                .find(|k| k.id == *id)
                .map(|k| InstallKey {
                    name: k.name.clone(),
                    public_key: k.public_key.clone(),
                    fingerprint: k.fingerprint.clone(),
                })
                .ok_or(AppError::NotFound)
        })
        .collect()
}

/// `action=exit` boots back into the installed OS; anything else boots the rescue system.
pub async fn rescue(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, acted) =
        change_on_server(&visit, |m| m.rescue, move |c, actor, client, server| {
            // Read after the permission check, so a refused login learns nothing from it.
            let fields = pairs(&body)?;
            let keys = chosen_keys_in(c, actor, &fields)?;
            if let Some(refused) = busy(&server) {
                return Ok(refused);
            }
            let enter = form::first(&fields, "action").trim() != "exit";
            if enter {
                let ask = Ask {
                    title: format!("Boot {} into the rescue system?", server.hostname),
                    message: format!(
                        "{} restarts into the rescue system, which gives root access to its disks without the OS password. Running programs stop.",
                        server.hostname
                    ),
                    button: "Boot rescue system".into(),
                    ..ask_on(&server, "rescue", resend(&fields))
                };
                if let Err(asking) = ask.confirmed_by(form::first(&fields, "confirm")) {
                    return Ok(Acted::Ask(asking));
                }
            }
            let started = if enter {
                format!("{} is booting the rescue system.", server.hostname)
            } else {
                format!("{} is booting its installed OS.", server.hostname)
            };
            start_job(c, actor, client, server, started, move |c, actor, who, server| {
                servers_op::rescue_in(c, actor, who, server, enter, &keys)
            })
        })
        .await?;
    answer_hardware(&current, state, acted).await
}
