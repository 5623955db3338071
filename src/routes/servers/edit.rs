//! The admin's inventory edits: GET/POST /servers/{sid}/edit (hostname, name, IP,
//! location, tags, hardware) and POST /servers/{sid}/delete. Both need admin.servers;
//! a server outside reach is 404 first, like everywhere. Each POST is one hand-off.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::form::{duplicates, validate, ServerForm};
use super::{audit_account, reachable_in};
use crate::access::servers::{may_manage_inventory, Reachable};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::models::now;
use crate::models::server::{Server, ServerEdit};
use crate::web::chrome::Chrome;
use crate::web::confirm::{Ask, Asking};
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Visit};

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

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let (current, server) = visit
        .read(move |c, actor| Ok(admin_server_in(c, actor, &sid)?.into_inner()))
        .await?;
    render::page(&EditPage {
        chrome: Some(current.chrome("servers")),
        form: ServerForm::of(&server),
        server,
        errors: FieldErrors::default(),
    })
}

/// What an edit came to: the form again with its errors (422, nothing written), or saved.
enum Saved {
    Invalid(Box<Server>, FieldErrors),
    Done(i32),
}

/// POST: the session, the server, the admin.servers check and the edit with its audit
/// row are one hand-off and one transaction (`Visit::change`).
pub async fn submit(visit: Visit, form: web::Form<ServerForm>) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let form = form.into_inner();
    let sent = form.clone();
    let client = visit.client();
    let (current, saved) = visit
        .change(move |c, actor| {
            let server = admin_server_in(c, actor, &sid)?.into_inner();
            let valid = match validate(&sent) {
                Ok(v) => v,
                Err(errors) => return Ok(Saved::Invalid(Box::new(server), errors)),
            };
            let dupes = duplicates(c, &valid, server.id)?;
            if !dupes.is_empty() {
                return Ok(Saved::Invalid(Box::new(server), dupes));
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
            // In a savepoint, so a unique index's refusal leaves the transaction usable.
            match db::attempt(c, |c| Server::apply_edit(c, &server, &edit)) {
                Ok(_) => {}
                // Taken by a concurrent save since the check above: nothing was written.
                Err(e) if db::is_unique_violation(&e) => {
                    let mut errors = FieldErrors::default();
                    errors.add("hostname", "Another server has this hostname or address.");
                    return Ok(Saved::Invalid(Box::new(server), errors));
                }
                Err(e) => return Err(e.into()),
            }
            audit_entry(
                actor,
                &client,
                audit_account(actor, &server),
                "server.update",
            )
            .target(format!("server {}", valid.hostname))
            .insert(c)?;
            Ok(Saved::Done(server.id))
        })
        .await?;
    match saved {
        Saved::Done(id) => {
            current.flash("success", "Server saved.");
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Saved::Invalid(server, errors) => render::invalid(&EditPage {
            chrome: Some(current.chrome("servers")),
            server: *server,
            form,
            errors,
        }),
    }
}

/// What a delete came to: asked first (with the `confirm` sent), or deleted (the
/// hostname, for the message).
enum Deleted {
    Ask(Asking),
    Done(String),
}

/// POST: one hand-off and one transaction (`Visit::change`), like the edit.
pub async fn delete(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let sid = visit.param("sid");
    let client = visit.client();
    let (current, deleted) = visit
        .change(move |c, actor| {
            let server = admin_server_in(c, actor, &sid)?.into_inner();
            // The form is read after the checks (a refused login learns nothing of it).
            let fields = crate::web::form::pairs(&body)?;
            let confirm = crate::web::form::first(&fields, "confirm").to_owned();
            let ask = Ask {
                title: format!("Delete {}?", server.hostname),
                message: format!(
                    "{} leaves the inventory with its addresses, traffic history and jobs. Nobody reaches it in the panel any more.",
                    server.hostname
                ),
                action: format!("/servers/{}/delete", server.id),
                button: "Delete server".into(),
                back: format!("/servers/{}", server.id),
                ..Ask::default()
            };
            if let Err(asking) = ask.confirmed_by(&confirm) {
                return Ok(Deleted::Ask(asking));
            }
            let entry = audit_entry(actor, &client, audit_account(actor, &server), "server.delete")
                .target(format!("server {}", server.hostname));
            let actor_account = actor.account_id();
            Server::delete(c, server.id)?;
            entry.insert(c)?;
            if entry.account_id != Some(actor_account) {
                entry.for_account(actor_account).insert(c)?;
            }
            Ok(Deleted::Done(server.hostname))
        })
        .await?;
    match deleted {
        Deleted::Ask(asking) => asking.page(&current, "servers"),
        Deleted::Done(hostname) => {
            current.flash("success", format!("Server {hostname} deleted."));
            Ok(render::see_other("/servers"))
        }
    }
}
