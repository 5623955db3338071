//! The servers a login reaches: the list with search and pages of 50.

mod list;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/servers", web::get().to(list::page));
}
