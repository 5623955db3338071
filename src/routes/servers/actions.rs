//! The actions on a server page: power, rename, rDNS, reinstall, rescue. Each loads the
//! server through the login's reach (404 outside it), checks the action's permission
//! (403, nothing changed), validates (422, the page shown again with the input), then
//! asks the driver and writes the audit entry in one transaction and answers 303.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail::{self, Input};
use super::{audit_account, reachable, requester};
use crate::access::keys::may_install_own_keys;
use crate::access::servers::{server_actions, Reachable};
use crate::db::{self, DbError};
use crate::domain::{DnsName, OsChoice, ShortText};
use crate::driver::{self, InstallKey, PowerAction};
use crate::models::audit::NewAuditEntry;
use crate::models::server::Server;
use crate::models::server_ip;
use crate::models::ssh_key;
use crate::operations::servers as servers_op;
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

/// Runs the change and its audit entry in one transaction, then 303 to the server page.
async fn commit<F>(
    current: &Current,
    state: &AppState,
    server: &Server,
    audit: NewAuditEntry,
    flash: String,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<(), DbError> + Send + 'static,
{
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            change(c)?;
            audit.insert(c)?;
            Ok::<_, DbError>(())
        })
    })
    .await?;
    current.flash("success", flash);
    Ok(render::see_other(&format!("/servers/{}", server.id)))
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

/// A driver action asked while a reinstall runs is refused with a message, not queued.
fn busy(current: &Current, server: &Server) -> Option<HttpResponse> {
    (server.status == "reinstalling").then(|| {
        current.flash(
            "error",
            format!(
                "{} is being reinstalled; try again when it is done.",
                server.hostname
            ),
        );
        render::see_other(&format!("/servers/{}", server.id))
    })
}

fn entry(current: &Current, server: &Server, action: &str) -> NewAuditEntry {
    current
        .audit(audit_account(&current.actor, server), action)
        .target(format!("server {}", server.hostname))
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
    let who = current.audit(current.actor.account_id(), "server.power");
    let actor = current.actor.clone();
    let hostname = server.hostname.clone();
    let id = server.id;
    let done = db::run(&state.pool, move |c| {
        Ok::<_, DbError>(servers_op::power(c, &actor, who, &server, action))
    })
    .await?;
    match done {
        Ok(_) => current.flash(
            "success",
            format!("Power {} sent to {hostname}.", action.as_str()),
        ),
        Err(OpError::Forbidden(_)) => return Err(AppError::Forbidden),
        Err(OpError::Busy(m)) => current.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(render::see_other(&format!("/servers/{id}")))
}

pub async fn rename(
    current: Current,
    state: web::Data<AppState>,
    path: Path,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let server = guarded(&current, &state, &path, |m| m.rename).await?;
    let form = form.into_inner();
    let name = match ShortText::parse(&form.name, 100, true) {
        Ok(n) => n,
        Err(m) => {
            let mut input = Input {
                name: Some(form.name),
                ..Input::default()
            };
            input.errors.add("name", m);
            return invalid(&current, &state, server, input).await;
        }
    };
    let audit = entry(&current, &server, "server.rename").details(format!(
        "{} → {}",
        server.name,
        name.as_str()
    ));
    let id = server.id;
    commit(
        &current,
        &state,
        &server,
        audit,
        "Server renamed.".into(),
        move |c| {
            Server::rename(c, id, name.as_str())?;
            Ok(())
        },
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
        db::run(&state.pool, move |c| {
            server_ip::of_server(c, id).map_err(DbError::from)
        })
        .await?
        .into_iter()
        .any(|i| i.ip == ip)
    };
    if !ips {
        // An address of another server (or none) is not this page's to name.
        return Err(AppError::NotFound);
    }
    let hostname = match DnsName::parse(&form.hostname) {
        Ok(h) => h,
        Err(m) => {
            let mut input = Input {
                rdns_ip: ip,
                rdns_hostname: form.hostname,
                ..Input::default()
            };
            input.errors.add("hostname", m);
            return invalid(&current, &state, server, input).await;
        }
    };
    let audit =
        entry(&current, &server, "server.rdns").details(format!("{ip} → {}", hostname.as_str()));
    let flash = format!("Reverse DNS of {ip} set to {}.", hostname.as_str());
    commit(&current, &state, &server, audit, flash, move |c| {
        server_ip::set_rdns(c, id, &ip, hostname.as_str())?;
        Ok(())
    })
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
    let os = match OsChoice::parse(form::first(&fields, "os")) {
        Ok(os) => os,
        Err(m) => {
            let mut input = Input {
                os: form::first(&fields, "os").to_string(),
                ..Input::default()
            };
            input.errors.add("os", m);
            return invalid(&current, &state, server, input).await;
        }
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
    let audit =
        entry(&current, &server, "server.reinstall").details(driver::describe_keys(os.key, &keys));
    let by = requester(&current.actor);
    let s = server.clone().into_inner();
    let flash = format!(
        "Reinstall of {} with {} started.",
        server.hostname, os.label
    );
    commit(&current, &state, &server, audit, flash, move |c| {
        driver::for_server(&s).reinstall(c, &s, os, &keys, &by)?;
        Ok(())
    })
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
    let own = db::run(&state.pool, move |c| {
        ssh_key::list_for(c, login).map_err(DbError::from)
    })
    .await?;
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
    let (action, flash) = if enter {
        (
            "server.rescue",
            format!("{} is booting the rescue system.", server.hostname),
        )
    } else {
        (
            "server.rescue_exit",
            format!("{} is booting its installed OS.", server.hostname),
        )
    };
    let audit = entry(&current, &server, action)
        .details(driver::describe_keys("", &keys).trim_start_matches("; "));
    let by = requester(&current.actor);
    let s = server.clone().into_inner();
    commit(&current, &state, &server, audit, flash, move |c| {
        driver::for_server(&s).rescue(c, &s, enter, &keys, &by)?;
        Ok(())
    })
    .await
}
