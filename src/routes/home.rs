//! GET / (to the server list) and GET /account (to the current login's own page).

use actix_web::HttpResponse;

use crate::routes::table::Routes;
use crate::web::current::my_account_url;
use crate::web::render::see_other;
use crate::web::Current;

pub fn configure(routes: &mut Routes) {
    routes.get("/", home).get("/account", account);
}

async fn home(_current: Current) -> HttpResponse {
    see_other("/servers")
}

async fn account(current: Current) -> HttpResponse {
    see_other(&my_account_url(&current.actor))
}
