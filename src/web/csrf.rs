//! The CSRF guard: one middleware in front of every state-changing request. It compares
//! the session's token, derived from the session cookie's key so that no database read
//! stands in front of the handler (or, for a visitor without a session, the stateless
//! login token of `login_csrf`) with the `X-CSRF-Token` header or the `csrf_token` form
//! field and answers 403 (changing nothing) when they differ. The JSON API under
//! /api/ is exempt: it takes no cookies, only bearer keys, so a forged cross-site request
//! carries no credentials.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::BytesMut;
use actix_web::HttpMessage;
use actix_web::HttpResponse;
use futures_util::StreamExt;

use super::error::error_page;
use super::login_csrf::LoginCsrf;
use crate::security::token::constant_time_eq;

/// The largest form body the panel accepts (the assign-servers form is the biggest).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

fn refuse(
    req: ServiceRequest,
    status: StatusCode,
    title: &str,
    message: &str,
) -> ServiceResponse<BoxBody> {
    let (http_req, _) = req.into_parts();
    ServiceResponse::new(http_req, error_page(status, title, message))
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }

    // Oversized bodies are refused up front, whether or not the handler reads them.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES) {
        return Ok(refuse(
            req,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            "The form sent more data than the panel accepts.",
        ));
    }

    let expected = super::session::expected_csrf(&req);
    let mut sent: Option<String> = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    if sent.is_none() {
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            // Read the body once, find the token, and hand the same bytes on to the handler.
            let mut payload = req.take_payload();
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk?;
                if body.len() + chunk.len() > MAX_FORM_BYTES {
                    return Ok(refuse(
                        req,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Request too large",
                        "The form sent more data than the panel accepts.",
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            let body = body.freeze();
            sent = form_field(&body, "csrf_token");
            req.set_payload(actix_web::dev::Payload::from(body));
        }
    }

    let stateless = |sent: &str| {
        let cookie = req.cookie(super::login_csrf::COOKIE);
        req.app_data::<actix_web::web::Data<LoginCsrf>>()
            .is_some_and(|c| c.verify(cookie.as_ref().map(|c| c.value()), sent))
    };
    let valid = match (expected, sent) {
        (Some(e), Some(s)) => constant_time_eq(&e, &s) || stateless(&s),
        (None, Some(s)) => stateless(&s),
        _ => false,
    };
    match valid {
        true => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        false => Ok(refuse(
            req,
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form's security token is missing or out of date. Go back, reload the page and try again.",
        )),
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The 403 answer as a plain response, for handlers that check a token themselves.
pub fn forbidden() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form's security token is missing or out of date.",
    )
}

#[cfg(test)]
mod tests {
    use super::form_field;

    #[test]
    fn the_token_is_found_among_other_fields() {
        assert_eq!(
            form_field(b"a=1&csrf_token=abc%2B&b=2", "csrf_token").as_deref(),
            Some("abc+")
        );
        assert_eq!(form_field(b"a=1", "csrf_token"), None);
    }
}
