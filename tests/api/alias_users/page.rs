//! The Alias Users tab and an alias user's page: what they tell the owner, who reaches
//! what, and the no-escalation rules on every change made there.

use diesel::prelude::*;
use steward::db::schema::users;
use steward::models::now;

use crate::helpers::{assert_redirect_to, assert_says, Browser, TestApp, PASSWORD};

/// A customer with a role "Ops" (common permissions), two servers, and the owner logged in.
struct Setup {
    account: i32,
    ops: i32,
    web1: i32,
    web2: i32,
    owner: Browser,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin("boss");
    let account = app.customer("acme", admin);
    let ops = app
        .role(account, "Ops")
        .perms(&["servers.view", "servers.power", "servers.rename"])
        .create();
    let web1 = app.server("web1.acme.test").owned_by(account).create();
    let web2 = app.server("web2.acme.test").owned_by(account).create();
    let owner = app.login("acme").await;
    Setup {
        account,
        ops,
        web1,
        web2,
        owner,
    }
}

impl Setup {
    /// The account's Alias Users tab.
    fn tab(&self) -> String {
        format!("/users/{}/alias-users", self.account)
    }
    /// An alias user's page.
    fn page(&self, alias: i32) -> String {
        format!("{}/{alias}", self.tab())
    }
    /// One of an alias user's actions (`role`, `servers`, `disable`, ...).
    fn action(&self, alias: i32, action: &str) -> String {
        format!("{}/{alias}/{action}", self.tab())
    }
    /// `b` submits the tab's create form: `username` (its mail at alias.test, a valid
    /// password), the role `role` and the fields `more`.
    async fn create(
        &self,
        b: &Browser,
        username: &str,
        role: &str,
        more: &[(&str, &str)],
    ) -> reqwest::Response {
        let email = format!("{username}@alias.test");
        let mut form = vec![
            ("username", username),
            ("email", &email),
            ("password", PASSWORD),
            ("role_id", role),
        ];
        form.extend_from_slice(more);
        b.post(&self.tab(), &form).await
    }
    /// A role "Viewer" holding `servers.view` only, and an alias user "viewer" with it.
    fn viewer(&self, app: &TestApp) -> (i32, i32) {
        let role = app
            .role(self.account, "Viewer")
            .perms(&["servers.view"])
            .create();
        (role, app.alias("viewer", self.account).role(role).create())
    }
    /// An alias user "helper" with the Ops role on all servers, logged in.
    async fn helper_on_all_servers(&self, app: &TestApp) -> (i32, Browser) {
        let a = app
            .alias("helper", self.account)
            .role(self.ops)
            .all_servers(true)
            .create();
        (a, app.login("helper").await)
    }
}

/// How many servers a page of the assign-servers dialog offers.
fn server_choices(html: &str) -> usize {
    html.matches("name=\"server_id\"").count()
}

fn servers_page_lists(html: &str, hostname: &str) -> bool {
    html.contains(hostname)
}

backend_tests!(
    the_alias_users_tab_warns_that_alias_users_share_the_parents_environment,
    an_owner_creates_an_alias_user_with_a_role_and_it_logs_in_on_the_same_form,
    an_alias_user_reaches_its_assigned_servers_or_all_servers_of_the_account,
    the_assign_servers_dialog_searches_and_pages_through_ten_thousand_servers,
    a_role_change_applies_on_the_next_request_of_an_open_alias_session,
    unassigning_a_server_takes_effect_on_the_next_request,
    a_disabled_alias_user_is_logged_out_at_once_and_enabling_lets_it_back,
    an_expired_alias_user_cannot_log_in_and_its_open_session_ends,
    disabling_the_parent_account_shuts_out_its_alias_users,
    a_deleted_alias_user_cannot_log_in,
    an_alias_manager_cannot_grant_a_role_above_its_own_rights,
    an_alias_manager_cannot_assign_a_server_it_cannot_reach,
    an_alias_manager_cannot_grant_all_servers_without_holding_it,
    an_alias_manager_cannot_act_on_itself_or_on_a_stronger_alias,
    another_accounts_alias_ids_are_404,
    the_alias_user_page_shows_its_effective_access,
    changing_a_role_shows_what_the_alias_user_gains_and_loses,
    usernames_are_unique_across_accounts_and_alias_users,
    invalid_create_input_gives_422_with_the_input_kept,
    resetting_an_alias_password_ends_its_sessions,
    my_account_of_an_alias_user_is_its_own_page,
);

