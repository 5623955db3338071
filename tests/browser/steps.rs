//! The journey's building blocks: its fixtures (the demo data set with fixed dates) and
//! the steps a person repeats (log in and out, open an account tab, read the servers list).

use std::path::PathBuf;

use diesel::prelude::*;
use steward::bootstrap::demo;
use steward::db::schema::{servers, users};

use crate::axe::Audit;
use crate::driver::{Driver, Page};
use crate::helpers::{spawn_app, TestApp};

pub fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

/// An admin plus the demo data set: a reseller, its customers acme and globex (acme with
/// servers web01..web10.acme.example.net and the roles Support, Operations, Read only).
pub fn fixtures(app: &TestApp) {
    let admin = app.admin("admin");
    diesel::update(users::table.find(admin))
        .set(users::name.eq("Site Admin"))
        .execute(&mut app.conn())
        .expect("admin name");
    demo::load(&mut app.conn(), admin).expect("demo data");
    diesel::update(servers::table)
        .set(servers::created_at.eq(picture_time()))
        .execute(&mut app.conn())
        .expect("server dates");
}

/// Where the demo-data browser tests start: the panel on SQLite with `fixtures` loaded,
/// Chromium with one window on it (`page`, not logged in), and an accessibility audit to
/// feed. SQLite only: the HTTP suite covers both backends, these cover the browser.
pub struct Demo {
    pub app: TestApp,
    /// More windows (`driver.session`); bind it for the whole test, since dropping it
    /// ends Chromium and every window with it.
    pub driver: Driver,
    pub page: Page,
    pub audit: Audit,
}

pub async fn demo() -> Demo {
    let app = spawn_app(steward::db::Backend::Sqlite).await;
    fixtures(&app);
    let driver = Driver::start().await;
    let page = driver.session(&app.address).await;
    Demo {
        app,
        driver,
        page,
        audit: Audit::default(),
    }
}

/// The id of the login `username` (a demo login, or one a test made).
pub fn user_id(app: &TestApp, username: &str) -> i32 {
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(&mut app.conn())
        .expect("demo login")
}

/// The time the screenshots show wherever a page prints one, so that a run rewrites the
/// committed pictures with the same pixels instead of leaving a diff behind.
pub fn picture_time() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("a valid date")
}

/// Logs in through the login form and waits for the landing page.
pub async fn log_in(page: &Page, username: &str, password: &str) {
    page.goto("/login").await;
    page.fill("#username", username).await;
    page.fill("#password", password).await;
    page.click("form[action='/login'] button[type=submit]")
        .await;
    page.wait_for_path("/servers").await;
}

pub async fn log_out(page: &Page) {
    page.click("details.usermenu summary").await;
    page.click(".usermenu-panel form[action='/logout'] button")
        .await;
    page.wait_for_path("/login").await;
}

/// The hostnames in the first column of the servers table.
pub async fn listed_servers(page: &Page) -> Vec<String> {
    let mut names = page.texts("main table tbody tr td:first-child a").await;
    names.sort();
    names
}

/// Clicks a tab of the account page by its label.
pub async fn open_tab(page: &Page, label: &str) {
    page.find_xpath(&format!(
        "//nav[@class='tabs']/a[normalize-space(.)='{label}']"
    ))
    .await
    .click()
    .await
    .expect("click tab");
    page.wait_until(&format!("the {label} tab"), || async {
        page.texts(".tabs a[aria-current=page]").await == [label]
    })
    .await;
}
