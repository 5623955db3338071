//! Manage Users and the account detail page: the list (search, pages, add), the Account
//! Details tab (view and edit), an invited account's resend and cancel, and the tab bar
//! every account tab shares.

mod create;
mod detail;
mod edit;
mod invitation;
mod list;
pub mod tabs;

use crate::routes::table::Routes;
use crate::web::pagination::ListQuery;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users", list::page)
        .reads::<ListQuery>()
        .post("/users", create::submit)
        .reads::<create::AddAccountForm>()
        .get("/users/{id}", detail::page)
        .post("/users/{id}", edit::submit)
        .reads::<edit::EditForm>()
        .post("/users/{id}/invitation/resend", invitation::resend)
        .post("/users/{id}/invitation/cancel", invitation::cancel);
}
