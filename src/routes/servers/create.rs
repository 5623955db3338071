//! POST /servers: an admin (admin.servers) adds a server to the inventory, unassigned and
//! powered off. Invalid input or a hostname/IP in use shows the add dialog again (422).
//! One hand-off: the check, the insert and (on 422) the list's rows in one transaction.

use actix_web::{web, HttpResponse};

use super::form::{duplicates, validate, ServerForm};
use super::list;
use crate::access::servers::may_manage_inventory;
use crate::db::{self, DbConn};
use crate::models::now;
use crate::models::server::NewServer;
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Visit};

/// What an add came to: the dialog again with its errors (422, nothing written; the list's
/// first page is read in the same transaction), or the new server's id.
enum Saved {
    Ok(i32),
    Invalid(list::Found, FieldErrors),
}

/// POST: the session, the admin.servers check, the duplicate check and the insert with
/// its audit row are one hand-off and one transaction (`Visit::change`).
pub async fn submit(visit: Visit, form: web::Form<ServerForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let sent = form.clone();
    let client = visit.client();
    let (current, saved) = visit
        .change(move |c, actor| {
            if !may_manage_inventory(actor) {
                return Err(AppError::Forbidden);
            }
            let invalid = |c: &mut DbConn, errors: FieldErrors| -> Result<Saved, AppError> {
                Ok(Saved::Invalid(list::first_page_in(c, actor)?, errors))
            };
            let valid = match validate(&sent) {
                Ok(v) => v,
                Err(errors) => return invalid(c, errors),
            };
            let dupes = duplicates(c, &valid, 0)?;
            if !dupes.is_empty() {
                return invalid(c, dupes);
            }
            let at = now();
            // In a savepoint: a unique index refusing the insert must not abort the
            // transaction (PostgreSQL would refuse the 422 page's reads after it).
            let inserted = db::attempt(c, |c| {
                NewServer {
                    hostname: &valid.hostname,
                    name: &valid.name,
                    primary_ip: &valid.ip,
                    location: &valid.location,
                    tags: &valid.tags,
                    os: "",
                    power_state: "off",
                    status: "active",
                    reseller_id: None,
                    owner_id: None,
                    cpu: &valid.cpu,
                    memory_gb: valid.memory_gb,
                    disks: &valid.disks,
                    created_at: at,
                    updated_at: at,
                }
                .insert(c)
            });
            let id = match inserted {
                Ok(id) => id,
                // Taken by a concurrent add since the check above: nothing was written.
                Err(e) if db::is_unique_violation(&e) => {
                    let mut errors = FieldErrors::default();
                    errors.add("hostname", "Another server has this hostname or address.");
                    return invalid(c, errors);
                }
                Err(e) => return Err(e.into()),
            };
            audit_entry(actor, &client, actor.account_id(), "server.create")
                .target(format!("server {}", valid.hostname))
                .details(format!("ip={}", valid.ip))
                .insert(c)?;
            Ok(Saved::Ok(id))
        })
        .await?;
    match saved {
        Saved::Ok(id) => {
            current.flash("success", "Server added to the inventory.");
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Saved::Invalid(found, errors) => {
            render::invalid(&list::again(&current, found, form, errors))
        }
    }
}
