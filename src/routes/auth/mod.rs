//! Logging in and out. One form serves accounts and alias users alike.

mod login;
mod logout;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/login", login::form)
        .post("/login", login::submit)
        .reads::<login::LoginForm>()
        .post("/logout", logout::submit);
}
