//! GET /admin/throttles: every client address that is locked out of logging in right now
//! (wholly, or for some usernames), with its failures. POST /admin/throttles/lift (ip,
//! username optional): the address's failures (or that username's from it) stop counting,
//! in one transaction with the audit entry. For admins and their alias users holding
//! admin.users (access/throttles.rs).

use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::access::throttles::may_manage_throttles;
use crate::models::throttle::{self, Throttled};
use crate::web::chrome::Chrome;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

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

pub async fn page(visit: Visit, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (current, throttled) = visit
        .read(&state, |c, actor| {
            if !may_manage_throttles(actor) {
                return Err(AppError::Forbidden);
            }
            Ok(throttle::throttled(c)?)
        })
        .await?;
    render::page(&assemble(&current, throttled, None))
}

/// The page for a request whose `Current` is in hand (a lift refused, shown with why):
/// the same read as a page view, in a hand-off of its own.
async fn build(
    current: &Current,
    state: &AppState,
    error: Option<String>,
) -> Result<ThrottlesPage, AppError> {
    let throttled = state.db(|c| Ok(throttle::throttled(c)?)).await?;
    Ok(assemble(current, throttled, error))
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

pub async fn lift(
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<LiftForm>,
) -> Result<HttpResponse, AppError> {
    if !may_manage_throttles(&current.actor) {
        return Err(AppError::Forbidden);
    }
    // Addresses are recorded in their canonical text form; parsing gives the same form.
    let Ok(ip) = form.ip.trim().parse::<IpAddr>() else {
        let page = build(
            &current,
            &state,
            Some("Enter the client address to lift, e.g. 203.0.113.7.".into()),
        )
        .await?;
        return render::page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    // Usernames never hold control characters (and PostgreSQL refuses NUL in text).
    if !crate::domain::search::is_searchable(&form.username) {
        let page = build(
            &current,
            &state,
            Some("A username cannot contain control characters.".into()),
        )
        .await?;
        return render::page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let ip = ip.to_string();
    let username: Option<String> = Some(form.username.trim().to_ascii_lowercase())
        .filter(|u| !u.is_empty())
        .map(|u| u.chars().take(100).collect());
    let audit = current
        .audit(current.actor.account_id(), "throttle.lift")
        .target(format!("address {ip}"));
    let (lift_ip, lift_user) = (ip.clone(), username.clone());
    let lifted = state
        .tx(move |c| {
            let n = throttle::lift(c, &lift_ip, lift_user.as_deref())?;
            let whom = lift_user.map_or("every username".to_string(), |u| format!("username={u}"));
            audit.details(format!("{whom}; failures={n}")).insert(c)?;
            Ok(n)
        })
        .await?;
    let whom = username.map_or(String::new(), |u| format!(" for {u}"));
    current.flash(
        "success",
        format!("Throttle lifted on {ip}{whom} ({lifted} failures no longer count)."),
    );
    Ok(render::see_other("/admin/throttles"))
}
