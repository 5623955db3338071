//! The JSON API under /api/v1 (README, "JSON API"). Callers send `Authorization: Bearer <key>`; no
//! cookies, no CSRF token (the CSRF guard skips /api/). Each call resolves the key's login
//! with `Actor::load`, the same access engine the pages use, so a role change, a disable,
//! an expiry, a parent's disable or a revocation applies on the next call. Every error is
//! JSON `{"error": "..."}` with 400/401/403/404/422, including unknown routes and
//! unreadable input; state changes are audited with `via_api` in their transaction.

mod alias_users;
mod audit;
mod caller;
mod error;
pub mod json;
mod keys;
mod me;
pub mod openapi;
mod roles;
mod servers;
pub mod throttle;

use actix_web::web;

use crate::routes::table::Routes;

pub use caller::{ApiCall, ApiCaller};
use error::refusal;
pub use error::{ApiError, ErrorBody};

/// Servers and alias users come in pages of this many.
pub const PER_PAGE: i64 = 50;

pub fn configure(routes: &mut Routes) {
    routes.scope(
        "/api",
        |scope| {
            scope
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    if e.to_string().contains(crate::domain::search::REFUSED) {
                        return ApiError::Unprocessable(crate::domain::search::REFUSED.into())
                            .into();
                    }
                    ApiError::BadRequest(format!("The query string could not be read: {e}")).into()
                }))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()),
                )
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT)
                        .error_handler(json_rejected),
                )
                .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
                .wrap(actix_web::middleware::from_fn(framework_errors_as_json))
                .default_service(web::to(no_such_route))
        },
        |api| {
            api.get("/v1/me", me::me)
                .get("/v1/keys/current", keys::current)
                .get("/v1/servers", servers::list)
                .reads::<servers::ListParams>()
                .get("/v1/servers/{sid}", servers::show)
                .post("/v1/servers/{sid}/power", servers::power)
                .reads::<servers::PowerRequest>()
                .get("/v1/alias-users", alias_users::list)
                .reads::<servers::ListParams>()
                .post("/v1/alias-users", alias_users::create)
                .reads::<alias_users::CreateAliasRequest>()
                .get("/v1/alias-users/{aid}", alias_users::show)
                .get("/v1/roles", roles::list)
                .post("/v1/roles", roles::create)
                .reads::<roles::CreateRoleRequest>()
                .get("/v1/roles/{rid}", roles::show)
                .patch("/v1/roles/{rid}", roles::update)
                .reads::<roles::UpdateRoleRequest>()
                .delete("/v1/roles/{rid}", roles::delete)
                .patch("/v1/alias-users/{aid}", alias_users::update)
                .reads::<alias_users::UpdateAliasRequest>()
                .delete("/v1/alias-users/{aid}", alias_users::delete)
                .put("/v1/alias-users/{aid}/servers", alias_users::set_servers)
                .reads::<alias_users::AliasServersRequest>()
                .get("/v1/audit", audit::list)
                .reads::<audit::AuditParams>()
                .get("/v1/openapi.json", openapi::document);
        },
    );
}

/// The largest JSON body the API reads.
pub const JSON_LIMIT: usize = 64 * 1024;

fn json_rejected(
    e: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let err = match &e {
        E::Overflow { .. } | E::OverflowKnownLength { .. } => ApiError::TooLarge,
        E::ContentType => {
            ApiError::BadRequest("Send JSON with Content-Type: application/json.".into())
        }
        E::Deserialize(d) => ApiError::BadRequest(describe_json_error(d)),
        other => ApiError::BadRequest(format!("The JSON body could not be read: {other}")),
    };
    err.into()
}

/// Says where and what kind of value was wrong, without repeating the value: serde quotes
/// what was sent, and an error answer must not hand a caller's input back verbatim.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    let text = e.to_string();
    match e.classify() {
        Category::Data => match text.split_once(", expected ") {
            Some((_, rest)) => {
                let expected = rest.split(" at line ").next().unwrap_or(rest);
                format!("The JSON body has a value of the wrong kind at {at}: expected {expected}.")
            }
            // "missing field `username`" and the like name fields, not values.
            None => format!(
                "The JSON body could not be read: {}",
                text.split(" at line ").next().unwrap_or(&text)
            ),
        },
        Category::Syntax | Category::Eof | Category::Io => {
            format!("The JSON body is not valid JSON ({at}).")
        }
    }
}

/// Answers the framework gives on its own (405 for a known path with another method, 413
/// from a payload limit, 408 and others) are rewritten as `{"error": …}` like every other
/// API error; answers that are JSON already pass untouched.
async fn framework_errors_as_json(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(res);
    }
    let message = match status.as_u16() {
        405 => "This route does not take that method. See /api/v1/openapi.json.".to_string(),
        413 => "The request body is larger than the API accepts.".to_string(),
        _ => status
            .canonical_reason()
            .unwrap_or("The request failed")
            .to_string(),
    };
    Ok(res.map_body(|head, _| {
        head.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        actix_web::body::BoxBody::new(serde_json::json!({ "error": message }).to_string())
    }))
}

/// Paths of the routes above, to tell "wrong method" (405) from "no such route" (404).
const ROUTE_PATHS: &[&str] = &[
    "/api/v1/me",
    "/api/v1/servers",
    "/api/v1/servers/{sid}",
    "/api/v1/servers/{sid}/power",
    "/api/v1/alias-users",
    "/api/v1/roles",
    "/api/v1/roles/{rid}",
    "/api/v1/alias-users/{aid}",
    "/api/v1/alias-users/{aid}/servers",
    "/api/v1/openapi.json",
];

async fn no_such_route(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let known = ROUTE_PATHS
        .iter()
        .any(|p| actix_web::dev::ResourceDef::new(*p).is_match(req.path()));
    if known {
        return Err(ApiError::MethodNotAllowed);
    }
    Err(ApiError::NotFound(
        "No such API route. See /api/v1/openapi.json.".into(),
    ))
}

/// The id a path names; one that cannot be an id is 404, as a missing row is.
pub fn path_id(raw: &str) -> Result<i32, ApiError> {
    crate::web::account::parse_id(raw).map_err(|_| ApiError::not_found())
}

/// Declares the answer of a list route: one page of `items` and where it stands among all
/// (`total` rows, `pages` pages of `per_page`), and `new`, which makes it of a page of
/// rows, each row turned into an item by `item`.
macro_rules! list_page {
    ($(#[$meta:meta])* $name:ident of $item:ty $(, total: $total:literal)?) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        $(#[$meta])*
        pub struct $name {
            pub items: Vec<$item>,
            $(#[doc = $total])?
            pub total: i64,
            pub page: i64,
            pub pages: i64,
            pub per_page: i64,
        }

        impl $name {
            fn new<T>(rows: $crate::models::Page<T>, item: impl FnMut(T) -> $item) -> Self {
                $name {
                    items: rows.rows.into_iter().map(item).collect(),
                    total: rows.total,
                    page: rows.page,
                    pages: $crate::routes::api::pages(rows.total),
                    per_page: $crate::routes::api::PER_PAGE,
                }
            }
        }
    };
}
use list_page;

/// A permission set's keys, in catalog order, as answers list them.
pub fn permission_keys(set: crate::access::PermissionSet) -> Vec<String> {
    set.keys().into_iter().map(String::from).collect()
}

/// How many pages `total` rows make (at least one, as the pages' pager shows).
pub fn pages(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}

/// Timestamps in answers: ISO 8601 in UTC.
pub fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