async fn the_alias_users_tab_warns_that_alias_users_share_the_parents_environment(app: TestApp) {
    let s = setup(&app).await;
    let page = s.owner.get_html(&s.tab()).await;
    assert!(page.contains("alias users must not be used to give servers to customers"));
    assert!(page.contains("share the environment"));
    assert!(page.contains("create a customer account"));
    // The create dialog repeats it (the callout appears twice: tab and dialog).
    assert_eq!(
        page.matches("must not be used to give servers to customers")
            .count(),
        2
    );
    // The tab is in the account's tab bar.
    let details = s.owner.get_html(&format!("/users/{}", s.account)).await;
    assert!(details.contains(&format!("href=\"/users/{}/alias-users\"", s.account)));
}

async fn an_owner_creates_an_alias_user_with_a_role_and_it_logs_in_on_the_same_form(app: TestApp) {
    let s = setup(&app).await;
    let ops = s.ops.to_string();
    let res = s
        .create(&s.owner, "helper", &ops, &[("expires_at", "2099-01-01")])
        .await;
    assert_redirect_to(&res, &s.tab());
    let alias = app.user_named("helper").unwrap();
    assert_eq!(alias.kind, "alias");
    assert_eq!(alias.parent_id, Some(s.account));
    assert_eq!(alias.role_id, Some(s.ops));
    assert!(!alias.all_servers);
    let tab = s.owner.get_html(&s.tab()).await;
    assert!(tab.contains(">helper</a>") && tab.contains("Ops") && tab.contains("0 servers"));
    let b = app.browser();
    assert_redirect_to(&b.login("helper", PASSWORD).await, "/servers");
}

async fn an_alias_user_reaches_its_assigned_servers_or_all_servers_of_the_account(app: TestApp) {
    let s = setup(&app).await;
    let a = app.alias("helper", s.account).role(s.ops).create();
    let helper = app.login("helper").await;
    let list = helper.get_html("/servers").await;
    assert!(
        !servers_page_lists(&list, "web1.acme.test")
            && !servers_page_lists(&list, "web2.acme.test")
    );

    let path = s.action(a, "servers");
    let w1 = s.web1.to_string();
    assert_redirect_to(
        &s.owner
            .post(&path, &[("action", "assign"), ("server_id", &w1)])
            .await,
        &format!("{path}?page=1"),
    );
    let list = helper.get_html("/servers").await;
    assert!(
        servers_page_lists(&list, "web1.acme.test") && !servers_page_lists(&list, "web2.acme.test")
    );

    s.owner.post(&path, &[("action", "all")]).await;
    let list = helper.get_html("/servers").await;
    assert!(
        servers_page_lists(&list, "web1.acme.test") && servers_page_lists(&list, "web2.acme.test")
    );
    // A server added to the account later is reached too.
    app.server("web3.acme.test").owned_by(s.account).create();
    assert!(servers_page_lists(
        &helper.get_html("/servers").await,
        "web3.acme.test"
    ));

    s.owner
        .post(&path, &[("action", "none"), ("confirm", "yes")])
        .await;
    assert!(!servers_page_lists(
        &helper.get_html("/servers").await,
        "web1.acme.test"
    ));
    assert!(app.assigned(a).is_empty());
}

async fn the_assign_servers_dialog_searches_and_pages_through_ten_thousand_servers(app: TestApp) {
    let s = setup(&app).await;
    app.many_servers(s.account, 10_000);
    let a = app.alias("helper", s.account).role(s.ops).create();
    let path = s.action(a, "servers");
    let first = s.owner.get_html(&path).await;
    assert!(
        first.contains("Page 1 of 201"),
        "10,002 servers in pages of 50"
    );
    assert_eq!(server_choices(&first), 50);
    let last = s.owner.get_html(&format!("{path}?page=201")).await;
    assert_eq!(server_choices(&last), 2);
    let found = s.owner.get_html(&format!("{path}?q=srv09999")).await;
    assert!(found.contains("srv09999.example.net"));
    assert_eq!(server_choices(&found), 1);
    let by_ip = s.owner.get_html(&format!("{path}?q=10.0.39.15")).await;
    // The echoed query holds the address too: only the hostname proves the match.
    assert!(
        by_ip.contains("srv09999.example.net"),
        "found by its address"
    );
    assert_eq!(server_choices(&by_ip), 1);
    // A search is paged without counting every match: 5,000 odd servers are 100 pages.
    let tagged = s.owner.get_html(&format!("{path}?q=odd")).await;
    assert_eq!(server_choices(&tagged), 50);
    assert!(tagged.contains("?page=2"), "a next page");
    let last = s.owner.get_html(&format!("{path}?q=odd&page=100")).await;
    assert_eq!(server_choices(&last), 50);
    assert!(!last.contains("?page=101"), "no page after the last");
    assert!(last.contains("?page=99"), "a previous page");
    // The htmx request gets the dialog's content only.
    let fragment = s.owner.htmx_get(&path).await.text().await.unwrap();
    assert!(fragment.contains("Assign Servers to helper") && !fragment.contains("<html"));
}

