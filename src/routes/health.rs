//! GET /healthz: answers 200 "ok" when the database answers, 503 otherwise.

use actix_web::{web, HttpResponse};

use crate::db::{self, DbError};
use crate::routes::table::Routes;
use crate::AppState;

pub fn configure(routes: &mut Routes) {
    routes.get("/healthz", healthz);
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, |c| db::ping(c).map_err(DbError::from)).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            log::error!("health check failed: {e}");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
