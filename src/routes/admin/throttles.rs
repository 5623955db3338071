//! GET /admin/throttles: every client address that is locked out of logging in right now
//! (wholly, or for some usernames), with its failures. POST /admin/throttles/lift (ip,
//! username optional): the address's failures (or that username's from it) stop counting,
//! in one transaction with the audit entry, in one hand-off. For admins and their alias users holding
//! admin.users (access/throttles.rs).

use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::access::throttles::may_manage_throttles;
use crate::models::throttle::{self, Throttled};
use crate::web::chrome::Chrome;
use crate::web::current::audit_entry;
use crate::web::{render, AppError, Current, Visit};

#[derive(Template)]
#[template(path = "admin/throttles.html")]
struct ThrottlesPage {
    chrome: Option<Chrome>,
    throttled: Vec<Throttled>,
    window_minutes: i64,
    pair_limit: i64,
    address_limit: i64,
    error: Option<String>,
}

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let (current, throttled) = visit
        .read(|c, actor| {
            if !may_manage_throttles(actor) {
                return Err(AppError::Forbidden);
            }
            Ok(throttle::throttled(c)?)
        })
        .await?;
    render::page(&assemble(&current, throttled, None))
}

fn assemble(current: &Current, throttled: Vec<Throttled>, error: Option<String>) -> ThrottlesPage {
    ThrottlesPage {
        chrome: Some(current.chrome("audit")),
        throttled,
        window_minutes: throttle::WINDOW_MINUTES,
        pair_limit: throttle::PAIR_LIMIT,
        address_limit: throttle::ADDRESS_LIMIT,
        error,
    }
}

#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    ip: String,
    #[serde(default)]
    username: String,
}

/// What a lift came to: refused with why (the page again, 422), or the failures lifted.
enum Lifted {
    Refused(Vec<Throttled>, String),
    Done(usize),
}

/// POST: the session, the right to lift and the lift with its audit row are one hand-off
/// and one transaction (`Visit::change`); a refused lift reads the page in it too.
pub async fn lift(visit: Visit, form: web::Form<LiftForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    // Addresses are recorded in their canonical text form; parsing gives the same form.
    let ip = form.ip.trim().parse::<IpAddr>().map(|ip| ip.to_string());
    let username: Option<String> = Some(form.username.trim().to_ascii_lowercase())
        .filter(|u| !u.is_empty())
        .map(|u| u.chars().take(100).collect());
    // Usernames never hold control characters (and PostgreSQL refuses NUL in text).
    let searchable = crate::domain::search::is_searchable(&form.username);
    let client = visit.client();
    let (lift_ip, lift_user) = (ip.clone(), username.clone());
    let (current, lifted) = visit
        .change(move |c, actor| {
            if !may_manage_throttles(actor) {
                return Err(AppError::Forbidden);
            }
            let refusal = match lift_ip {
                Err(_) => Some("Enter the client address to lift, e.g. 203.0.113.7."),
                Ok(_) if !searchable => Some("A username cannot contain control characters."),
                Ok(_) => None,
            };
            if let Some(why) = refusal {
                return Ok(Lifted::Refused(throttle::throttled(c)?, why.into()));
            }
            let lift_ip = lift_ip.unwrap_or_default();
            let n = throttle::lift(c, &lift_ip, lift_user.as_deref())?;
            let whom = lift_user.map_or("every username".to_string(), |u| format!("username={u}"));
            audit_entry(actor, &client, actor.account_id(), "throttle.lift")
                .target(format!("address {lift_ip}"))
                .details(format!("{whom}; failures={n}"))
                .insert(c)?;
            Ok(Lifted::Done(n))
        })
        .await?;
    let lifted = match lifted {
        Lifted::Refused(throttled, why) => {
            let page = assemble(&current, throttled, Some(why));
            return render::page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Lifted::Done(n) => n,
    };
    let ip = ip.unwrap_or_default();
    let whom = username.map_or(String::new(), |u| format!(" for {u}"));
    current.flash(
        "success",
        format!("Throttle lifted on {ip}{whom} ({lifted} failures no longer count)."),
    );
    Ok(render::see_other("/admin/throttles"))
}
