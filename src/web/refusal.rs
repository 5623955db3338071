//! Answers the limits give before a handler runs (408, 429, 503): the error page in the
//! layout for the pages, `{"error": …}` for the JSON API: each door answers in the form
//! its callers read.

use actix_web::http::header::{HeaderValue, CACHE_CONTROL, RETRY_AFTER};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::HttpResponse;

use super::error::error_page;

/// The refusal for a page (`api` false) or an API call.
pub fn answer(api: bool, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    if api {
        HttpResponse::build(status)
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "error": message }))
    } else {
        error_page(status, title, message)
    }
}

/// A refusal after which the connection is closed (its body may be unread).
pub fn closing(api: bool, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let mut res = answer(api, status, title, message);
    res.head_mut().set_connection_type(ConnectionType::Close);
    res
}

/// Adds `Retry-After: seconds`.
pub fn retry_after(mut res: HttpResponse, seconds: u64) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}
