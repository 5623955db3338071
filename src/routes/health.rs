//! GET /healthz (liveness) and GET /readyz (readiness). Both answer from the health probe
//! (db::probe), which has its own connection and thread, so neither waits behind page
//! traffic, and both are exempt from the connection cap's page share.
//! - /healthz: 200 "ok" when one trivial query answers, 503 otherwise.
//! - /readyz: 200 "ready" when that query answers and the last heartbeat write (every few
//!   seconds, through the page pool) was accepted; 503 with the reason otherwise, so a load
//!   balancer takes an instance whose database refuses writes out of rotation.

use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::db::probe::Probe;
use crate::routes::table::Routes;

/// How long a health check waits for the probe's answer.
const WAIT: Duration = Duration::from_secs(2);

pub fn configure(routes: &mut Routes) {
    routes.get("/healthz", healthz).get("/readyz", readyz);
}

async fn healthz(probe: web::Data<Probe>) -> HttpResponse {
    match probe.ping(WAIT).await {
        Ok(()) => text(HttpResponse::Ok(), "ok".into()),
        Err(e) => {
            log::error!("health check failed: {e}");
            text(
                HttpResponse::ServiceUnavailable(),
                "database unavailable".into(),
            )
        }
    }
}

async fn readyz(probe: web::Data<Probe>) -> HttpResponse {
    let verdict = match probe.ping(WAIT).await {
        Ok(()) => probe.writes_accepted(),
        Err(e) => Err(format!("the database does not answer: {e}")),
    };
    match verdict {
        Ok(()) => text(HttpResponse::Ok(), "ready".into()),
        Err(why) => text(
            HttpResponse::ServiceUnavailable(),
            format!("not ready: {why}"),
        ),
    }
}

fn text(mut builder: actix_web::HttpResponseBuilder, body: String) -> HttpResponse {
    builder
        .content_type("text/plain")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
