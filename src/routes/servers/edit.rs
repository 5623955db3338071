//! The admin's inventory edits: GET/POST /servers/{sid}/edit (hostname, name, IP,
//! location, tags, hardware) and POST /servers/{sid}/delete. Both need admin.servers;
//! a server outside reach is 404 first, like everywhere.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::form::{duplicates, validate, ServerForm};
use super::{audit_account, reachable_in};
use crate::access::servers::{may_manage_inventory, Reachable};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError};
use crate::models::now;
use crate::models::server::{Server, ServerEdit};
use crate::web::chrome::Chrome;
use crate::web::confirm::{confirmation, Ask};
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

#[derive(Template)]
#[template(path = "servers/edit.html")]
pub struct EditPage {
    pub chrome: Option<Chrome>,
    pub server: Server,
    pub form: ServerForm,
    pub errors: FieldErrors,
}

/// The server for an inventory edit: outside reach is 404 before the missing
/// admin.servers is 403.
fn admin_server_in(c: &mut DbConn, actor: &Actor, raw: &str) -> Result<Reachable, AppError> {
    let server = reachable_in(c, actor, raw)?;
    if !may_manage_inventory(actor) {
        return Err(AppError::Forbidden);
    }
    Ok(server)
}

async fn admin_server(
    current: &Current,
    state: &AppState,
    path: &str,
) -> Result<Reachable, AppError> {
    let (actor, raw) = (current.actor.clone(), path.to_owned());
    db::run(&state.pool, move |c| admin_server_in(c, &actor, &raw)).await
}

pub async fn page(visit: Visit, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let (current, server) = visit
        .read(&state, move |c, actor| {
            Ok(admin_server_in(c, actor, &sid)?.into_inner())
        })
        .await?;
    render::page(&EditPage {
        chrome: Some(current.chrome("servers")),
        form: ServerForm::of(&server),
        server,
        errors: FieldErrors::default(),
    })
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ServerForm>,
) -> Result<HttpResponse, AppError> {
    let server = admin_server(&current, &state, &path).await?.into_inner();
    let form = form.into_inner();
    let show_again = |server: Server, form: ServerForm, errors: FieldErrors| {
        render::invalid(&EditPage {
            chrome: Some(current.chrome("servers")),
            server,
            form,
            errors,
        })
    };
    let valid = match validate(&form) {
        Ok(v) => v,
        Err(errors) => return show_again(server, form, errors),
    };
    let audit = current
        .audit(audit_account(&current.actor, &server), "server.update")
        .target(format!("server {}", valid.hostname));
    let s = server.clone();
    let saved = state
        .tx(move |c| {
            let dupes = duplicates(c, &valid, s.id)?;
            if !dupes.is_empty() {
                return Ok(Some(dupes));
            }
            let edit = ServerEdit {
                hostname: &valid.hostname,
                name: &valid.name,
                primary_ip: &valid.ip,
                location: &valid.location,
                tags: &valid.tags,
                cpu: &valid.cpu,
                memory_gb: valid.memory_gb,
                disks: &valid.disks,
                updated_at: now(),
            };
            Server::apply_edit(c, &s, &edit)?;
            audit.insert(c)?;
            Ok(None)
        })
        .await;
    match saved {
        Ok(None) => {
            current.flash("success", "Server saved.");
            Ok(render::see_other(&format!("/servers/{}", server.id)))
        }
        Ok(Some(errors)) => show_again(server, form, errors),
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add("hostname", "Another server has this hostname or address.");
            show_again(server, form, errors)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let server = admin_server(&current, &state, &path).await?.into_inner();
    let fields = crate::web::form::pairs(&body)?;
    let ask = Ask {
        title: format!("Delete {}?", server.hostname),
        message: format!(
            "{} leaves the inventory with its addresses, traffic history and jobs. Nobody reaches it in the panel any more.",
            server.hostname
        ),
        action: format!("/servers/{}/delete", server.id),
        fields: Vec::new(),
        button: "Delete server".into(),
        back: format!("/servers/{}", server.id),
        typed: None,
    };
    let sent = crate::web::form::first(&fields, "confirm");
    if let Some(res) = confirmation(&current, "servers", sent, ask) {
        return res;
    }
    let entry = current
        .audit(audit_account(&current.actor, &server), "server.delete")
        .target(format!("server {}", server.hostname));
    let actor_account = current.actor.account_id();
    let id = server.id;
    state
        .tx(move |c| {
            Server::delete(c, id)?;
            entry.insert(c)?;
            if entry.account_id != Some(actor_account) {
                entry.for_account(actor_account).insert(c)?;
            }
            Ok(())
        })
        .await?;
    current.flash("success", format!("Server {} deleted.", server.hostname));
    Ok(render::see_other("/servers"))
}
