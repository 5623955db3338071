//! GET /servers/{sid}/console (servers.console): where the remote console would connect.
//! The built-in driver has no hardware, so the page says so instead of opening a session.

use actix_web::HttpResponse;
use askama::Template;

use super::reachable_in;
use crate::access::servers::server_actions;
use crate::driver::{self, ConsoleTarget};
use crate::models::server::Server;
use crate::web::chrome::Chrome;
use crate::web::{render, AppError, Visit};

#[derive(Template)]
#[template(path = "servers/console.html")]
pub struct ConsolePage {
    pub chrome: Option<Chrome>,
    pub server: Server,
    pub target: ConsoleTarget,
}

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let (current, server) = visit
        .read(move |c, actor| {
            let server = reachable_in(c, actor, &sid)?;
            if !server_actions(actor, &server).console {
                return Err(AppError::Forbidden);
            }
            Ok(server.into_inner())
        })
        .await?;
    render::page(&ConsolePage {
        chrome: Some(current.chrome("servers")),
        target: driver::for_server(&server).console(&server),
        server,
    })
}