async fn a_role_change_applies_on_the_next_request_of_an_open_alias_session(app: TestApp) {
    let s = setup(&app).await;
    let none = app.role(s.account, "Nothing").perms(&[]).create();
    let (a, helper) = s.helper_on_all_servers(&app).await;
    assert_status!(helper.get("/servers").await, 200);
    let none_s = none.to_string();
    assert_status!(
        s.owner
            .post(&s.action(a, "role"), &[("role_id", &none_s)])
            .await,
        303
    );
    assert_status!(helper.get("/servers").await, 403, "servers.view is gone");
}

async fn unassigning_a_server_takes_effect_on_the_next_request(app: TestApp) {
    let s = setup(&app).await;
    let a = app.alias("helper", s.account).role(s.ops).create();
    app.assign(a, s.web1);
    app.assign(a, s.web2);
    let helper = app.login("helper").await;
    assert!(servers_page_lists(
        &helper.get_html("/servers").await,
        "web2.acme.test"
    ));
    let w2 = s.web2.to_string();
    s.owner
        .post(
            &s.action(a, "servers"),
            &[("action", "unassign"), ("server_id", &w2)],
        )
        .await;
    let list = helper.get_html("/servers").await;
    assert!(
        servers_page_lists(&list, "web1.acme.test") && !servers_page_lists(&list, "web2.acme.test")
    );
    assert_eq!(app.assigned(a), vec![s.web1]);
}

async fn a_disabled_alias_user_is_logged_out_at_once_and_enabling_lets_it_back(app: TestApp) {
    let s = setup(&app).await;
    let (a, helper) = s.helper_on_all_servers(&app).await;
    assert_status!(helper.get("/servers").await, 200);
    let res = s.owner.post(&s.action(a, "disable"), &[]).await;
    assert_redirect_to(&res, &format!("{}#alias-{a}", s.tab()));
    assert_redirect_to(&helper.get("/servers").await, "/login");
    assert_status!(app.browser().login("helper", PASSWORD).await, 422);
    assert!(s.owner.get_html(&s.tab()).await.contains("status-disabled"));
    s.owner.post(&s.action(a, "enable"), &[]).await;
    assert_status!(app.browser().login("helper", PASSWORD).await, 303);
}

async fn an_expired_alias_user_cannot_log_in_and_its_open_session_ends(app: TestApp) {
    let s = setup(&app).await;
    let (a, helper) = s.helper_on_all_servers(&app).await;
    assert_status!(helper.get("/servers").await, 200);
    let today = now().date();
    diesel::update(users::table.find(a))
        .set(users::expires_on.eq(Some(today)))
        .execute(&mut app.conn())
        .unwrap();
    assert_redirect_to(&helper.get("/servers").await, "/login");
    assert_status!(app.browser().login("helper", PASSWORD).await, 422);
    assert!(s.owner.get_html(&s.tab()).await.contains("status-expired"));
    // An expiry in the past cannot be set when creating one.
    let ops = s.ops.to_string();
    assert_status!(
        s.create(&s.owner, "late", &ops, &[("expires_at", "2001-01-01")])
            .await,
        422
    );
}

async fn disabling_the_parent_account_shuts_out_its_alias_users(app: TestApp) {
    let s = setup(&app).await;
    app.alias("helper", s.account)
        .role(s.ops)
        .all_servers(true)
        .create();
    let helper = app.login("helper").await;
    assert_status!(helper.get("/servers").await, 200);
    let boss = app.login("boss").await;
    assert_status!(
        boss.post(
            &format!("/users/{}", s.account),
            &[
                ("form", "profile"),
                ("name", "Acme"),
                ("email", "acme@example.com"),
                ("status", "disabled"),
            ],
        )
        .await,
        303
    );
    assert_redirect_to(&helper.get("/servers").await, "/login");
    assert_status!(app.browser().login("helper", PASSWORD).await, 422);
}

