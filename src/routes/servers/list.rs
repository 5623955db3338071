//! GET /servers: the servers the login reaches (its reach, from the access module), with
//! search by hostname, name, IP or tag, and pages of 50.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::db::{self, DbError};
use crate::models::server::Server;
use crate::web::chrome::Chrome;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current};
use crate::AppState;

pub const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "servers/list.html")]
struct ListPage {
    chrome: Option<Chrome>,
    servers: Vec<Server>,
    q: String,
    pager: Pager,
}

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    if !current.actor.may("servers.view") {
        return Err(AppError::Forbidden);
    }
    let reach = current.actor.reach.clone();
    let (q, page_no) = (query.q.clone(), query.page());
    let page = db::run(&state.pool, move |c| {
        Server::list_within(c, &reach, &q, page_no, PER_PAGE).map_err(DbError::from)
    })
    .await?;
    let pager = Pager::new("/servers", &query.q, page.page, page.pages(), page.total);
    render::page(&ListPage {
        chrome: Some(current.chrome("servers")),
        servers: page.rows,
        q: query.q.clone(),
        pager,
    })
}
