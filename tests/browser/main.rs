//! Browser end-to-end tests: the real server (started in-process as in the HTTP suite, by
//! the shared tests/api/helpers/mod.rs) driven through Debian's headless Chromium and
//! chromedriver, as a person clicks through it. One journey, two browser windows at most:
//! the machine has two cores, and the backend matrix is the HTTP suite's job, so this runs
//! on SQLite only. Along the way it runs axe-core on each main page and writes the
//! README's screenshots to docs/screenshots/.

// The HTTP suite's harness, shared as is; this target uses only part of it.
#[allow(dead_code)]
#[path = "../api/helpers/mod.rs"]
mod helpers;
/// The SMTP sink `helpers::spawn_app_with_mail` starts, where the helpers look for it.
#[allow(dead_code)]
#[path = "../api/mail/sink.rs"]
mod mail_sink;
mod mail {
    pub(crate) use super::mail_sink as sink;
}

mod axe;
mod driver;
mod invitations;
mod journey;
mod passkeys;
mod safety;
mod steps;
