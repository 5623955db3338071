//! GET /servers/{sid}: a server the login reaches, with the sections and buttons its
//! permissions allow (a button it may not use is not drawn; the handlers check again).
//! Viewing the page first lets the driver report finished jobs (see driver::builtin).
//! While a reinstall runs, or a job waits for the controller's answer, the page asks for
//! its progress every 2 seconds (htmx, `?progress=1`): the answer is the progress box while
//! it lasts, and `HX-Refresh` once it ended, so the whole page shows the new state.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::chart::{self, TrafficChart};
use super::reachable_in;
use crate::access::keys::may_install_own_keys;
use crate::access::servers::{assigner, server_actions, Assigner, Reachable, ServerActions};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::domain::{OsChoice, OS_CHOICES};
use crate::driver::{self, builtin::REINSTALL_SECONDS, ConsoleTarget};
use crate::models::server::{self, Server};
use crate::models::server_ip::{self, ServerIp};
use crate::models::server_job::{self, ServerJob};
use crate::models::server_traffic;
use crate::models::user::User;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Form input shown again after a 422 on one of the page's forms.
#[derive(Debug, Default)]
pub struct Input {
    pub errors: FieldErrors,
    pub name: Option<String>,
    pub rdns_ip: String,
    pub rdns_hostname: String,
    pub os: String,
    pub user_id: String,
}

#[derive(Template)]
#[template(path = "servers/detail.html")]
pub struct DetailPage {
    pub chrome: Option<Chrome>,
    pub server: Server,
    pub may: ServerActions,
    pub os_label: String,
    pub ips: Vec<ServerIp>,
    pub jobs: Vec<ServerJob>,
    pub chart: Option<TrafficChart>,
    pub reseller: Option<User>,
    pub owner: Option<User>,
    pub owner_choices: Vec<Choice>,
    pub os_choices: Vec<Choice>,
    pub console: Option<ConsoleTarget>,
    pub name: String,
    pub input: Input,
    /// The acting login's SSH keys, offered to a reinstall or the rescue system (none
    /// while impersonating: keys are neither seen nor used then).
    pub ssh_keys: Vec<crate::models::ssh_key::SshKey>,
    /// The running reinstall, if any.
    pub progress: Option<Progress>,
}

/// How far a running reinstall is, or which jobs wait for the controller, for the box
/// that polls for it.
pub struct Progress {
    pub server_id: i32,
    /// Jobs queued or being called, oldest first: "power off (queued)".
    pub waiting: Vec<String>,
    /// Whether a reinstall runs on the hardware, and how far it is.
    pub reinstalling: bool,
    pub elapsed: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "servers/_progress.html")]
pub struct ProgressFragment {
    pub progress: Progress,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    progress: Option<String>,
}

impl DetailPage {
    pub fn busy(&self) -> bool {
        self.server.status == "reinstalling"
    }
    /// The rDNS value to show in the form of `ip` (the submitted one after a 422).
    pub fn rdns_value(&self, ip: &ServerIp) -> String {
        if self.input.rdns_ip == ip.ip {
            self.input.rdns_hostname.clone()
        } else {
            ip.rdns.clone()
        }
    }
    pub fn rdns_error(&self, ip: &ServerIp) -> Option<&str> {
        (self.input.rdns_ip == ip.ip)
            .then(|| self.input.errors.get("hostname"))
            .flatten()
    }
}

pub async fn page(
    req: HttpRequest,
    visit: Visit,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let sid = visit.param("sid");
    let (current, step) = visit
        .read(move |c, actor| {
            let server = reachable_in(c, actor, &sid)?;
            let may = server_actions(actor, &server);
            if !may.view {
                return Err(AppError::Forbidden);
            }
            // Finished jobs are a write, which the read snapshot cannot make: the rare
            // view that finds one records it in a hand-off of its own (`build`).
            if driver::for_server(&server).due(c, &server)? {
                return Ok(Step::Refresh(server));
            }
            Ok(Step::Shown(read(c, actor, may, server.into_inner())?))
        })
        .await?;
    let page = match step {
        Step::Shown(found) => assemble(&current, found, Input::default()),
        Step::Refresh(server) => build(&current, state, server, Input::default()).await?,
    };
    if query.progress.is_some() && req.headers().contains_key("HX-Request") {
        return Ok(match page.progress {
            Some(progress) => render::page(&ProgressFragment { progress })?,
            // Done: htmx reloads the page, which shows the new system and buttons.
            None => HttpResponse::Ok()
                .insert_header(("HX-Refresh", "true"))
                .finish(),
        });
    }
    render::page(&page)
}

/// What a page view found: the page's rows, or a driver with something to record first.
enum Step {
    Shown(Found),
    Refresh(Reachable),
}

/// The page's rows, read for `server` as it is now.
pub struct Found {
    may: ServerActions,
    today: chrono::NaiveDate,
    server: Server,
    ips: Vec<ServerIp>,
    jobs: Vec<ServerJob>,
    traffic: Option<Vec<server_traffic::TrafficDay>>,
    owner_chain: Vec<User>,
    choices: Vec<User>,
    ssh_keys: Vec<crate::models::ssh_key::SshKey>,
}

