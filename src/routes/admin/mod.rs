//! Installation-wide administration pages: the login throttles (who is locked out from
//! which address, and lifting a lock) and the mail queue (what is queued, sent, failed).

mod mail;
mod throttles;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/admin/throttles", throttles::page)
        .post("/admin/throttles/lift", throttles::lift)
        .reads::<throttles::LiftForm>()
        .get("/admin/mail", mail::page)
        .reads::<crate::web::pagination::ListQuery>()
        .post("/admin/mail/{id}/retry", mail::retry);
}
