//! Honest failure when the session itself cannot be saved. actix-session turns a failed
//! store write into an opaque, empty 500, which threw away the page the handler had
//! rendered (its 503 "nothing was saved" page included). This middleware, just outside
//! the session middleware, answers such a failure with the rendered 503 page instead.
//! Page views whose only session change is a shown flash message do not get here: the
//! store serves them anyway (web::session_store).

use actix_session::storage::{SaveError, UpdateError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;

use super::error::unavailable_page;

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match next.call(req).await {
        Ok(res) => Ok(res.map_into_boxed_body()),
        Err(e) if is_session_store_failure(&e) => {
            log::warn!("the session could not be saved: {e:?}");
            Err(InternalError::from_response("session not saved", unavailable_page()).into())
        }
        Err(e) => Err(e),
    }
}

fn is_session_store_failure(e: &actix_web::Error) -> bool {
    e.as_error::<InternalError<SaveError>>().is_some()
        || e.as_error::<InternalError<UpdateError>>().is_some()
        || e.as_error::<InternalError<anyhow::Error>>().is_some()
}
