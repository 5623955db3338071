//! Installation-wide administration pages: the login throttles (who is locked out from
//! which address, and lifting a lock).

mod throttles;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/throttles", web::get().to(throttles::page))
        .route("/admin/throttles/lift", web::post().to(throttles::lift));
}
