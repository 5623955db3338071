//! Fair sharing between logins: at most `Limits::max_in_flight` requests of one login (the
//! person acting, so an impersonation counts against the impersonator) or of one API key
//! are served at once (a page view whose session is not read yet counts against the login
//! its session was last seen acting for, or against the session itself until then); one more is answered 429 with `Retry-After` at once, before it
//! reaches the database pool, so one tenant's burst of slow searches cannot queue every
//! other tenant behind it. Anonymous requests and the health endpoints are not counted
//! here (the connection cap and the login throttle bound them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;

use super::limits::Limits;
use super::refusal;
use super::session::{Holder, IMPERSONATOR_ID, LOGIN_ID};
use crate::security::token::sha256_hex;

/// Who a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Caller {
    Login(i32),
    /// A session not seen acting yet, by its key's digest.
    Session(u64),
    /// The SHA-256 of the bearer header: the key is counted before it is checked, so a
    /// flood of calls with one key is held back without a database lookup each.
    Key(String),
}

#[derive(Debug, Default)]
pub struct InFlight {
    counts: Mutex<HashMap<Caller, usize>>,
}

/// One request's place; dropping it frees the place.
struct Place {
    table: Arc<InFlight>,
    caller: Caller,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.table.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.caller);
            }
        }
    }
}

impl InFlight {
    fn enter(self: &Arc<Self>, caller: Caller, max: usize) -> Option<Place> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(caller.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Place {
            table: self.clone(),
            caller,
        })
    }
}

fn caller_of(req: &ServiceRequest) -> Option<Caller> {
    if req.path().starts_with("/api/") {
        let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
        return Some(Caller::Key(sha256_hex(header.trim())));
    }
    match super::session::holder_of(req) {
        Some(Holder::Login(id)) => return Some(Caller::Login(id)),
        Some(Holder::Session(digest)) => return Some(Caller::Session(digest)),
        None => {}
    }
    let session = req.get_session();
    let id = match session.get::<i32>(IMPERSONATOR_ID).ok().flatten() {
        Some(imp) => imp,
        None => session.get::<i32>(LOGIN_ID).ok().flatten()?,
    };
    Some(Caller::Login(id))
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let table = req.app_data::<web::Data<Arc<InFlight>>>().cloned();
    let max = req.app_data::<web::Data<Limits>>().map(|l| l.max_in_flight);
    let (Some(table), Some(max), Some(caller)) = (table, max, caller_of(&req)) else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(place) = table.enter(caller, max) else {
        let api = req.path().starts_with("/api/");
        let res = refusal::retry_after(
            refusal::answer(
                api,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests at once",
                "This login has too many requests in progress. Wait for them to finish and try again.",
            ),
            1,
        );
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, res));
    };
    let res = next.call(req).await;
    drop(place);
    res.map(|r| r.map_into_boxed_body())
}
