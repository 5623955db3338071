//! Safe by default, in a browser: destructive actions ask in a native dialog
//! (Cancel changes nothing), a reinstall wants the hostname typed, the Assign Servers
//! dialog shows its messages and keeps the list when "all servers" goes off, reloading
//! the API key page keeps one key and hides the secret, the add-alias-user form reports
//! every problem in one round, and at phone width (390×844) no main page is wider than
//! the screen and axe-core finds nothing serious.

use diesel::prelude::*;
use steward::bootstrap::demo::DEMO_PASSWORD;
use steward::db::schema::{api_keys, servers};

use crate::driver::Page;
use crate::helpers::TestApp;
use crate::steps::{demo, log_in, screenshots, user_id, Demo};

fn server_id(app: &TestApp, hostname: &str) -> i32 {
    servers::table
        .filter(servers::hostname.eq(hostname))
        .select(servers::id)
        .first(&mut app.conn())
        .expect("demo server")
}

fn server_state(app: &TestApp, id: i32) -> (String, String) {
    servers::table
        .find(id)
        .select((servers::power_state, servers::status))
        .first(&mut app.conn())
        .expect("server")
}

/// Whether the confirmation dialog is open (modal).
async fn dialog_open(page: &Page) -> bool {
    page.client
        .execute(
            "return document.getElementById('confirm-dialog').open;",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

async fn wait_dialog(page: &Page, open: bool) {
    page.wait_until("the confirmation dialog", || async {
        dialog_open(page).await == open
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_actions_ask_first_and_nothing_is_lost_silently_in_the_browser() {
    let Demo {
        app,
        page: owner,
        mut audit,
        // Held to the end: dropping the driver ends its Chromium.
        driver: _driver,
    } = demo().await;
    let shots = screenshots();
    log_in(&owner, "acme", DEMO_PASSWORD).await;
    let acme = user_id(&app, "acme");

    // Power off asks in a native dialog; Cancel changes nothing.
    let web01 = server_id(&app, "web01.acme.example.net");
    owner.goto(&format!("/servers/{web01}")).await;
    assert!(
        !owner
            .texts("main button")
            .await
            .iter()
            .any(|b| b == "Power on"),
        "a running server is not offered Power on"
    );
    owner
        .click("form[action$='/power'] button.btn-danger")
        .await;
    wait_dialog(&owner, true).await;
    let title = owner.texts("#confirm-dialog h2").await;
    assert_eq!(title, ["Power off web01.acme.example.net?"]);
    owner.screenshot(&shots, "confirm-power-off").await;
    audit.check(&owner, "confirmation dialog").await;
    owner.click("#confirm-dialog [data-confirm-cancel]").await;
    wait_dialog(&owner, false).await;
    assert_eq!(server_state(&app, web01).0, "on", "Cancel changes nothing");
    // Confirmed, it runs.
    owner
        .click("form[action$='/power'] button.btn-danger")
        .await;
    wait_dialog(&owner, true).await;
    owner.click("#confirm-dialog [data-confirm-ok]").await;
    owner
        .wait_for_text(".flash", "the power-off message", |f| {
            f.starts_with("Power off sent")
        })
        .await;
    assert_eq!(server_state(&app, web01).0, "off");
    assert!(owner
        .texts("main button")
        .await
        .iter()
        .any(|b| b == "Power on"));

    // A reinstall wants the hostname typed: the button waits for it.
    let web02 = server_id(&app, "web02.acme.example.net");
    owner.goto(&format!("/servers/{web02}")).await;
    owner
        .click("form[action$='/reinstall'] button[type=submit]")
        .await;
    wait_dialog(&owner, true).await;
    let ok = owner.find("#confirm-dialog [data-confirm-ok]").await;
    assert!(!ok.is_enabled().await.unwrap(), "nothing typed yet");
    owner.fill("#confirm-dialog-input", "web02").await;
    assert!(!ok.is_enabled().await.unwrap(), "not the hostname");
    owner
        .fill("#confirm-dialog-input", "web02.acme.example.net")
        .await;
    assert!(ok.is_enabled().await.unwrap());
    owner.screenshot(&shots, "confirm-reinstall").await;
    ok.click().await.unwrap();
    owner.wait_shown("#reinstall-progress").await;
    assert_eq!(server_state(&app, web02).1, "reinstalling");
    let polls = owner
        .find("#reinstall-progress")
        .await
        .attr("hx-trigger")
        .await
        .unwrap();
    assert_eq!(
        polls.as_deref(),
        Some("every 2s"),
        "the page polls for progress"
    );

    // Assign Servers: Assign waits for a tick, "select all" ticks the page, messages show
    // in the dialog, and "all servers" on then off keeps the list.
    let ops = user_id(&app, "acme-ops");
    let before = app.assigned(ops);
    assert!(!before.is_empty());
    owner.goto(&format!("/users/{acme}/alias-users")).await;
    owner
        .click(&format!(
            "#alias-{ops} a[data-open-dialog='assign-servers']"
        ))
        .await;
    owner.wait_shown("#assign-servers .assign").await;
    let assign = "#assign-servers button[name=action][value=assign]";
    owner
        .wait_until("Assign disabled until something is ticked", || async {
            !owner.find(assign).await.is_enabled().await.unwrap_or(true)
        })
        .await;
    owner.click("#assign-servers [data-select-all]").await;
    assert!(owner.find(assign).await.is_enabled().await.unwrap());
    let ticked: Vec<bool> = {
        let mut out = Vec::new();
        for b in owner
            .client
            .find_all(fantoccini::Locator::Css(
                "#assign-servers input[name=server_id]",
            ))
            .await
            .unwrap()
        {
            out.push(b.is_selected().await.unwrap());
        }
        out
    };
    assert!(
        !ticked.is_empty() && ticked.iter().all(|t| *t),
        "all on the page"
    );
    owner.click("#assign-servers [data-select-all]").await;
    assert!(!owner.find(assign).await.is_enabled().await.unwrap());
    owner
        .click("#assign-servers .all-servers-switch button.btn:not(.btn-danger)")
        .await;
    owner
        .wait_for_text(
            "#assign-servers .assign-messages",
            "the switch-on message inside the dialog",
            |t| t.contains("now reaches all servers"),
        )
        .await;
    owner
        .click("#assign-servers .all-servers-switch button.btn:not(.btn-danger)")
        .await;
    owner
        .wait_for_text(
            "#assign-servers .assign-messages",
            "the switch-off message inside the dialog",
            |t| t.contains("which are kept"),
        )
        .await;
    assert_eq!(
        app.assigned(ops),
        before,
        "all servers on then off keeps the list"
    );
    audit
        .check(&owner, "assign servers dialog with a message")
        .await;
    // "Remove every server" asks first; Cancel keeps everything.
    owner
        .click("#assign-servers .all-servers-switch button.btn-danger")
        .await;
    wait_dialog(&owner, true).await;
    owner.click("#confirm-dialog [data-confirm-cancel]").await;
    wait_dialog(&owner, false).await;
    assert_eq!(app.assigned(ops), before);
    owner.click("#assign-servers [data-close-dialog]").await;

    // Deleting an alias user asks too.
    let former = user_id(&app, "acme-former");
    owner.goto(&format!("/users/{acme}/alias-users")).await;
    owner
        .click(&format!("#alias-{former} details.row-menu summary"))
        .await;
    owner
        .click(&format!("#alias-{former} form[action$='/delete'] button"))
        .await;
    wait_dialog(&owner, true).await;
    owner.click("#confirm-dialog [data-confirm-ok]").await;
    owner
        .wait_until("the alias user gone", || async {
            !owner.shows(&format!("#alias-{former}")).await
                && owner
                    .texts(".flash")
                    .await
                    .iter()
                    .any(|f| f.contains("deleted"))
        })
        .await;
    assert!(app.user(former).is_none());

    // The add-alias-user form: every problem in one round, with a summary at the top.
    owner.click("a[data-open-dialog='add-alias']").await;
    owner.wait_shown("dialog#add-alias").await;
    owner.fill("#alias-username", "acme-ops").await;
    owner.fill("#alias-email", "second@acme.example").await;
    owner
        .fill("#alias-password", "a-long-enough-password")
        .await;
    owner.pick_option("alias-role_id", 2).await;
    owner
        .client
        .execute(
            "document.getElementById('alias-expires_at').value = '2020-01-01';",
            vec![],
        )
        .await
        .unwrap();
    owner.click("dialog#add-alias button[type=submit]").await;
    owner.wait_shown("dialog#add-alias .error-summary").await;
    let summary = owner.texts("dialog#add-alias .error-summary li").await;
    assert!(
        summary.iter().any(|s| s.contains("username is taken"))
            && summary.iter().any(|s| s.contains("after today"))
            && summary
                .iter()
                .any(|s| s.contains("Type the password again")),
        "one round: {summary:?}"
    );
    for field in ["#alias-username", "#alias-expires_at"] {
        let invalid = owner.find(field).await.attr("aria-invalid").await.unwrap();
        assert_eq!(invalid.as_deref(), Some("true"), "{field}");
    }
    owner
        .screenshot(&shots, "alias-user-errors-one-round")
        .await;
    audit.check(&owner, "add alias user with errors").await;

    // An API key: the page after the POST shows it once; a reload shows no secret and
    // makes no second key.
    owner.goto(&format!("/users/{acme}/api-keys")).await;
    owner.fill("#name", "browser key").await;
    owner
        .click("form[action$='/api-keys'] button[type=submit]")
        .await;
    owner.wait_shown("#new-api-key").await;
    owner.client.refresh().await.unwrap();
    owner.find("main table").await;
    assert!(!owner.shows("#new-api-key").await, "shown only once");
    let keys: i64 = api_keys::table
        .filter(api_keys::user_id.eq(acme))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(keys, 1, "a reload makes no second key");

    owner.close().await;
    audit.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_phone_width_no_main_page_is_wider_than_the_screen() {
    let Demo {
        app,
        page: phone,
        mut audit,
        // Held to the end: dropping the driver ends its Chromium.
        driver: _driver,
    } = demo().await;
    let shots = screenshots();
    phone.client.set_window_size(390, 844).await.unwrap();
    log_in(&phone, "acme", DEMO_PASSWORD).await;
    let acme = user_id(&app, "acme");
    let ops = user_id(&app, "acme-ops");
    let web01 = server_id(&app, "web01.acme.example.net");
    let pages = [
        ("/servers".to_string(), "servers"),
        (format!("/servers/{web01}"), "server page"),
        (format!("/users/{acme}"), "account details"),
        (format!("/users/{acme}/servers"), "account servers tab"),
        (format!("/users/{acme}/alias-users"), "alias users tab"),
        (
            format!("/users/{acme}/alias-users/{ops}"),
            "alias user page",
        ),
        (
            format!("/users/{acme}/alias-users/{ops}/servers"),
            "assign servers page",
        ),
        (format!("/users/{acme}/roles"), "roles tab"),
        (format!("/users/{acme}/roles/new"), "role editor"),
        (format!("/users/{acme}/ssh-keys"), "ssh keys"),
        (format!("/users/{acme}/api-keys"), "api keys"),
        (format!("/users/{acme}/activity"), "activity"),
        (format!("/users/{acme}/logins"), "login history"),
    ];
    let mut too_wide = Vec::new();
    for (path, label) in &pages {
        phone.goto(path).await;
        phone.find("main").await;
        let (scroll, inner): (i64, i64) = serde_json::from_value(
            phone
                .client
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(inner <= 400, "the window is phone-sized: {inner}");
        if scroll > inner {
            too_wide.push(format!("{label} ({path}): {scroll} > {inner}"));
        }
        audit.check(&phone, &format!("{label} at 390 px")).await;
        match *label {
            "alias users tab" => phone.screenshot(&shots, "phone-alias-users").await,
            "server page" => phone.screenshot(&shots, "phone-server-page").await,
            _ => {}
        }
    }
    // The alias users table's actions are reachable: the row's buttons are on screen.
    phone.goto(&format!("/users/{acme}/alias-users")).await;
    let right: f64 = serde_json::from_value(
        phone
            .client
            .execute(
                "return Math.max(...Array.from(document.querySelectorAll(arguments[0]))
                    .map(e => e.getBoundingClientRect().right));",
                vec![serde_json::Value::String(format!(
                    "#alias-{ops} .actions .btn"
                ))],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(right <= 390.0, "row actions within the screen: {right}");
    phone.close().await;
    assert!(too_wide.is_empty(), "wider than the screen: {too_wide:?}");
    audit.assert_clean();
}
