//! The API's error type: every failure is a JSON `{"error": "..."}` with its status, never
//! an HTML page. A refused key is 401 with `WWW-Authenticate: Bearer`; anything unexpected
//! is logged with its cause and answered 500 without detail.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::openapi::response::{Response, ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::ToSchema;

use crate::db::DbError;
use crate::domain::FieldErrors;
use crate::operations::OpError;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid, expired or revoked API key"}))]
pub struct ErrorBody {
    /// What went wrong, for a human.
    #[schema(example = "invalid, expired or revoked API key")]
    pub error: String,
    /// With 422: each field's problem, by field name (the same messages the pages show).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>, example = json!({"username": "This username is taken."}))]
    pub fields: Option<FieldErrors>,
}

/// The OpenAPI row of a refusal: `status` answered with an `ErrorBody`, as
/// `(status = …, description = …, body = ErrorBody)` writes it in a `#[utoipa::path]`.
pub fn refusal_row(status: &str, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    ResponsesBuilder::new()
        .response(status, response)
        .build()
        .into()
}

/// Declares a refusal that several routes document alike, as a type their
/// `#[utoipa::path]` lists in `responses(…)` instead of repeating the row.
macro_rules! refusal {
    ($(#[$doc:meta])* $name:ident, $status:literal, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                $crate::routes::api::error::refusal_row($status, $description)
            }
        }
    };
}
pub(crate) use refusal;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unprocessable(String),
    /// Input problems by field (422, with `fields`).
    #[error("the input has problems; see fields")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("The request body is larger than the API accepts.")]
    TooLarge,
    #[error("This route does not take that method. See /api/v1/openapi.json.")]
    MethodNotAllowed,
    /// Too many failed key authentications from one address: retry after this many seconds.
    #[error("too many failed API key authentications from this address; retry later")]
    Throttled(u64),
    /// The database refused a write or could not be reached.
    #[error("{}", crate::web::error::CANNOT_SAVE)]
    Unavailable,
    #[error("{}", crate::web::error::SEARCH_TOO_SLOW)]
    SearchTooSlow,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found() -> ApiError {
        ApiError::NotFound("not found".into())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => ApiError::not_found(),
            DbError::Deadline => ApiError::SearchTooSlow,
            e if e.is_write_refused() || e.is_unavailable() => {
                log::warn!("database unavailable: {e}");
                ApiError::Unavailable
            }
            other => ApiError::Unexpected(other.into()),
        }
    }
}

/// An operation's refusal as the API answers it: the same reasons as the pages, as JSON.
impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Forbidden(m) => ApiError::Forbidden(m),
            OpError::NotFound(m) => ApiError::NotFound(m.into()),
            OpError::Busy(m) => ApiError::Conflict(m),
            OpError::Invalid(fields) => ApiError::Invalid(fields),
            OpError::Db(e) => e.into(),
            OpError::Unexpected(e) => ApiError::Unexpected(e),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(DbError::from(e))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) | ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable | ApiError::SearchTooSlow => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Unexpected(e) => {
                log::error!("unexpected API error: {e:?}");
                "The request could not be completed; nothing was changed.".to_string()
            }
            other => other.to_string(),
        };
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::Unauthorized(_) = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"steward\""));
        }
        if let ApiError::Throttled(seconds) = self {
            res.insert_header((header::RETRY_AFTER, seconds.max(&1).to_string()));
        }
        let fields = match self {
            ApiError::Invalid(f) => Some(f.clone()),
            _ => None,
        };
        // HTML-safe: a 422 may name what the caller sent (an unknown permission key).
        let body = super::json::to_string(&ErrorBody {
            error: message,
            fields,
        })
        .unwrap_or_else(|_| r#"{"error":"The request could not be completed."}"#.into());
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .body(body)
    }
}
