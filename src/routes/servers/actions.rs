//! The actions on a server page: power, rename, rDNS, reinstall, rescue — the page's
//! door to `operations::servers`. Each loads the server through the login's reach (404
//! outside it) and checks the action's permission before reading its input (403, nothing
//! changed), asks for confirmation where the action destroys something, then lets the
//! operation validate (422, the page shown again with the input) and act, and answers 303.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail::{self, Input};
use super::reachable;
use crate::access::keys::may_install_own_keys;
use crate::access::servers::{server_actions, Reachable};
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
use crate::web::confirm::{confirmation, Ask};
use crate::web::form::{self, pairs};
use crate::web::{render, AppError, Current};
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

type Path = web::Path<String>;
type Form = web::Form<ActionForm>;

/// Loads the server and refuses (403) unless `allowed` says the login may.
async fn guarded(
    current: &Current,
    state: &AppState,
    path: &str,
    allowed: fn(&crate::access::servers::ServerActions) -> bool,
) -> Result<Reachable, AppError> {
    let server = reachable(&state.pool, &current.actor, path).await?;
    if !allowed(&server_actions(&current.actor, &server)) {
        return Err(AppError::Forbidden);
    }
    Ok(server)
}

/// Runs an operation on one pooled connection and answers as every action of the server
/// page does: 303 back to the page with `done`'s message; bad input shows the page again
/// with what was typed (`retyped`) and the messages; a running reinstall comes back as a
/// message; a refusal is 403.
async fn act<T, F>(
    current: &Current,
    state: &AppState,
    server: Reachable,
    retyped: Input,
    op: F,
    done: impl FnOnce(T) -> String,
) -> Result<HttpResponse, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Actor, NewAuditEntry, &Reachable) -> Result<T, OpError>
        + Send
        + 'static,
{
    let id = server.id;
    match operate(current, state, server, retyped, op).await? {
        Ok(v) => current.flash("success", done(v)),
        Err(answer) => return answer,
    }
    Ok(render::see_other(&format!("/servers/{id}")))
}

/// `act` for the actions the controller carries out (power, reinstall, rescue): the
/// operation queues the job, and the answer waits a moment (`driver_wait`) for the
/// controller's, so a quick one's result is in the flash; a slow one's is shown as
/// progress on the server page. `asked` is the flash of an accepted call.
async fn act_on_hardware<F>(
    current: &Current,
    state: &AppState,
    server: Reachable,
    op: F,
    asked: String,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut DbConn, &Actor, NewAuditEntry, &Reachable) -> Result<JobId, OpError>
        + Send
        + 'static,
{
    let id = server.id;
    let job = match operate(current, state, server, Input::default(), op).await? {
        Ok(job) => job,
        Err(answer) => return answer,
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

/// Runs the operation; an `Err` is the answer already decided (the form again with its
/// messages, a flash about a running reinstall, a refusal).
async fn operate<T, F>(
    current: &Current,
    state: &AppState,
    server: Reachable,
    retyped: Input,
    op: F,
) -> Result<Result<T, Result<HttpResponse, AppError>>, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Actor, NewAuditEntry, &Reachable) -> Result<T, OpError>
        + Send
        + 'static,
{
    // The operation names the action and the server's account; the door adds who and from where.
    let who = current.audit(current.actor.account_id(), "");
    let actor = current.actor.clone();
    let target = server.clone();
    let result = state.db(move |c| Ok(op(c, &actor, who, &target))).await?;
    let id = server.id;
    Ok(match result {
        Ok(v) => Ok(v),
        Err(OpError::Invalid(errors)) => {
            let mut input = retyped;
            input.errors = errors;
            Err(invalid(current, state, server, input).await)
        }
        Err(OpError::Busy(m)) => {
            current.flash("error", m);
            Err(Ok(render::see_other(&format!("/servers/{id}"))))
        }
        Err(OpError::Forbidden(_)) => Err(Err(AppError::Forbidden)),
        Err(e) => Err(Err(e.into())),
    })
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
fn busy(current: &Current, server: &Server) -> Option<HttpResponse> {
    servers_op::busy(server).err().map(|e| {
        current.flash("error", e.to_string());
        render::see_other(&format!("/servers/{}", server.id))
    })
}

async fn invalid(
    current: &Current,
    state: &AppState,
    server: Reachable,
    input: Input,
) -> Result<HttpResponse, AppError> {
    render::invalid(&detail::build(current, state, server, input).await?)
}

pub async fn power(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.power).await?;
    let Some(action) = PowerAction::parse(&form.action) else {
        let mut input = Input::default();
        input.errors.add("action", "Choose power on, off or reset.");
        return invalid(&current, &state, server, input).await;
    };
    if let Some(res) = busy(&current, &server) {
        return Ok(res);
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
            action: format!("/servers/{}/power", server.id),
            fields: vec![("action".into(), action.as_str().into())],
            button: power_verb(action).into(),
            back: format!("/servers/{}", server.id),
            typed: None,
        };
        if let Some(res) = confirmation(&current, "servers", &form.confirm, ask) {
            return res;
        }
    }
    let asked = format!("Power {} sent to {}.", action.as_str(), server.hostname);
    act_on_hardware(
        &current,
        &state,
        server,
        move |c, actor, who, server| servers_op::power(c, actor, who, server, action),
        asked,
    )
    .await
}