async fn a_deleted_alias_user_cannot_log_in(app: TestApp) {
    let s = setup(&app).await;
    let a = app.alias("helper", s.account).role(s.ops).create();
    app.assign(a, s.web1);
    let helper = app.login("helper").await;
    let res = s
        .owner
        .post(&s.action(a, "delete"), &[("confirm", "yes")])
        .await;
    assert_redirect_to(&res, &s.tab());
    assert!(app.user(a).is_none());
    assert!(app.assigned(a).is_empty());
    assert_redirect_to(&helper.get("/servers").await, "/login");
    assert_status!(app.browser().login("helper", PASSWORD).await, 422);
}

/// A customer account with an alias manager holding alias_users.manage + servers.view only,
/// reaching web1 only.
async fn manager_setup(app: &TestApp) -> (Setup, i32, Browser) {
    let s = setup(app).await;
    let m = app
        .alias("manager", s.account)
        .perms(&["alias_users.manage", "servers.view"])
        .create();
    app.assign(m, s.web1);
    let b = app.login("manager").await;
    (s, m, b)
}

async fn an_alias_manager_cannot_grant_a_role_above_its_own_rights(app: TestApp) {
    let (s, _m, mgr) = manager_setup(&app).await;
    let ops = s.ops.to_string(); // holds servers.power and servers.rename, which the manager lacks
    assert_status!(s.create(&mgr, "newbie", &ops, &[]).await, 403);
    assert!(app.user_named("newbie").is_none());
    // Nor may it move an alias it manages to that role.
    let (viewer, v) = s.viewer(&app);
    assert_status!(
        mgr.post(&s.action(v, "role"), &[("role_id", &ops)]).await,
        403
    );
    assert_eq!(app.user(v).unwrap().role_id, Some(viewer));
    // The dialog does not offer it.
    let tab = mgr.get_html(&s.tab()).await;
    assert!(!tab.contains(&format!("<option value=\"{}\"", s.ops)));
    // A role within its rights is fine.
    let viewer_s = viewer.to_string();
    assert_status!(s.create(&mgr, "newbie", &viewer_s, &[]).await, 303);
}

async fn an_alias_manager_cannot_assign_a_server_it_cannot_reach(app: TestApp) {
    let (s, _m, mgr) = manager_setup(&app).await;
    let (_, v) = s.viewer(&app);
    let path = s.action(v, "servers");
    let (w1, w2) = (s.web1.to_string(), s.web2.to_string());
    assert_status!(
        mgr.post(
            &path,
            &[("action", "assign"), ("server_id", &w1), ("server_id", &w2)],
        )
        .await,
        404,
        "web2 is outside the manager's reach"
    );
    assert!(app.assigned(v).is_empty(), "nothing changed, not even web1");
    // Another account's server is just as absent.
    let other = app.customer("globex", app.admin("boss2"));
    let foreign = app
        .server("db.globex.test")
        .owned_by(other)
        .create()
        .to_string();
    assert_status!(
        mgr.post(&path, &[("action", "assign"), ("server_id", &foreign)])
            .await,
        404
    );
    // The dialog lists only what it reaches.
    let dialog = mgr.get_html(&path).await;
    assert!(dialog.contains("web1.acme.test") && !dialog.contains("web2.acme.test"));
    assert_status!(
        mgr.post(&path, &[("action", "assign"), ("server_id", &w1)])
            .await,
        303
    );
    assert_eq!(app.assigned(v), vec![s.web1]);
}

async fn an_alias_manager_cannot_grant_all_servers_without_holding_it(app: TestApp) {
    let (s, _m, mgr) = manager_setup(&app).await;
    let (viewer, v) = s.viewer(&app);
    assert_status!(
        mgr.post(&s.action(v, "servers"), &[("action", "all")])
            .await,
        403
    );
    assert!(!app.user(v).unwrap().all_servers);
    let viewer_s = viewer.to_string();
    assert_status!(
        s.create(&mgr, "wide", &viewer_s, &[("all_servers", "on")])
            .await,
        403
    );
    assert!(app.user_named("wide").is_none());
}

