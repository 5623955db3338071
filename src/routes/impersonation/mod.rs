//! Impersonation: start acting as an account or an alias user, and return. Both are POSTs
//! and both are audited with both identities. The session keeps the real login in
//! `impersonator_id`; `Current` then acts with exactly the target's rights.

mod start;
mod stop;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/impersonate", web::post().to(start::account))
        .route(
            "/users/{id}/alias-users/{aid}/impersonate",
            web::post().to(start::alias),
        )
        .route("/impersonation/stop", web::post().to(stop::submit));
}

/// Where "Return to …" leads: the page the impersonation started from.
pub(crate) use crate::web::session_store::RETURN_TO;