pub async fn rename(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.rename).await?;
    let name = form.into_inner().name;
    let retyped = Input {
        name: Some(name.clone()),
        ..Input::default()
    };
    act(
        &current,
        &state,
        server,
        retyped,
        move |c, actor, who, server| servers_op::rename(c, actor, who, server, &name),
        |()| "Server renamed.".into(),
    )
    .await
}

pub async fn rdns(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.rdns).await?;
    let form = form.into_inner();
    let id = server.id;
    let ip = form.ip.trim().to_string();
    let ips = {
        let ip = ip.clone();
        state
            .db(move |c| Ok(server_ip::of_server(c, id)?))
            .await?
            .into_iter()
            .any(|i| i.ip == ip)
    };
    if !ips {
        // An address of another server (or none) is not this page's to name.
        return Err(AppError::NotFound);
    }
    let retyped = Input {
        rdns_ip: ip.clone(),
        rdns_hostname: form.hostname.clone(),
        ..Input::default()
    };
    let (given, address) = (form.hostname, ip.clone());
    act(
        &current,
        &state,
        server,
        retyped,
        move |c, actor, who, server| servers_op::set_rdns(c, actor, who, server, &address, &given),
        move |hostname| format!("Reverse DNS of {ip} set to {hostname}."),
    )
    .await
}

pub async fn reinstall(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.reinstall).await?;
    let fields = pairs(&body)?;
    let keys = chosen_keys(&current, &state, &fields).await?;
    let retyped = Input {
        os: form::first(&fields, "os").to_string(),
        ..Input::default()
    };
    let os = match servers_op::chosen_os(&retyped.os) {
        Ok(os) => os,
        Err(OpError::Invalid(errors)) => {
            let mut input = retyped;
            input.errors = errors;
            return invalid(&current, &state, server, input).await;
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(res) = busy(&current, &server) {
        return Ok(res);
    }
    let ask = Ask {
        title: format!("Reinstall {}?", server.hostname),
        message: format!(
            "Reinstalling {} with {} wipes every disk of the server: its data cannot be recovered. Type its hostname to confirm.",
            server.hostname, os.label
        ),
        action: format!("/servers/{}/reinstall", server.id),
        fields: resend(&fields),
        button: "Wipe and reinstall".into(),
        back: format!("/servers/{}", server.id),
        typed: Some(server.hostname.clone()),
    };
    if let Some(res) = confirmation(&current, "servers", form::first(&fields, "confirm"), ask) {
        return res;
    }
    let asked = format!(
        "Reinstall of {} with {} started.",
        server.hostname, os.label
    );
    act_on_hardware(
        &current,
        &state,
        server,
        move |c, actor, who, server| servers_op::reinstall(c, actor, who, server, os, &keys),
        asked,
    )
    .await
}

/// The acting login's own SSH keys ticked in the form (`ssh_key`, repeated), to be put on
/// the server. Someone else's key id is as absent as a missing one (404); while
/// impersonating, keys are neither shown nor used (403).
async fn chosen_keys(
    current: &Current,
    state: &AppState,
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
    if !may_install_own_keys(&current.actor) {
        return Err(AppError::Forbidden);
    }
    let login = current.actor.login.id;
    let own = state.db(move |c| Ok(ssh_key::list_for(c, login)?)).await?;
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
pub async fn rescue(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.rescue).await?;
    let fields = pairs(&body)?;
    let keys = chosen_keys(&current, &state, &fields).await?;
    if let Some(res) = busy(&current, &server) {
        return Ok(res);
    }
    let enter = form::first(&fields, "action").trim() != "exit";
    if enter {
        let ask = Ask {
            title: format!("Boot {} into the rescue system?", server.hostname),
            message: format!(
                "{} restarts into the rescue system, which gives root access to its disks without the OS password. Running programs stop.",
                server.hostname
            ),
            action: format!("/servers/{}/rescue", server.id),
            fields: resend(&fields),
            button: "Boot rescue system".into(),
            back: format!("/servers/{}", server.id),
            typed: None,
        };
        if let Some(res) = confirmation(&current, "servers", form::first(&fields, "confirm"), ask) {
            return res;
        }
    }
    let asked = if enter {
        format!("{} is booting the rescue system.", server.hostname)
    } else {
        format!("{} is booting its installed OS.", server.hostname)
    };
    act_on_hardware(
        &current,
        &state,
        server,
        move |c, actor, who, server| servers_op::rescue(c, actor, who, server, enter, &keys),
        asked,
    )
    .await
}
