//! The Assign Servers dialog: GET lists the account's servers that the manager reaches
//! (search by hostname, IP or tag; pages of 50) with each one's assignment; POST takes
//! `action=assign|unassign|all|assigned|none` and `server_id` repeated. "All servers" is a
//! setting beside the assigned list: `all` turns it on, `assigned` turns it off and keeps
//! the list, and only `none` clears both (it asks first: `confirm=yes`). Every query is
//! sized by the page, so it stays fast with 10,000 servers on the account. The change
//! itself is `operations::aliases::change_servers_in`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{acted_on_in, alias_url, change_on_alias, Target};
use crate::access::aliases::{assignable_reach, reaches_all_of_account};
use crate::db::deadline;
use crate::models::alias;
use crate::models::server::Server;
use crate::operations::aliases::{self, ServerAction};
use crate::operations::OpError;
use crate::web::chrome::{Chrome, Flash};
use crate::web::confirm::{Ask, Asking};
use crate::web::current::audit_entry;
use crate::web::form::{self, pairs};
use crate::web::pagination::{encode, ListQuery, Pager};
use crate::web::{render, AppError, Visit};

pub const PER_PAGE: i64 = 50;

fn servers_url(t: &Target) -> String {
    format!("{}/servers", alias_url(t.account.id, t.alias.id))
}

pub struct ServerRow {
    pub server: Server,
    pub assigned: bool,
}

/// What the dialog shows.
pub struct AssignView {
    pub t: Target,
    pub rows: Vec<ServerRow>,
    pub q: String,
    pub page: i64,
    pub pager: Pager,
    pub may_grant_all: bool,
    pub self_url: String,
    /// The outcome of the last change, shown inside the dialog (htmx swaps only the
    /// dialog's content, so a message in the page's banner would never be seen).
    pub flash: Option<Flash>,
}

/// The dialog as a page of its own (the no-script path).
#[derive(Template)]
#[template(path = "alias_users/servers.html")]
pub struct ServersPage {
    pub chrome: Option<Chrome>,
    pub v: AssignView,
}

/// The dialog's content, loaded into the Alias Users tab by htmx.
#[derive(Template)]
#[template(path = "alias_users/servers_fragment.html")]
pub struct ServersFragment {
    pub chrome: Option<Chrome>,
    pub v: AssignView,
}

pub async fn page(
    req: HttpRequest,
    visit: Visit,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let (q, page_no, query_q) = (query.q.clone(), query.page(), query.q.clone());
    let limit = state.pool.search_deadline();
    let (current, (t, rows, pager, assigned)) = visit
        .read(move |c, actor| {
            let t = acted_on_in(c, actor, &id, &aid)?;
            let reach = assignable_reach(actor, &t.account);
            let self_url = servers_url(&t);
            // Without a search the page shows the exact count (an index range); a
            // substring search is not counted, so its cost follows the page and not the
            // account's size, and it has a statement deadline: past it, 503 "narrow it".
            let work = |c: &mut crate::db::DbConn| {
                let (rows, pager) = if q.trim().is_empty() {
                    let page = Server::list_within(c, &reach, &q, page_no, PER_PAGE)?;
                    let pager =
                        Pager::new(&self_url, &query_q, page.page, page.pages(), page.total);
                    (page.rows, pager)
                } else {
                    let (rows, more) = Server::search_within(c, &reach, &q, page_no, PER_PAGE)?;
                    (rows, Pager::open_ended(&self_url, &query_q, page_no, more))
                };
                let ids: Vec<i32> = rows.iter().map(|s| s.id).collect();
                let assigned = alias::assigned_among(c, t.alias.id, &ids)?;
                Ok((rows, pager, assigned))
            };
            let (rows, pager, assigned) = if q.trim().is_empty() {
                work(c)?
            } else {
                deadline::bounded_in_transaction(c, limit, work)?
            };
            Ok((t, rows, pager, assigned))
        })
        .await?;
    let self_url = servers_url(&t);
    let rows = rows
        .into_iter()
        .map(|s| ServerRow {
            assigned: assigned.contains(&s.id),
            server: s,
        })
        .collect();
    let mut chrome = current.chrome("users");
    let v = AssignView {
        flash: chrome.flash.take(),
        rows,
        q: query.q.clone(),
        page: pager.page,
        pager,
        may_grant_all: reaches_all_of_account(&current.actor),
        self_url,
        t,
    };
    let chrome = Some(chrome);
    if req.headers().contains_key("HX-Request") {
        render::page(&ServersFragment { chrome, v })
    } else {
        render::page(&ServersPage { chrome, v })
    }
}

