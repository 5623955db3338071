//! The deadline and the memory budget for reading request bodies. actix times out only
//! the request head; a client that sends a head and then a body one byte at a time (or
//! never finishes it) held a connection, and up to 256 KB of buffered form, for as long as
//! it liked. This middleware wraps every request's payload, so each reader of it (the CSRF
//! guard, `web::Form`, `web::Json`, `web::Bytes`) sees the same two limits:
//! - the whole body must arrive within `Limits::body_deadline` of the head: past it the
//!   reader gets an error and the request is answered 408, and the connection closed;
//! - bodies being read hold at most `Limits::body_budget_bytes` among all requests: beyond
//!   it the request is answered 503 (`Retry-After`), so a crowd of stalled uploads cannot
//!   grow the process without bound.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep_until, Instant, Sleep};
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpResponse};
use futures_util::Stream;

use super::limits::Limits;
use super::refusal;

/// Bytes of request bodies held by requests being read, shared by every worker.
#[derive(Debug, Default)]
pub struct BodyBudget {
    held: AtomicUsize,
}

impl BodyBudget {
    /// Bytes held right now (a test waits on it to know a stalled body was counted).
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

/// Why a body was cut short.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    None,
    Deadline,
    Budget,
}

/// One request's share of the budget, given back when the request ends.
struct Share {
    budget: Arc<BodyBudget>,
    bytes: Cell<usize>,
    cut: Cell<Cut>,
}

impl Drop for Share {
    fn drop(&mut self) {
        self.budget
            .held
            .fetch_sub(self.bytes.get(), Ordering::Relaxed);
    }
}

struct Watched {
    inner: Payload,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    share: Rc<Share>,
    limit: usize,
}

impl Stream for Watched {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.share.cut.get() != Cut::None {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let n = chunk.len();
                let before = this.share.budget.held.fetch_add(n, Ordering::Relaxed);
                this.share.bytes.set(this.share.bytes.get() + n);
                if before + n > this.limit {
                    this.share.cut.set(Cut::Budget);
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => {
                // The timer is armed only for bodies that make a reader wait.
                let deadline = this.deadline;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.share.cut.set(Cut::Deadline);
                    return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "request body deadline passed",
                    )))));
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req.app_data::<web::Data<Limits>>().cloned();
    let budget = req.app_data::<web::Data<Arc<BodyBudget>>>().cloned();
    let (Some(limits), Some(budget)) = (limits, budget) else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let share = Rc::new(Share {
        budget: budget.get_ref().clone(),
        bytes: Cell::new(0),
        cut: Cell::new(Cut::None),
    });
    let watched = Watched {
        inner: req.take_payload(),
        deadline: Instant::now() + limits.body_deadline,
        sleep: None,
        share: share.clone(),
        limit: limits.body_budget_bytes,
    };
    let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(watched);
    req.set_payload(Payload::from(boxed));
    let api = req.path().starts_with("/api/");
    let deadline = limits.body_deadline;
    let result = next.call(req).await.map(|r| r.map_into_boxed_body());
    let answer = match share.cut.get() {
        Cut::None => return result,
        Cut::Deadline => timed_out(api, deadline),
        Cut::Budget => busy(api),
    };
    // Whatever the reader made of the cut body (a 400, an error) is replaced.
    match result {
        Ok(res) => Ok(res.into_response(answer)),
        Err(_) => {
            Err(actix_web::error::InternalError::from_response("request body cut", answer).into())
        }
    }
}

fn timed_out(api: bool, deadline: Duration) -> HttpResponse {
    let message = format!(
        "The request body did not arrive within {} seconds.",
        deadline.as_secs()
    );
    refusal::closing(
        api,
        StatusCode::REQUEST_TIMEOUT,
        "Request timeout",
        &message,
    )
}

fn busy(api: bool) -> HttpResponse {
    let mut res = refusal::closing(
        api,
        StatusCode::SERVICE_UNAVAILABLE,
        "The panel is busy",
        "The panel is receiving too many forms at once. Try again in a moment.",
    );
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("2"),
    );
    res
}
