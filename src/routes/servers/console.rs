//! GET /servers/{sid}/console (servers.console): where the remote console would connect.
//! The built-in driver has no hardware, so the page says so instead of opening a session.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::reachable;
use crate::access::servers::server_actions;
use crate::driver::{self, ConsoleTarget};
use crate::models::server::Server;
use crate::web::chrome::Chrome;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Template)]
#[template(path = "servers/console.html")]
pub struct ConsolePage {
    pub chrome: Option<Chrome>,
    pub server: Server,
    pub target: ConsoleTarget,
}

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let server = reachable(&state.pool, &current.actor, &path).await?;
    if !server_actions(&current.actor, &server).console {
        return Err(AppError::Forbidden);
    }
    let server = server.into_inner();
    render::page(&ConsolePage {
        chrome: Some(current.chrome("servers")),
        target: driver::for_server(&server).console(&server),
        server,
    })
}
