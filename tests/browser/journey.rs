//! The seed page's journey in a browser: an account owner logs in, reaches its account
//! page through the "Hi" menu, creates a role with a risky permission (live warning, then
//! the confirmation step), adds an alias user with that role, assigns it two servers found
//! by search, impersonates it to check what it sees, returns, and disables it, which logs
//! out the alias user's own open browser on its next click. The demo data set supplies
//! the accounts and servers, so the screenshots show a lived-in panel.

use diesel::prelude::*;
use steward::bootstrap::demo::DEMO_PASSWORD;
use steward::db::schema::users;

use crate::helpers::PASSWORD;
use crate::steps::{
    demo, listed_servers, log_in, log_out, open_tab, picture_time, screenshots, Demo,
};

const OWNER: &str = "acme";
const ALIAS: &str = "acme-deployer";
const ALIAS_PASSWORD: &str = "deployer-password-1";
const ROLE: &str = "Deployers";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_owner_sets_up_an_alias_user_in_the_browser_as_the_seed_page_describes() {
    let Demo {
        app,
        driver,
        page: owner,
        mut audit,
    } = demo().await;
    let shots = screenshots();

    // The login page, then the owner logs in and goes "Hi, …" → My account.
    owner.goto("/login").await;
    audit.check(&owner, "login").await;
    log_in(&owner, OWNER, DEMO_PASSWORD).await;
    let hi = owner.find("details.usermenu summary").await;
    assert!(hi.text().await.unwrap().starts_with("Hi, "));
    hi.click().await.unwrap();
    owner.wait_shown(".usermenu-panel a").await;
    owner
        .find_xpath("//div[@class='usermenu-panel']/a[normalize-space(.)='My account']")
        .await
        .click()
        .await
        .unwrap();
    owner.find(".tabs").await;
    let account_url = owner.path().await;
    assert!(
        account_url.starts_with("/users/"),
        "My account leads to the account page, not {account_url}"
    );
    audit.check(&owner, "account details").await;

    // Roles tab → + → a role with a risky permission.
    open_tab(&owner, "Roles").await;
    audit.check(&owner, "roles tab").await;
    owner.click(".section-head a.btn-primary").await;
    owner
        .wait_for_path(&format!("{account_url}/roles/new"))
        .await;
    owner.fill("#role-name", ROLE).await;
    owner
        .fill(
            "#role-description",
            "Deploys new systems; no power or rename.",
        )
        .await;
    let perm = |key: &str| format!("input[name=permissions][value='{key}']");
    for common_but_unwanted in ["servers.power", "servers.rename"] {
        let box_ = owner.find(&perm(common_but_unwanted)).await;
        assert!(
            box_.is_selected().await.unwrap(),
            "{common_but_unwanted} is pre-ticked as common"
        );
        owner.click(&perm(common_but_unwanted)).await;
    }
    let warning = "li[data-risk-for='servers.reinstall']";
    assert!(
        !owner.shows(warning).await,
        "no warning before the box is ticked"
    );
    owner.click(&perm("servers.reinstall")).await;
    owner.wait_shown(warning).await;
    assert!(owner.shows("[data-risk-summary]").await);
    assert!(owner
        .find(warning)
        .await
        .text()
        .await
        .unwrap()
        .contains("wipes every disk"));
    // Saving without the confirmation: the editor comes back (422) asking for it.
    owner
        .click("form[data-role-editor] button[type=submit]")
        .await;
    owner.find(".alert-warning").await;
    let page_text = owner.find("main").await.text().await.unwrap();
    assert!(page_text.contains("Confirm the dangerous permissions"));
    assert_eq!(
        owner
            .find("#role-name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(ROLE),
        "the input is kept"
    );
    assert!(owner
        .find(&perm("servers.reinstall"))
        .await
        .is_selected()
        .await
        .unwrap());
    assert!(!owner
        .find(&perm("servers.power"))
        .await
        .is_selected()
        .await
        .unwrap());
    owner.wait_shown(warning).await;
    // The whole page: the request to confirm, the ticked warning and the confirm box.
    owner.screenshot_full(&shots, "role-editor-warnings").await;
    audit
        .check(&owner, "role editor asking for confirmation")
        .await;
    owner
        .click("[data-risk-confirm-for='servers.reinstall'] input[name=confirm_dangerous]")
        .await;
    // A role with a dangerous permission is offered with "require two-factor" ticked; this
    // owner leaves it off, so its alias user logs in below with its password alone (the
    // two-factor journey is tested over HTTP in tests/api/two_factor/).
    let require = owner.find("input[name=require_two_factor]").await;
    assert!(
        require.is_selected().await.unwrap(),
        "two-factor offered for a dangerous role"
    );
    owner.click("input[name=require_two_factor]").await;
    owner
        .click("form[data-role-editor] button[type=submit]")
        .await;
    owner.wait_for_path(&format!("{account_url}/roles")).await;
    let row = owner
        .find_xpath(&format!("//tr[td/a[normalize-space(.)='{ROLE}']]"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("1 risky"),
        "the new role is listed with its risk: {row}"
    );

    // Alias Users tab → + (a native dialog) → an alias user with that role.
    open_tab(&owner, "Alias Users").await;
    owner.click("a[data-open-dialog='add-alias']").await;
    owner.wait_shown("dialog#add-alias").await;
    assert_eq!(
        owner
            .find("dialog#add-alias")
            .await
            .attr("open")
            .await
            .unwrap()
            .as_deref(),
        Some("true"),
        "the create form opens as a dialog, not a page"
    );
    owner.fill("#alias-username", ALIAS).await;
    owner.fill("#alias-email", "deployer@acme.example").await;
    owner.fill("#alias-password", ALIAS_PASSWORD).await;
    owner
        .find_xpath(&format!(
            "//select[@id='alias-role_id']/option[starts-with(normalize-space(.), '{ROLE} ')]"
        ))
        .await
        .click()
        .await
        .unwrap();
    assert!(!owner
        .find("dialog#add-alias input[name=all_servers]")
        .await
        .is_selected()
        .await
        .unwrap());
    owner.screenshot(&shots, "alias-user-create-dialog").await;
    audit.check(&owner, "create alias user dialog").await;
    owner.click("dialog#add-alias button[type=submit]").await;
    let alias_row = format!("//tbody/tr[td/a[normalize-space(.)='{ALIAS}']]");
    let row = owner.find_xpath(&alias_row).await.text().await.unwrap();
    assert!(row.contains(ROLE) && row.contains("Active"), "{row}");

    // Assign Servers: the dialog loads by htmx; search, tick two, assign.
    owner
        .find_xpath(&format!(
            "{alias_row}//a[normalize-space(.)='Assign Servers']"
        ))
        .await
        .click()
        .await
        .unwrap();
    owner.wait_shown("#assign-servers .assign").await;
    owner
        .fill("#assign-servers input[type=search]", "web0")
        .await;
    owner
        .click("#assign-servers form[role=search] button")
        .await;
    owner
        .wait_until("the search result in the dialog", || async {
            let names = owner.texts("#assign-servers tbody td:nth-child(2)").await;
            names.len() == 9 && names.iter().all(|n| n.starts_with("web0"))
        })
        .await;
    let tick = |host: &str| format!("#assign-servers input[aria-label='Select {host}']");
    owner.click(&tick("web02.acme.example.net")).await;
    owner.click(&tick("web03.acme.example.net")).await;
    owner
        .click("#assign-servers button[name=action][value=assign]")
        .await;
    owner
        .wait_until("the two servers shown as assigned", || async {
            owner
                .texts("#assign-servers tbody tr")
                .await
                .iter()
                .filter(|r| r.ends_with("Assigned"))
                .count()
                == 2
        })
        .await;
    let assigned: Vec<String> = owner
        .texts("#assign-servers tbody tr")
        .await
        .into_iter()
        .filter(|r| r.ends_with("Assigned"))
        .collect();
    assert!(
        assigned[0].starts_with("web02") && assigned[1].starts_with("web03"),
        "{assigned:?}"
    );
    owner.screenshot(&shots, "assign-servers-dialog").await;
    audit.check(&owner, "assign servers dialog").await;
    // Closing reloads the tab, so the count is fresh.
    owner.click("#assign-servers [data-close-dialog]").await;
    owner
        .wait_until("the servers count after closing the dialog", || async {
            owner
                .find_xpath(&format!("{alias_row}/td[5]"))
                .await
                .text()
                .await
                .is_ok_and(|t| t.trim() == "2 servers")
        })
        .await;
    owner.screenshot(&shots, "alias-users-tab").await;
    audit.check(&owner, "alias users tab").await;

    // The alias user logs in in its own browser and sees its two servers.
    let alias = driver.session(&app.address).await;
    log_in(&alias, ALIAS, ALIAS_PASSWORD).await;
    assert_eq!(
        listed_servers(&alias).await,
        ["web02.acme.example.net", "web03.acme.example.net"]
    );

    // Impersonate it from the Alias Users table: the banner, its two servers, its buttons.
    owner
        .find_xpath(&format!(
            "{alias_row}//button[normalize-space(.)='Impersonate']"
        ))
        .await
        .click()
        .await
        .unwrap();
    owner.wait_for_path("/servers").await;
    owner.wait_shown(".impersonation-banner").await;
    let banner = owner
        .find(".impersonation-banner")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains(&format!("is acting as {ALIAS}")),
        "{banner}"
    );
    assert_eq!(
        listed_servers(&owner).await,
        ["web02.acme.example.net", "web03.acme.example.net"]
    );
    owner.screenshot(&shots, "impersonation-banner").await;
    audit.check(&owner, "servers while impersonating").await;
    owner
        .find_xpath("//main//a[normalize-space(.)='web02.acme.example.net']")
        .await
        .click()
        .await
        .unwrap();
    owner.find("p.subtitle").await; // only a server page has it
    let buttons = owner.texts("main button, main a.btn, main summary").await;
    assert!(
        buttons.iter().any(|b| b == "Reinstall"),
        "the role's reinstall is offered: {buttons:?}"
    );
    for absent in [
        "Power on",
        "Power off",
        "Reset",
        "Rename",
        "Boot rescue system",
        "Open remote console",
        "Edit",
        "Delete…",
    ] {
        assert!(
            !buttons.iter().any(|b| b == absent),
            "{absent} is outside the role and must not be shown: {buttons:?}"
        );
    }
    owner.screenshot(&shots, "server-page").await;
    audit.check(&owner, "server page while impersonating").await;

    // Return, then disable the alias user.
    owner
        .click(".impersonation-banner button[type=submit]")
        .await;
    owner
        .wait_for_text(".flash", "the welcome back message", |f| {
            f.starts_with("Welcome back")
        })
        .await;
    assert!(!owner.shows(".impersonation-banner").await);
    owner.goto(&format!("{account_url}/alias-users")).await;
    owner
        .find_xpath(&format!(
            "{alias_row}//button[normalize-space(.)='Disable']"
        ))
        .await
        .click()
        .await
        .unwrap();
    owner
        .wait_until("the alias user shown as disabled", || async {
            owner
                .find_xpath(&alias_row)
                .await
                .text()
                .await
                .is_ok_and(|t| t.contains("Disabled"))
        })
        .await;

    // The alias user's open browser is logged out on its next click.
    alias.click("nav.mainnav a[href='/servers']").await;
    alias.wait_for_path("/login").await;
    alias.find("form[action='/login']").await;
    alias.close().await;

    // The rest of the owner's pages get the accessibility check too.
    for (tab, label) in [
        ("Account Details", "account details tab"),
        ("Servers", "account servers tab"),
        ("Activity", "activity tab"),
        ("Login History", "login history tab"),
    ] {
        owner.goto(&account_url).await;
        open_tab(&owner, tab).await;
        audit.check(&owner, label).await;
    }
    owner.goto(&format!("{account_url}/alias-users")).await;
    owner
        .find_xpath(&format!("{alias_row}/td[1]/a"))
        .await
        .click()
        .await
        .unwrap();
    owner.find(".page-head").await;
    audit.check(&owner, "alias user page").await;

    // The admin's Manage Users, in the same window after logging out.
    log_out(&owner).await;
    log_in(&owner, "admin", PASSWORD).await;
    diesel::update(users::table.filter(users::last_login_at.is_not_null()))
        .set(users::last_login_at.eq(Some(picture_time())))
        .execute(&mut app.conn())
        .expect("login times");
    owner.click("nav.mainnav a[href='/users']").await;
    owner.wait_for_path("/users").await;
    let accounts = owner.texts("main table tbody td:first-child a").await;
    assert!(accounts.iter().any(|a| a == OWNER), "{accounts:?}");
    owner.screenshot(&shots, "manage-users").await;
    audit.check(&owner, "manage users").await;
    owner.click("nav.mainnav a[href='/audit']").await;
    owner.wait_for_path("/audit").await;
    audit.check(&owner, "audit log").await;
    owner.close().await;

    audit.assert_clean();
}