/// POST: one action of the dialog, through `operations::aliases::change_servers_in` (the
/// operation behind `PUT /api/v1/alias-users/{aid}/servers` too). This door reads the
/// form, asks before `none`, and comes back to the dialog with the outcome. The session,
/// the target and the change are one hand-off and one transaction (`Visit::change`).
pub async fn submit(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let fields = pairs(&body)?;
    let confirm = form::first(&fields, "confirm").to_owned();
    let client = visit.client();
    let (current, outcome) = change_on_alias(&visit, move |c, actor, t| {
        let ids = server_ids(&fields)?;
        let back = back_url(&t, &fields);
        let Some(action) = ServerAction::parse(form::first(&fields, "action")) else {
            return Err(AppError::BadRequest(
                "Choose assign, unassign, all, assigned or none.".into(),
            ));
        };
        if action == ServerAction::None {
            let ask = ask_none(&t, &back);
            if let Err(asking) = ask.confirmed_by(&confirm) {
                return Ok(Outcome::Ask(asking));
            }
        }
        let who = audit_entry(
            actor,
            &client,
            t.account.id,
            &format!("alias.servers.{}", action.key()),
        );
        let n = ids.len();
        match aliases::change_servers_in(c, actor, who, &t, action, ids) {
            Ok(()) => Ok(Outcome::Done(done_message(&t, action, n), back)),
            // Assign or unassign with nothing ticked: said in the dialog, nothing
            // changed.
            Err(OpError::Invalid(errors)) => Ok(Outcome::Refused(
                errors.messages().next().unwrap_or_default().to_string(),
                back,
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        Outcome::Ask(asking) => asking.page(&current, "users"),
        Outcome::Refused(message, back) => {
            current.flash("error", message);
            Ok(render::see_other(&back))
        }
        Outcome::Done(message, back) => {
            current.flash("success", message);
            Ok(render::see_other(&back))
        }
    }
}

/// What the POST did: asked first, refused with a message, or changed the servers.
enum Outcome {
    Ask(Asking),
    Refused(String, String),
    Done(String, String),
}

/// The ticked servers, each once; anything that is not a number is 400.
fn server_ids(fields: &[(String, String)]) -> Result<Vec<i32>, AppError> {
    let mut ids: Vec<i32> = Vec::new();
    for raw in form::all(fields, "server_id") {
        let id = raw
            .trim()
            .parse::<i32>()
            .map_err(|_| AppError::BadRequest("Server ids are numbers.".into()))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The dialog's page and search the POST came from, to return to.
fn back_url(t: &Target, fields: &[(String, String)]) -> String {
    let (q, page) = (form::first(fields, "q"), form::first(fields, "page"));
    let mut url = format!(
        "{}?page={}",
        servers_url(t),
        page.parse::<i64>().unwrap_or(1).max(1)
    );
    if !q.trim().is_empty() {
        url.push_str("&q=");
        url.push_str(&encode(q.trim()));
    }
    url
}

fn ask_none(t: &Target, back: &str) -> Ask {
    Ask {
        title: format!("Remove every server from {}?", t.alias.username),
        message: format!(
            "{} loses “all servers” and every assigned server: it reaches no server until you assign some again. The list cannot be restored.",
            t.alias.username
        ),
        action: servers_url(t),
        fields: vec![("action".into(), "none".into())],
        button: "Remove every server".into(),
        back: back.to_owned(),
        ..Ask::default()
    }
}

fn done_message(t: &Target, action: ServerAction, n: usize) -> String {
    let name = &t.alias.username;
    let plural = if n == 1 { "" } else { "s" };
    match action {
        ServerAction::Assign => format!("{n} server{plural} assigned to {name}."),
        ServerAction::Unassign => format!("{n} server{plural} unassigned from {name}."),
        ServerAction::All => format!("{name} now reaches all servers of this account."),
        ServerAction::Assigned => format!(
            "“All servers” is off: {name} reaches only its assigned servers, which are kept."
        ),
        ServerAction::None => format!("{name} now reaches no servers."),
    }
}
