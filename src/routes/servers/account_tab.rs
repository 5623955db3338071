//! The Servers tab of an account page: GET /users/{id}/servers lists the servers the
//! account holds (its own, and for a reseller those assigned to it) within what the
//! viewing login reaches; POST /users/{id}/servers (server = hostname or IP,
//! action=assign|unassign) gives one of the login's servers to this account or takes it
//! back, through the same rules as POST /servers/{sid}/owner, in one hand-off.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::list::{owner_chain_label, owner_chain_names};
use super::owner::{assign_in, Outcome};
use crate::access::servers::{
    find_reachable_by_name, list_reachable_owned_by, may_assign_to_account, may_take_back,
    may_view_account_servers, take_back_to, Reachable,
};
use crate::access::Actor;
use crate::db::{DbConn, DbError};
use crate::domain::search::is_searchable;
use crate::models::server::Server;
use crate::models::user::User;
use crate::models::Page;
use crate::routes::users::tabs::AccountTab;
use crate::web::account::visible_account_in;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current, Visit};

const PER_PAGE: i64 = 50;

pub struct Row {
    pub server: Server,
    pub owner_chain: String,
    pub may_unassign: bool,
}

#[derive(Template)]
#[template(path = "servers/account_tab.html")]
pub struct TabPage {
    pub frame: AccountTab,
    pub rows: Vec<Row>,
    pub q: String,
    pub pager: Pager,
    pub may_assign: bool,
    pub server_input: String,
    pub errors: FieldErrors,
}

crate::account_tab_page!(TabPage);

#[derive(Debug, Default, Deserialize)]
pub struct TabForm {
    #[serde(default)]
    server: String,
    #[serde(default)]
    action: String,
}

/// The account whose Servers tab is asked for: 404 unless the login may see it, 403
/// unless it may see the account's servers.
fn account_in(c: &mut DbConn, actor: &Actor, raw: &str) -> Result<User, AppError> {
    let account = visible_account_in(c, actor, raw)?;
    if !may_view_account_servers(actor, &account) {
        return Err(AppError::Forbidden);
    }
    Ok(account)
}

pub async fn page(visit: Visit, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let (q, page_no) = (query.q.clone(), query.page());
    let (current, account, found) = visit
        .read_tab(may_view_account_servers, move |c, actor, account| {
            Ok(read(c, actor, account.id, &q, page_no)?)
        })
        .await?;
    let page = assemble(
        &current,
        account,
        &query,
        found,
        String::new(),
        FieldErrors::default(),
    );
    render::page(&page)
}

type Found = (Page<Reachable>, HashMap<i32, String>);

/// One page of the account's servers within the actor's reach, and the names on their
/// owner chains.
fn read(
    c: &mut DbConn,
    actor: &Actor,
    account_id: i32,
    q: &str,
    page_no: i64,
) -> Result<Found, DbError> {
    let page = list_reachable_owned_by(c, actor, account_id, q, page_no, PER_PAGE)?;
    let servers: Vec<Server> = page.rows.iter().map(|s| (**s).clone()).collect();
    let names = owner_chain_names(c, &servers)?;
    Ok((page, names))
}

fn assemble(
    current: &Current,
    account: User,
    query: &ListQuery,
    (page, names): Found,
    server_input: String,
    errors: FieldErrors,
) -> TabPage {
    let may_assign = may_assign_to_account(&current.actor, &account);
    let base = format!("/users/{}/servers", account.id);
    let pager = Pager::new(&base, &query.q, page.page, page.pages(), page.total);
    let rows = page
        .rows
        .into_iter()
        .map(|s| Row {
            owner_chain: owner_chain_label(&s, &names),
            may_unassign: may_take_back(&current.actor, &account, &s),
            server: s.into_inner(),
        })
        .collect();
    TabPage {
        frame: AccountTab::new(current, account, "servers"),
        rows,
        q: query.q.clone(),
        pager,
        may_assign,
        server_input,
        errors,
    }
}

/// What the tab's form came to: the tab again with the message by the field (422, its rows
/// read in the same hand-off), or done with its message.
enum Answer {
    Invalid(Box<User>, Found, &'static str),
    Done(i32, String),
}

/// POST: the session, the account, the server, the checks and the change with its audit
/// rows are one hand-off and one transaction (`Visit::change`).
pub async fn submit(visit: Visit, form: web::Form<TabForm>) -> Result<HttpResponse, AppError> {
    let id = visit.param("id");
    let form = form.into_inner();
    let (key, action) = (form.server.clone(), form.action);
    let client = visit.client();
    let (current, answer) = visit
        .change(move |c, actor| {
            let account = account_in(c, actor, &id)?;
            if !may_assign_to_account(actor, &account) {
                return Err(AppError::Forbidden);
            }
            let show_again = |c: &mut DbConn, account: User, msg| -> Result<Answer, AppError> {
                let query = ListQuery::default();
                let found = read(c, actor, account.id, &query.q, query.page())?;
                Ok(Answer::Invalid(Box::new(account), found, msg))
            };
            // A name with control characters names no server (and PostgreSQL refuses NUL).
            let found = if is_searchable(&key) {
                find_reachable_by_name(c, actor, &key)?
            } else {
                None
            };
            let Some(server) = found else {
                return show_again(
                    c,
                    account,
                    "No server you may assign has this hostname or IP.",
                );
            };
            let unassign = action == "unassign";
            if unassign
                && server.owner_id != Some(account.id)
                && server.reseller_id != Some(account.id)
            {
                return Err(AppError::NotFound);
            }
            // Taking back: an admin returns it to the inventory (or to the customer's
            // reseller), a reseller to itself.
            let target = if unassign {
                take_back_to(actor, &account, &server)
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            } else {
                account.id.to_string()
            };
            match assign_in(c, actor, &client, &server, &target)? {
                Outcome::Done(msg) => Ok(Answer::Done(account.id, msg)),
                Outcome::Invalid(msg) => show_again(c, account, msg),
            }
        })
        .await?;
    match answer {
        Answer::Done(id, msg) => {
            current.flash("success", msg);
            Ok(render::see_other(&format!("/users/{id}/servers")))
        }
        Answer::Invalid(account, found, msg) => {
            let mut errors = FieldErrors::default();
            errors.add("server", msg);
            let page = assemble(
                &current,
                *account,
                &ListQuery::default(),
                found,
                form.server,
                errors,
            );
            render::invalid(&page)
        }
    }
}
