//! POST /logout: deletes the session row, so the old cookie is refused on every instance.

use crate::web::session::Session;
use actix_web::HttpResponse;

use crate::web::render::see_other;

pub async fn submit(session: Session) -> HttpResponse {
    session.purge();
    see_other("/login")
}
