//! POST /servers: an admin (admin.servers) adds a server to the inventory, unassigned and
//! powered off. Invalid input or a hostname/IP in use shows the add dialog again (422).

use actix_web::{web, HttpResponse};

use super::form::{duplicates, validate, ServerForm};
use super::list;
use crate::access::servers::may_manage_inventory;
use crate::db::{self, DbError};
use crate::models::now;
use crate::models::server::NewServer;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::{render, AppError, Current};
use crate::AppState;

pub enum Saved {
    Ok(i32),
    Invalid(FieldErrors),
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<ServerForm>,
) -> Result<HttpResponse, AppError> {
    if !may_manage_inventory(&current.actor) {
        return Err(AppError::Forbidden);
    }
    let form = form.into_inner();
    let valid = match validate(&form) {
        Ok(v) => v,
        Err(errors) => return show_again(&current, &state, form, errors).await,
    };
    let audit = current
        .audit(current.actor.account_id(), "server.create")
        .target(format!("server {}", valid.hostname))
        .details(format!("ip={}", valid.ip));
    let saved = state
        .tx(move |c| {
            let dupes = duplicates(c, &valid, 0)?;
            if !dupes.is_empty() {
                return Ok(Saved::Invalid(dupes));
            }
            let at = now();
            let id = NewServer {
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
            .insert(c)?;
            audit.insert(c)?;
            Ok(Saved::Ok(id))
        })
        .await;
    match saved {
        Ok(Saved::Ok(id)) => {
            current.flash("success", "Server added to the inventory.");
            Ok(render::see_other(&format!("/servers/{id}")))
        }
        Ok(Saved::Invalid(errors)) => show_again(&current, &state, form, errors).await,
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add("hostname", "Another server has this hostname or address.");
            show_again(&current, &state, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_again(
    current: &Current,
    state: &AppState,
    form: ServerForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = list::build(current, state, &ListQuery::default(), form, errors).await?;
    render::invalid(&page)
}
