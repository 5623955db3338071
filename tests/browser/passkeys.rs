//! Passkeys in a real browser: a login registers passkeys on its Security page
//! and then logs in with one at the two-factor step, Chromium's WebDriver *virtual
//! authenticator* standing in for a phone or a security key (chromedriver's
//! `POST /session/{id}/webauthn/authenticator`, sent through fantoccini's raw command
//! interface). The panel is opened as `http://localhost:<port>`: a secure context, and a
//! valid relying party id (an IP address is neither), which is also what the panel
//! derives from its port when STEWARD_PUBLIC_URL is unset. On the way it runs axe-core on
//! the Security page, the authenticator-app set-up page and the two-factor prompt, and
//! takes the README's pictures of the last two.

use diesel::prelude::*;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};
use steward::db::schema::{audit_log, login_attempts, passkeys, users};
use steward::db::Backend;

use crate::axe::Audit;
use crate::driver::{Driver, Page};
use crate::helpers::{spawn_app, PASSWORD};
use crate::steps::screenshots;

/// One WebDriver command by method, path under the session, and JSON body.
#[derive(Debug)]
struct Raw {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let id = session_id.unwrap_or_default();
        base_url.join(&format!("session/{id}/{}", self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(|b| b.to_string()),
        )
    }
}

/// Adds a virtual CTAP2 platform authenticator that holds resident keys and verifies its
/// user (as a fingerprint reader would) to the browser; answers its id.
async fn add_authenticator(page: &Page) -> String {
    let id = page
        .client
        .issue_cmd(Raw {
            method: http::Method::POST,
            path: "webauthn/authenticator".into(),
            body: Some(json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
            })),
        })
        .await
        .expect("chromedriver adds a virtual authenticator");
    id.as_str()
        .expect("the authenticator's id is a string")
        .to_string()
}

async fn remove_authenticator(page: &Page, id: &str) {
    page.client
        .issue_cmd(Raw {
            method: http::Method::DELETE,
            path: format!("webauthn/authenticator/{id}"),
            body: None,
        })
        .await
        .expect("chromedriver removes the virtual authenticator");
}

/// Adds a passkey named `name` on the Security page and waits for where it leads.
async fn add_passkey(page: &Page, name: &str, lands_on: &str) {
    page.goto("/account/security").await;
    page.wait_shown("#passkey-register").await;
    page.fill("#passkey-name", name).await;
    page.click("#passkey-register button[type=submit]").await;
    page.wait_for_path(lands_on).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_registers_passkeys_and_logs_in_with_one_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin("pk-admin");
    let reseller = app.reseller("pk-reseller", admin);
    let login = app.customer("pk-owner", reseller);
    diesel::update(users::table.find(login))
        .set(users::name.eq("Alex Morgan"))
        .execute(&mut app.conn())
        .unwrap();
    // localhost, not 127.0.0.1: the relying party id must be a domain name.
    let base = app.address.replace("127.0.0.1", "localhost");
    assert!(base.starts_with("http://localhost:"), "{base}");
    let shots = screenshots();
    let mut audit = Audit::default();
    let driver = Driver::start().await;
    let page = driver.session(&base).await;
    let first = add_authenticator(&page).await;

    // Password alone, then the Security page offers passkeys (the form is shown by script).
    page.goto("/login").await;
    page.fill("#username", "pk-owner").await;
    page.fill("#password", PASSWORD).await;
    page.click("form[action='/login'] button[type=submit]")
        .await;
    page.wait_for_path("/servers").await;
    page.goto("/account/security").await;
    page.wait_shown("#passkey-register").await;
    audit.check(&page, "security page").await;

    // The first passkey turns two-factor on and shows recovery codes once.
    add_passkey(&page, "Laptop", "/account/security/recovery-codes").await;
    let codes = page.texts("#recovery-codes li").await;
    assert_eq!(
        codes.len(),
        10,
        "ten recovery codes come with the first factor"
    );
    // A second device: another authenticator (the first one would be excluded).
    remove_authenticator(&page, &first).await;
    add_authenticator(&page).await;
    page.goto("/account/security").await;
    page.wait_shown("#passkey-register").await;
    page.fill("#passkey-name", "Phone").await;
    page.click("#passkey-register button[type=submit]").await;
    page.wait_until("the second passkey, or an error", || async {
        page.texts("#passkeys tbody td:first-child").await.len() == 2
            || page.shows("#passkey-error").await
    })
    .await;
    let error = page.texts("#passkey-error").await;
    let names = page.texts("#passkeys tbody td:first-child").await;
    assert_eq!(
        names,
        ["Laptop", "Phone"],
        "both listed by name ({error:?})"
    );
    let stored: Vec<String> = passkeys::table
        .filter(passkeys::user_id.eq(login))
        .order(passkeys::id.asc())
        .select(passkeys::name)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(stored, ["Laptop", "Phone"]);
    let added: i64 = audit_log::table
        .filter(audit_log::action.eq("two_factor.passkey_add"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(added, 2, "each passkey added is audited");

    // The authenticator-app set-up page, with its QR code (no script needed there).
    page.click("form[action='/account/security/totp/start'] button")
        .await;
    page.wait_for_path("/account/security/totp/start").await;
    page.find("figure.qr svg").await;
    audit.check(&page, "authenticator set-up").await;
    // Its secret is new on every run: the picture is rewritten only when asked.
    if std::env::var_os("STEWARD_REFRESH_SCREENSHOTS").is_some()
        || !shots.join("two-factor-setup.png").is_file()
    {
        page.screenshot(&shots, "two-factor-setup").await;
    }

    // Log out, log in again: the password leads to the two-factor step, which offers the
    // passkey; the virtual authenticator answers, and the login is complete.
    page.goto("/account/security").await;
    page.click("details.usermenu summary").await;
    page.click(".usermenu-panel form[action='/logout'] button")
        .await;
    page.wait_for_path("/login").await;
    page.fill("#username", "pk-owner").await;
    page.fill("#password", PASSWORD).await;
    page.click("form[action='/login'] button[type=submit]")
        .await;
    page.wait_for_path("/login/two-factor").await;
    page.wait_shown("#passkey-login").await;
    audit.check(&page, "two-factor prompt").await;
    page.screenshot(&shots, "two-factor-prompt").await;
    page.click("#passkey-login button[type=submit]").await;
    page.wait_for_path("/servers").await;

    let used: Vec<(String, Option<chrono::NaiveDateTime>)> = passkeys::table
        .filter(passkeys::user_id.eq(login))
        .order(passkeys::id.asc())
        .select((passkeys::name, passkeys::last_used_at))
        .load(&mut app.conn())
        .unwrap();
    assert!(used[0].1.is_none(), "Laptop was not used: {used:?}");
    assert!(used[1].1.is_some(), "Phone logged in: {used:?}");
    let passed: i64 = login_attempts::table
        .filter(login_attempts::user_id.eq(Some(login)))
        .filter(login_attempts::reason.eq("passkey accepted"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(passed, 1, "the passkey's success is in Login History");

    page.close().await;
    audit.assert_clean();
}
