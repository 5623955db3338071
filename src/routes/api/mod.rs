//! The JSON API of SPEC §5 under /api/v1. Callers send `Authorization: Bearer <key>`; no
//! cookies, no CSRF token (the CSRF guard skips /api/). Each call resolves the key's login
//! with `Actor::load`, the same access engine the pages use, so a role change, a disable,
//! an expiry, a parent's disable or a revocation applies on the next call. Every error is
//! JSON `{"error": "..."}` with 400/401/403/404/422, including unknown routes and
//! unreadable input; state changes are audited with `via_api` in their transaction.

mod alias_users;
mod audit;
mod caller;
mod error;
mod keys;
mod me;
pub mod openapi;
mod servers;

use actix_web::web;

use crate::routes::table::Routes;

pub use caller::ApiCaller;
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
                .get("/v1/alias-users/{aid}", alias_users::show)
                .get("/v1/audit", audit::list)
                .reads::<audit::AuditParams>()
                .get("/v1/openapi.json", openapi::document);
        },
    );
}

async fn no_such_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "No such API route. See /api/v1/openapi.json.".into(),
    ))
}

/// How many pages `total` rows make (at least one, as the pages' pager shows).
pub fn pages(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}

/// Timestamps in answers: ISO 8601 in UTC.
pub fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
