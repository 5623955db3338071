//! The Security page of the current login: its two-factor state, TOTP
//! set-up and removal, passkeys, and recovery codes; plus what managers do about other logins'
//! factors (an account's policy for its alias users, resets), and beside that policy the
//! account owner's choice of notices by mail. Everything about one's own
//! factors is refused while impersonating: factors are personal.

mod notifications;
mod own;
pub(crate) mod passkeys;
mod policy;
mod recovery;
mod reset;
mod totp;

use crate::routes::table::Routes;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/account/security", own::page)
        .post("/account/security/totp/start", totp::start)
        .post("/account/security/totp", totp::confirm)
        .reads::<totp::CodeForm>()
        // Read by hand (`form::first`), as every confirmed action: confirm=yes.
        .post("/account/security/totp/delete", totp::delete)
        .post("/account/security/passkeys/register/start", passkeys::start)
        .reads::<passkeys::NameForm>()
        // The body is the browser's credential as JSON (webauthn-rs reads it), not a form.
        .post(
            "/account/security/passkeys/register/finish",
            passkeys::finish,
        )
        // Read by hand (`form::first`), as every confirmed action: confirm=yes.
        .post("/account/security/passkeys/{pk}/delete", passkeys::delete)
        .reads_fields(&["confirm"])
        .get("/account/security/recovery-codes", recovery::page)
        .post("/account/security/recovery-codes", recovery::regenerate)
        .post("/users/{id}/security-policy", policy::submit)
        .reads::<policy::PolicyForm>()
        .post("/users/{id}/notifications", notifications::submit)
        .reads::<notifications::NotificationsForm>()
        .post("/users/{id}/two-factor/reset", reset::account)
        .post(
            "/users/{id}/alias-users/{aid}/two-factor/reset",
            reset::alias,
        );
}
