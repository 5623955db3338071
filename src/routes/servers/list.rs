//! GET /servers: the servers the login reaches (its reach, from the access module), with
//! search by hostname, name, IP or tag, and pages of 50. Admins also get the "+ Add
//! server" dialog (opened by `?add=1` without script, or shown again with errors on 422).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::form::ServerForm;
use crate::access::servers::{may_manage_inventory, may_view_servers, sees_owner_chains};
use crate::db::{self, DbError};
use crate::models::server::Server;
use crate::models::user::User;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current};
use crate::AppState;

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

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = build(
        &current,
        &state,
        &query,
        ServerForm::default(),
        FieldErrors::default(),
    )
    .await?;
    render::page(&page)
}

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

pub async fn build(
    current: &Current,
    state: &AppState,
    query: &ListQuery,
    form: ServerForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    if !may_view_servers(&current.actor) {
        return Err(AppError::Forbidden);
    }
    let reach = current.actor.reach.clone();
    let (q, page_no) = (query.q.clone(), query.page());
    let searching = !q.trim().is_empty();
    let work = move |c: &mut crate::db::DbConn| {
        let page = Server::list_within(c, &reach, &q, page_no, PER_PAGE)?;
        let names = owner_chain_names(c, &page.rows)?;
        Ok((page, names))
    };
    // A search has a statement deadline: past it, 503 "narrow it", not a held connection.
    let (page, names) = if searching {
        db::run_search(&state.pool, work).await?
    } else {
        state.db(work).await?
    };
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
    Ok(ListPage {
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
    })
}
