//! Impersonation: start acting as an account or an alias user, and return. Both are POSTs
//! and both are audited with both identities. The session keeps the real login in
//! `impersonator_id`; `Current` then acts with exactly the target's rights.

mod start;
mod stop;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .post("/users/{id}/impersonate", start::account)
        .post("/users/{id}/alias-users/{aid}/impersonate", start::alias)
        .post("/impersonation/stop", stop::submit);
}

/// Where "Return to …" leads: the page the impersonation started from.
pub(crate) use crate::web::session::RETURN_TO;
