//! The two web ends of the metrics: a middleware on the panel that records each answer by
//! its route pattern (actix's `match_pattern`, never the raw path: ids and probes must
//! not create a series each) and status, and the separate listener on
//! `STEWARD_METRICS_BIND` that serves `GET /metrics`. The panel's own router has no
//! /metrics route, so the panel's port answers it 404 like any unknown path.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, App, HttpResponse, HttpServer};

use crate::db::{self, DbPool};
use crate::ops::metrics;

pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let (res, handoffs) = db::counting_handoffs(next.call(req)).await;
    let res = res?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    metrics::request(&method, &route, res.status().as_u16(), started.elapsed());
    metrics::handoffs(&method, &route, handoffs);
    Ok(res)
}

async fn scrape(pool: web::Data<DbPool>) -> HttpResponse {
    // The gauges are read from the database at scrape time, so every instance reports the
    // sessions and mail queue of the whole installation.
    match pool
        .db(|c| Ok(crate::models::session::count_open(c)?))
        .await
    {
        Ok(n) => metrics::set_open_sessions(n),
        Err(e) => log::warn!("metrics: could not count open sessions: {e}"),
    }
    match pool.db(|c| Ok(crate::models::outbox::counts(c)?)).await {
        Ok(n) => metrics::set_mail_queue(n.queued, n.sent, n.failed),
        Err(e) => log::warn!("metrics: could not count the mail queue: {e}"),
    }
    match pool
        .db(|c| Ok(crate::models::server_job::pending_counts(c)?))
        .await
    {
        Ok(n) => metrics::set_driver_jobs(&n),
        Err(e) => log::warn!("metrics: could not count the server jobs: {e}"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics::render())
}

/// The metrics listener: one worker, only `GET /metrics`.
pub fn serve(listener: TcpListener, pool: DbPool) -> std::io::Result<Server> {
    let pool = web::Data::new(pool);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
