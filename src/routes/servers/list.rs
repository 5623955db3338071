//! GET /servers: the servers the login reaches (its reach, from the access module), with
//! search by hostname, name, IP or tag, and pages of 50. Admins also get the "+ Add
//! server" dialog (opened by `?add=1` without script, or shown again with errors on 422).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::form::ServerForm;
use crate::access::servers::{may_manage_inventory, may_view_servers, sees_owner_chains};
use crate::access::Actor;
use crate::db::{deadline, DbError};
use crate::models::server::Server;
use crate::models::user::User;
use crate::models::Page;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current, Visit};

pub const PER_PAGE: i64 = 50;

pub struct Row {
    pub server: Server,
    /// Its owner chain ("reseller → customer"), shown to logins that hand servers out.
    pub owner_chain: String,
}

#[derive(Template)]
#[template(path = "servers/list.html")]
pub struct ListPage {
    pub chrome: Option<Chrome>,
    pub rows: Vec<Row>,
    pub q: String,
    pub pager: Pager,
    pub show_owner_chain: bool,
    pub can_add: bool,
    pub form: ServerForm,
    pub errors: FieldErrors,
    pub open_dialog: bool,
    /// For an alias user: the account owner to ask for servers (its list may be empty
    /// only because none are assigned yet).
    pub ask_owner: Option<String>,
}

pub async fn page(visit: Visit, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (q, page_no) = (query.q.clone(), query.page());
    let limit = state.pool.search_deadline();
    let (current, found) = visit
        .read(move |c, actor| read(c, actor, &q, page_no, limit))
        .await?;
    let page = assemble(
        &current,
        &query,
        found,
        ServerForm::default(),
        FieldErrors::default(),
    );
    render::page(&page)
}

/// One page of the servers `actor` reaches, and the names on their owner chains. Runs
/// inside a read snapshot; a search has a statement deadline: past it, 503 "narrow it",
/// not a held connection.
fn read(
    c: &mut crate::db::DbConn,
    actor: &Actor,
    q: &str,
    page_no: i64,
    limit: std::time::Duration,
) -> Result<Found, AppError> {
    if !may_view_servers(actor) {
        return Err(AppError::Forbidden);
    }
    let work = |c: &mut crate::db::DbConn| {
        let page = Server::list_within(c, &actor.reach, q, page_no, PER_PAGE)?;
        let names = owner_chain_names(c, &page.rows)?;
        Ok((page, names))
    };
    Ok(if q.trim().is_empty() {
        work(c)?
    } else {
        deadline::bounded_in_transaction(c, limit, work)?
    })
}

pub type Found = (Page<Server>, HashMap<i32, String>);

/// The names on the owner chains of a page of servers, in one query.
pub fn owner_chain_names(
    c: &mut crate::db::DbConn,
    servers: &[Server],
) -> Result<HashMap<i32, String>, DbError> {
    let ids: Vec<i32> = servers
        .iter()
        .flat_map(|s| s.reseller_id.into_iter().chain(s.owner_id))
        .collect();
    Ok(User::find_many(c, &ids)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

pub fn owner_chain_label(s: &Server, names: &HashMap<i32, String>) -> String {
    let name = |id: Option<i32>| id.and_then(|i| names.get(&i).cloned());
    match (name(s.reseller_id), name(s.owner_id)) {
        (Some(r), Some(o)) => format!("{r} → {o}"),
        (Some(r), None) => r,
        (None, Some(o)) => o,
        (None, None) => String::new(),
    }
}

/// The first page of the list with the add dialog shown again with its errors (a 422 of
/// POST /servers), from rows read in that POST's own transaction (`first_page_in`).
pub fn again(current: &Current, found: Found, form: ServerForm, errors: FieldErrors) -> ListPage {
    assemble(current, &ListQuery::default(), found, form, errors)
}

/// `read` for the first page without a search (no deadline: it is an index range), on a
/// connection the caller holds.
pub fn first_page_in(c: &mut crate::db::DbConn, actor: &Actor) -> Result<Found, AppError> {
    let query = ListQuery::default();
    read(c, actor, &query.q, query.page(), std::time::Duration::ZERO)
}

fn assemble(
    current: &Current,
    query: &ListQuery,
    (page, names): Found,
    form: ServerForm,
    errors: FieldErrors,
) -> ListPage {
    let pager = Pager::new("/servers", &query.q, page.page, page.pages(), page.total);
    let rows = page
        .rows
        .into_iter()
        .map(|s| Row {
            owner_chain: owner_chain_label(&s, &names),
            server: s,
        })
        .collect();
    let can_add = may_manage_inventory(&current.actor);
    ListPage {
        chrome: Some(current.chrome("servers")),
        ask_owner: current.actor.parent.as_ref().map(|p| {
            if p.name.is_empty() {
                p.username.clone()
            } else {
                p.name.clone()
            }
        }),
        rows,
        q: query.q.clone(),
        pager,
        show_owner_chain: sees_owner_chains(&current.actor),
        can_add,
        open_dialog: can_add && (!errors.is_empty() || query.add.is_some()),
        form,
        errors,
    }
}
