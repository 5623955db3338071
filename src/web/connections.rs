//! The cap on open client connections and on the rate of new ones. actix's own per-worker
//! cap (`max_connections`, set from `Limits`) stops accepting when it is reached, which
//! would leave /healthz unanswered too; so the panel counts connections itself and refuses
//! page requests (503, connection closed) once a slightly lower cap is reached, keeping
//! the difference for /healthz and /readyz. A connection opened faster than
//! `max_connection_rate` per second is refused the same way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;

use super::limits::Limits;
use super::refusal;

/// Open connections and the new-connection bucket, shared by every worker.
#[derive(Debug)]
pub struct Connections {
    open: AtomicUsize,
    page_cap: usize,
    rate: u32,
    /// Tokens left and when they were last refilled.
    bucket: Mutex<(f64, Instant)>,
}

impl Connections {
    pub fn new(limits: &Limits) -> Arc<Connections> {
        Arc::new(Connections {
            open: AtomicUsize::new(0),
            page_cap: limits.page_connections(),
            rate: limits.max_connection_rate,
            bucket: Mutex::new((f64::from(limits.max_connection_rate), Instant::now())),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Called by actix for each accepted connection: counts it for as long as it lives.
    pub fn on_connect(self: &Arc<Self>, ext: &mut Extensions) {
        self.open.fetch_add(1, Ordering::Relaxed);
        let too_fast = !self.take_token();
        ext.insert(Ticket {
            connections: self.clone(),
            too_fast,
        });
    }

    fn take_token(&self) -> bool {
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let rate = f64::from(self.rate);
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(rate);
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Lives in the connection's data; its drop is the connection's end.
struct Ticket {
    connections: Arc<Connections>,
    too_fast: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.connections.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Paths that answer whatever the load: liveness and readiness.
pub fn is_health(path: &str) -> bool {
    path == "/healthz" || path == "/readyz"
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = !is_health(req.path())
        && req.conn_data::<Ticket>().is_some_and(|t| {
            t.too_fast || t.connections.open.load(Ordering::Relaxed) > t.connections.page_cap
        });
    if refused {
        let api = req.path().starts_with("/api/");
        let res = refusal::retry_after(
            refusal::closing(
                api,
                StatusCode::SERVICE_UNAVAILABLE,
                "The panel is busy",
                "The panel has too many open connections. Try again in a moment.",
            ),
            1,
        );
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, res));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}