async fn an_alias_manager_cannot_act_on_itself_or_on_a_stronger_alias(app: TestApp) {
    let (s, m, mgr) = manager_setup(&app).await;
    let base = s.tab();
    // Itself: role, servers, status, password reset, delete.
    let ops = s.ops.to_string();
    let w2 = s.web2.to_string();
    for (path, fields) in [
        (format!("{base}/{m}/role"), vec![("role_id", ops.as_str())]),
        (
            format!("{base}/{m}/servers"),
            vec![("action", "assign"), ("server_id", w2.as_str())],
        ),
        (format!("{base}/{m}/servers"), vec![("action", "all")]),
        (format!("{base}/{m}/disable"), vec![]),
        (format!("{base}/{m}/delete"), vec![]),
    ] {
        assert_status!(mgr.post(&path, &fields).await, 403, "{path}");
    }
    // Its own password only changes with the current one (no reset through alias management).
    assert_status!(
        mgr.post(
            &format!("{base}/{m}/password"),
            &[("password", "a-new-password-1")],
        )
        .await,
        422
    );
    assert_status!(app.browser().login("manager", PASSWORD).await, 303);
    assert!(app.user(m).is_some_and(|u| !u.disabled && !u.all_servers));
    // A stronger sibling: more permissions (Ops) on a server, or all servers. (Rights are
    // pairs of permission and server: Ops on no server at all would hold nothing beyond
    // the manager's rights.)
    let strong = app.alias("strong", s.account).role(s.ops).create();
    app.assign(strong, s.web1);
    let wide = app
        .alias("wide", s.account)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    for target in [strong, wide] {
        for action in ["disable", "delete"] {
            assert_status!(
                mgr.post(&format!("{base}/{target}/{action}"), &[]).await,
                403,
                "{action} on {target}"
            );
        }
        assert_status!(
            mgr.post(
                &format!("{base}/{target}/password"),
                &[("password", "a-new-password-1")],
            )
            .await,
            403
        );
    }
    assert!(app.user(strong).is_some_and(|u| !u.disabled));
    assert!(app.user(wide).is_some_and(|u| !u.disabled));
    // The tab offers no actions on them.
    let tab = mgr.get_html(&base).await;
    assert!(!tab.contains(&format!("{base}/{strong}/disable")));
    assert!(!tab.contains(&format!("{base}/{m}/disable")));
}

async fn another_accounts_alias_ids_are_404(app: TestApp) {
    let s = setup(&app).await;
    let other = app.customer("globex", app.admin("boss2"));
    let theirs = app.alias("theirs", other).perms(&["servers.view"]).create();
    let mine_base = s.page(theirs);
    for path in [mine_base.clone(), format!("{mine_base}/servers")] {
        assert_status!(s.owner.get(&path).await, 404, "{path}");
    }
    for action in ["role", "password", "disable", "enable", "delete", "servers"] {
        assert_status!(
            s.owner
                .post(
                    &format!("{mine_base}/{action}"),
                    &[
                        ("role_id", "1"),
                        ("password", "x-long-password"),
                        ("action", "none"),
                    ],
                )
                .await,
            404,
            "{action}"
        );
    }
    // Through the other account's URL it is 404 too (not visible to acme).
    assert_status!(
        s.owner
            .get(&format!("/users/{other}/alias-users/{theirs}"))
            .await,
        404
    );
    assert_status!(
        s.owner.get(&format!("/users/{other}/alias-users")).await,
        404
    );
    assert!(app.user(theirs).is_some_and(|u| !u.disabled));
    // Garbage ids are 404 as well.
    assert_status!(
        s.owner
            .get(&format!("/users/{}/alias-users/abc", s.account))
            .await,
        404
    );
}

async fn the_alias_user_page_shows_its_effective_access(app: TestApp) {
    let s = setup(&app).await;
    // The role asks for a reseller permission the customer does not hold: it is not effective.
    let a = app
        .alias("helper", s.account)
        .perms(&["servers.view", "customers.manage"])
        .create();
    app.assign(a, s.web2);
    let page = s.owner.get_html(&s.page(a)).await;
    assert!(page.contains("Effective access"));
    assert!(page.contains("servers.view"));
    assert!(!page.contains("customers.manage"));
    assert!(page.contains("web2.acme.test") && !page.contains("web1.acme.test"));
    assert!(page.contains("1 assigned server"));
}

