//! An invitation in the browser: the owner ticks "Invite by email instead of setting a
//! password" in the add-alias-user dialog, the tab shows the login invited, and the
//! invited person opens the mailed link in a window of its own, chooses a password,
//! lands on the login page with a notice and logs in. axe-core checks the accept page.
//! The link is read from the mail as it arrived at the app's SMTP server.

use steward::bootstrap::demo::DEMO_PASSWORD;

use crate::steps::{demo, log_in, user_id, Demo};

const INVITEE: &str = "invitee";
const CHOSEN: &str = "chosen-in-the-browser-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_alias_user_chooses_its_password_through_the_link_in_the_browser() {
    let Demo {
        app,
        driver,
        page: owner,
        mut audit,
    } = demo().await;
    let acme = user_id(&app, "acme");
    log_in(&owner, "acme", DEMO_PASSWORD).await;

    owner.goto(&format!("/users/{acme}/alias-users")).await;
    owner.click("a[data-open-dialog='add-alias']").await;
    owner.wait_shown("dialog#add-alias").await;
    owner.fill("#alias-username", INVITEE).await;
    owner.fill("#alias-email", "invitee@acme.example").await;
    owner.click("#alias-invite").await;
    owner.pick_option("alias-role_id", 2).await;
    owner.click("dialog#add-alias button[type=submit]").await;
    let row = owner
        .find_xpath(&format!("//tbody/tr[td/a[normalize-space(.)='{INVITEE}']]"))
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("Invited") && row.contains("sent"), "{row}");

    let body = app
        .mails_to("invitee@acme.example", 1)
        .await
        .remove(0)
        .text
        .unwrap();
    let link = regex::Regex::new(r"https?://\S+/invitations/[A-Za-z0-9_-]+")
        .unwrap()
        .find(&body)
        .expect("a link in the mail")
        .as_str()
        .to_string();
    let path = link
        .strip_prefix(&app.address)
        .expect("a link to this panel");

    // The invited person, in a window of its own (no session).
    let visitor = driver.session(&app.address).await;
    visitor.goto(path).await;
    let heading = visitor.texts("main").await.join(" ");
    assert!(
        heading.contains(INVITEE),
        "the page names the username: {heading}"
    );
    audit.check(&visitor, "invitation accept page").await;
    visitor.fill("#password", CHOSEN).await;
    visitor
        .click("form[action^='/invitations/'] button[type=submit]")
        .await;
    visitor.wait_for_path("/login?notice=password-set").await;
    assert!(visitor
        .texts(".flash")
        .await
        .iter()
        .any(|t| t.contains("Your password is set")));
    audit
        .check(&visitor, "login page after an invitation")
        .await;
    log_in(&visitor, INVITEE, CHOSEN).await;

    // The link worked once.
    visitor.goto(path).await;
    assert_eq!(visitor.texts(".error-code").await, ["404"]);
    visitor.close().await;
    owner.close().await;
    audit.assert_clean();
}
