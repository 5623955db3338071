//! Logging in and out. One form serves accounts and alias users alike.

pub mod factor;
mod login;
mod logout;
mod passkey;
mod reauth;
mod two_factor;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/login", login::form)
        .reads::<login::LoginNotice>()
        .post("/login", login::submit)
        .reads::<login::LoginForm>()
        .post("/logout", logout::submit)
        .get("/login/two-factor", two_factor::form)
        .post("/login/two-factor", two_factor::submit)
        .reads::<two_factor::CodeForm>()
        // Both bodies are JSON for and from navigator.credentials.get (webauthn-rs reads
        // the second); start reads nothing.
        .post("/login/two-factor/passkey/start", passkey::start)
        .post("/login/two-factor/passkey/finish", passkey::finish)
        .get("/reauth", reauth::form)
        .reads::<reauth::NextQuery>()
        .post("/reauth", reauth::submit)
        .reads::<reauth::ReauthForm>();
}