/// Builds the page for a view that found the driver due: the driver records what it has
/// (a write of its own), then the same reads as a page view, in one hand-off. A POST of
/// the page refused with 422 reads the same in its own transaction (`again_in`).
pub async fn build(
    current: &Current,
    state: &AppState,
    server: Reachable,
    input: Input,
) -> Result<DetailPage, AppError> {
    let may = server_actions(&current.actor, &server);
    let actor = current.actor.clone();
    let server = server.into_inner();
    let found = db::run(&state.pool, move |c| {
        let server = db::transaction(c, |c| refreshed(c, server))?;
        read(c, &actor, may, server)
    })
    .await?;
    Ok(assemble(current, found, input))
}

/// `build`'s reads on a connection whose write transaction the caller holds (a form of the
/// page refused in its POST's own hand-off): the driver records what it has, then the
/// page's rows. The page is `again`.
pub fn again_in(c: &mut DbConn, actor: &Actor, server: Reachable) -> Result<Found, AppError> {
    let may = server_actions(actor, &server);
    let server = refreshed(c, server.into_inner())?;
    read(c, actor, may, server)
}

/// The page from `again_in`'s rows, with the refused form's input and messages.
pub fn again(current: &Current, found: Found, input: Input) -> DetailPage {
    assemble(current, found, input)
}

/// `server` after its driver recorded what it has (finished jobs), inside a transaction.
fn refreshed(c: &mut DbConn, server: Server) -> Result<Server, AppError> {
    let ctl = driver::for_server(&server);
    Ok(if ctl.refresh(c, &server)? {
        Server::find(c, server.id)?.unwrap_or(server)
    } else {
        server
    })
}

/// Everything the page shows about `server`, for what `may` allows.
fn read(
    c: &mut DbConn,
    actor: &Actor,
    may: ServerActions,
    server: Server,
) -> Result<Found, AppError> {
    let choices_within = match assigner(actor) {
        Some(Assigner::Admin) => Some(None),
        Some(Assigner::Reseller(r)) => Some(Some(r)),
        None => None,
    }
    .filter(|_| may.assign);
    let today = crate::models::now().date();
    let wants_keys = (may.reinstall || may.rescue) && may_install_own_keys(actor);
    let ips = server_ip::of_server(c, server.id)?;
    let jobs = server_job::recent(c, server.id, 8)?;
    let traffic = if may.traffic {
        let since = today - chrono::Duration::days(chart::DAYS - 1);
        Some(server_traffic::since(c, server.id, since)?)
    } else {
        None
    };
    let owner_chain: Vec<i32> = server
        .reseller_id
        .into_iter()
        .chain(server.owner_id)
        .collect();
    let owner_chain = User::find_many(c, &owner_chain)?;
    let choices = match choices_within {
        Some(within) => server::account_choices(c, within)?,
        None => Vec::new(),
    };
    let ssh_keys = if wants_keys {
        crate::models::ssh_key::list_for(c, actor.login.id)?
    } else {
        Vec::new()
    };
    Ok(Found {
        may,
        today,
        server,
        ips,
        jobs,
        traffic,
        owner_chain,
        choices,
        ssh_keys,
    })
}

fn assemble(current: &Current, found: Found, input: Input) -> DetailPage {
    let Found {
        may,
        today,
        server,
        ips,
        jobs,
        traffic,
        owner_chain,
        choices,
        ssh_keys,
    } = found;
    let find = |id: Option<i32>| id.and_then(|i| owner_chain.iter().find(|u| u.id == i).cloned());
    let current_owner = server.owner_id.or(server.reseller_id);
    let picked = if input.user_id.is_empty() {
        current_owner.map(|i| i.to_string()).unwrap_or_default()
    } else {
        input.user_id.clone()
    };
    let owner_choices = choices
        .into_iter()
        .map(|u| Choice {
            selected: picked == u.id.to_string(),
            label: format!("{} ({})", u.username, u.kind().label()),
            value: u.id.to_string(),
        })
        .collect();
    let os_choices = OS_CHOICES
        .iter()
        .map(|(key, label)| Choice {
            value: key.to_string(),
            label: label.to_string(),
            selected: if input.os.is_empty() {
                *key == server.os
            } else {
                *key == input.os
            },
        })
        .collect();
    let waiting: Vec<String> = jobs
        .iter()
        .rev()
        .filter(|j| j.pending())
        .map(|j| {
            let state = if j.status == server_job::CALLING {
                "the controller is being asked"
            } else {
                "queued"
            };
            format!("{} {} ({state})", j.kind, j.detail)
        })
        .collect();
    let reinstalling = server.status == "reinstalling";
    let progress = (reinstalling || !waiting.is_empty()).then(|| {
        let started = jobs
            .iter()
            .filter(|j| j.kind == "reinstall" && j.status == server_job::RUNNING)
            .map(|j| j.created_at)
            .max()
            .unwrap_or(server.updated_at);
        Progress {
            server_id: server.id,
            waiting,
            reinstalling,
            elapsed: (crate::models::now() - started)
                .num_seconds()
                .clamp(0, REINSTALL_SECONDS),
            total: REINSTALL_SECONDS,
        }
    });
    DetailPage {
        progress,
        chrome: Some(current.chrome("servers")),
        may,
        os_label: OsChoice::label_of(&server.os).to_string(),
        chart: traffic.map(|t| chart::build(&t, today)),
        reseller: find(server.reseller_id),
        owner: find(server.owner_id),
        owner_choices,
        os_choices,
        console: may
            .console
            .then(|| driver::for_server(&server).console(&server)),
        ssh_keys,
        name: input.name.clone().unwrap_or_else(|| server.name.clone()),
        ips,
        jobs,
        server,
        input,
    }
}