async fn changing_a_role_shows_what_the_alias_user_gains_and_loses(app: TestApp) {
    let s = setup(&app).await;
    let viewer = app
        .role(s.account, "Viewer")
        .perms(&["servers.view", "servers.traffic"])
        .create();
    let a = app.alias("helper", s.account).role(viewer).create();
    let preview = s
        .owner
        .htmx_get(&format!(
            "{}?role_id={}",
            s.action(a, "role-preview"),
            s.ops
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("Gains")
            && preview.contains("Power control")
            && preview.contains("Rename servers")
    );
    assert!(preview.contains("Loses") && preview.contains("Traffic statistics"));
    assert_eq!(
        app.user(a).unwrap().role_id,
        Some(viewer),
        "a preview changes nothing"
    );
}

async fn usernames_are_unique_across_accounts_and_alias_users(app: TestApp) {
    let s = setup(&app).await;
    let ops = s.ops.to_string();
    let res = s.create(&s.owner, "Boss", &ops, &[]).await;
    assert_says(res, 422, "This username is taken.").await;
    app.alias("helper", s.account).role(s.ops).create();
    let boss = app.login("boss").await;
    assert_status!(
        boss.post(
            "/users",
            &[
                ("username", "HELPER"),
                ("email", "h@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await,
        422
    );
}

async fn invalid_create_input_gives_422_with_the_input_kept(app: TestApp) {
    let s = setup(&app).await;
    let res = s
        .owner
        .post(
            &s.tab(),
            &[
                ("username", "new-helper"),
                ("email", "nope"),
                ("password", "short"),
                ("role_id", ""),
                ("expires_at", "tomorrow"),
            ],
        )
        .await;
    assert_status!(res, 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("value=\"new-helper\"") && page.contains("value=\"nope\""));
    assert!(page.contains("Enter an e-mail address"));
    assert!(page.contains("at least 10 characters"));
    assert!(
        page.contains("Choose one of this account&#39;s roles")
            || page.contains("Choose one of this account")
    );
    assert!(page.contains("YYYY-MM-DD"));
    assert!(
        page.contains("4 problems to fix before saving"),
        "counted in the summary"
    );
    assert!(
        page.contains("<dialog id=\"add-alias\" class=\"dialog\" open"),
        "the dialog is shown again"
    );
    // A valid password is not sent back: typing it again is one more thing to do, listed
    // and counted with the one problem.
    let res = s
        .owner
        .post(
            &s.tab(),
            &[
                ("username", "new-helper"),
                ("email", "nope"),
                ("password", "a-long-password"),
                ("role_id", &s.ops.to_string()),
                ("expires_at", ""),
            ],
        )
        .await;
    assert_status!(res, 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("2 problems to fix before saving"),
        "{page:.3000}"
    );
    assert!(page.contains("Type the password again"));
    assert!(app.user_named("new-helper").is_none());
}

async fn resetting_an_alias_password_ends_its_sessions(app: TestApp) {
    let s = setup(&app).await;
    let (a, helper) = s.helper_on_all_servers(&app).await;
    assert_status!(
        s.owner
            .post(
                &s.action(a, "password"),
                &[("password", "a-fresh-password")],
            )
            .await,
        303
    );
    assert_redirect_to(&helper.get("/servers").await, "/login");
    assert_status!(app.browser().login("helper", "a-fresh-password").await, 303);
}

async fn my_account_of_an_alias_user_is_its_own_page(app: TestApp) {
    let s = setup(&app).await;
    let (a, helper) = s.helper_on_all_servers(&app).await;
    assert_redirect_to(&helper.get("/account").await, &s.page(a));
    let page = helper.get_html(&s.page(a)).await;
    assert!(page.contains("Effective access") && page.contains("Change your password"));
    assert!(
        !page.contains("Reset password"),
        "it cannot reset itself through alias management"
    );
    // Without alias_users.manage it does not see the tab or other alias users.
    assert_status!(helper.get(&s.tab()).await, 403);
    let other = app.alias("other", s.account).role(s.ops).create();
    assert_status!(helper.get(&s.page(other)).await, 404);
    // It changes its own password with the current one.
    assert_status!(
        helper
            .post(
                &s.action(a, "password"),
                &[
                    ("current_password", PASSWORD),
                    ("password", "my-own-new-password"),
                ],
            )
            .await,
        303
    );
}
