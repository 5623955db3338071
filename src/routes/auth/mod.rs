//! Logging in and out. One form serves accounts and alias users alike.

mod login;
pub use login::THROTTLE_WINDOW_MINUTES;
mod logout;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(logout::submit));
}
