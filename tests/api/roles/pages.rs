//! Alias roles on the pages: the Roles tab, the editor, and the server-side rules on
//! every save, including crafted posts the editor would never send.

use diesel::prelude::*;
use steward::db::schema::{alias_roles, audit_log};
use steward::models::role::{self};

use crate::helpers::{assert_redirect_to, Browser, TestApp};

backend_tests!(
    the_roles_tab_lists_roles_with_permission_and_user_counts,
    the_roles_tab_is_shown_only_to_logins_that_manage_roles,
    a_new_role_editor_pre_ticks_the_common_permissions,
    an_owner_creates_a_role_and_the_change_is_audited,
    an_empty_role_is_allowed,
    an_unknown_permission_is_refused_and_nothing_is_saved,
    an_admin_permission_from_a_customer_is_refused,
    the_admin_tier_is_shown_only_to_a_login_that_holds_it,
    an_alias_manager_cannot_grant_a_permission_it_lacks,
    a_risky_permission_needs_confirmation_before_it_is_saved,
    name_and_description_are_checked_next_to_their_fields,
    a_duplicate_name_is_refused_whatever_its_case,
    updating_a_role_replaces_its_permissions_and_is_audited,
    a_foreign_account_id_is_404,
    another_accounts_role_id_is_404,
    a_role_in_use_cannot_be_deleted_and_the_page_names_its_users,
    an_unused_role_is_deleted_and_the_deletion_audited,
    an_alias_cannot_edit_or_delete_its_own_role,
    an_alias_manager_cannot_edit_a_role_beyond_its_rights,
    an_alias_without_alias_roles_manage_cannot_reach_roles,
    a_reseller_manages_its_customers_roles_but_not_another_resellers,
    a_role_change_takes_effect_for_its_alias_users_on_their_next_request,
);

// ---- fixtures ------------------------------------------------------------------------

impl TestApp {
    fn role_keys(&self, rid: i32) -> Vec<String> {
        let mut keys = role::permissions_of(&mut self.conn(), rid).unwrap();
        keys.sort();
        keys
    }

    fn role_names(&self, account: i32) -> Vec<String> {
        alias_roles::table
            .filter(alias_roles::account_id.eq(account))
            .order(alias_roles::name_key.asc())
            .select(alias_roles::name)
            .load(&mut self.conn())
            .unwrap()
    }

    fn role_id(&self, account: i32, name: &str) -> i32 {
        alias_roles::table
            .filter(alias_roles::account_id.eq(account))
            .filter(alias_roles::name.eq(name))
            .select(alias_roles::id)
            .first(&mut self.conn())
            .unwrap()
    }

    /// (action, target, details) of the account's audit rows, oldest first.
    fn audit_rows(&self, account: i32) -> Vec<(String, String, String)> {
        audit_log::table
            .filter(audit_log::account_id.eq(account))
            .order(audit_log::id.asc())
            .select((audit_log::action, audit_log::target, audit_log::details))
            .load(&mut self.conn())
            .unwrap()
    }
}

async fn status_and_body(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

fn is_checked(html: &str, key: &str) -> bool {
    let re = regex::Regex::new(&format!(
        r#"name="permissions" value="{}"[^>]*\bchecked\b"#,
        regex::escape(key)
    ))
    .unwrap();
    re.is_match(html)
}

fn offers(html: &str, key: &str) -> bool {
    html.contains(&format!(r#"name="permissions" value="{key}""#))
}

/// A customer `acme` under an admin, with a role "Managers" (`alias_roles.manage` and
/// `servers.view`) held by its alias user "manager" on all servers, logged in; answers
/// (acme, the role, the manager's browser).
async fn manager_setup(app: &TestApp) -> (i32, i32, Browser) {
    let acme = app.customer("acme", app.admin("boss"));
    let managers = app
        .role(acme, "Managers")
        .perms(&["alias_roles.manage", "servers.view"])
        .create();
    app.alias("manager", acme)
        .role(managers)
        .all_servers(true)
        .create();
    (acme, managers, app.login("manager").await)
}

/// The manager `b` may neither open the role `role` of `acme`, nor save it with `fields`,
/// nor delete it (403 each), and the roles tab shows it locked for the reason `why`.
async fn assert_locked(b: &Browser, acme: i32, role: i32, fields: &[(&str, &str)], why: &str) {
    let roles = format!("/users/{acme}/roles");
    let path = format!("{roles}/{role}");
    assert_status!(b.get(&path).await, 403);
    assert_status!(b.post_from(&roles, &path, fields).await, 403);
    assert_status!(
        b.post_from(&roles, &format!("{path}/delete"), &[]).await,
        403
    );
    let list = b.get_html(&roles).await;
    assert!(list.contains(&format!("Locked: {why}")), "{why}");
}

/// A customer `acme` under an admin, logged in; answers (app pieces, browser).
async fn customer_setup(app: &TestApp) -> (i32, Browser) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    (acme, app.login("acme").await)
}

// ---- the tab and the editor ----------------------------------------------------------

async fn the_roles_tab_lists_roles_with_permission_and_user_counts(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let support = app
        .role(acme, "Support")
        .perms(&["servers.view", "servers.power", "servers.rename"])
        .create();
    app.role(acme, "Ops")
        .perms(&["servers.view", "servers.reinstall", "servers.console"])
        .create();
    app.alias("helper-one", acme)
        .role(support)
        .all_servers(true)
        .create();
    app.alias("helper-two", acme)
        .role(support)
        .all_servers(true)
        .create();

    let res = b.get(&format!("/users/{acme}/roles")).await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 200);
    assert!(page.contains(">Support</a>") && page.contains(">Ops</a>"));
    let row = |name: &str| {
        let start = page.find(&format!(">{name}</a>")).unwrap();
        let end = page[start..].find("</tr>").unwrap() + start;
        page[start..end].to_string()
    };
    // Three permissions, then two users: the counts differ so each cell is checked.
    let counts = regex::Regex::new(r"<td>3</td>\s*<td>2</td>").unwrap();
    assert!(counts.is_match(&row("Support")), "{}", row("Support"));
    assert!(row("Ops").contains("<td>3 <span class=\"badge badge-risk\""));
    assert!(row("Ops").contains("2 risky"));
    assert!(row("Ops").contains("unused"));
    assert!(page.contains(&format!("href=\"/users/{acme}/roles/new\"")));
}

async fn the_roles_tab_is_shown_only_to_logins_that_manage_roles(app: TestApp) {
    let admin = app.admin("boss");
    let reseller = app.reseller("resell", admin);
    let acme = app.customer("acme", reseller);
    let tab = format!("href=\"/users/{acme}/roles\"");
    let own = app
        .login("acme")
        .await
        .get_html(&format!("/users/{acme}"))
        .await;
    assert!(own.contains(&tab));
    let by_reseller = app
        .login("resell")
        .await
        .get_html(&format!("/users/{acme}"))
        .await;
    assert!(by_reseller.contains(&tab));

    let viewer_role = app.role(acme, "Viewer").perms(&["servers.view"]).create();
    app.alias("viewer", acme)
        .role(viewer_role)
        .all_servers(true)
        .create();
    let alias = app.login("viewer").await;
    let page = alias.get_html(&format!("/users/{acme}")).await;
    assert!(
        !page.contains(&tab),
        "an alias without alias_roles.manage sees no Roles tab"
    );
}

async fn a_new_role_editor_pre_ticks_the_common_permissions(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let res = b.get(&format!("/users/{acme}/roles/new")).await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 200);
    for key in [
        "servers.view",
        "servers.power",
        "servers.rdns",
        "ssh_keys.manage",
    ] {
        assert!(is_checked(&page, key), "{key} should be pre-ticked");
    }
    for key in ["servers.reinstall", "api_keys.manage", "activity.view"] {
        assert!(offers(&page, key), "{key} offered");
        assert!(!is_checked(&page, key), "{key} should not be pre-ticked");
    }
    // Risky ones carry their warning; the seed's note on responsibility is there.
    assert!(page.contains("data-risk=\"A reinstall wipes every disk"));
    assert!(page.contains("does not guarantee that every permission is checked"));
    assert!(page.contains("User permissions"));
    assert!(!page.contains("Reseller permissions"));
}

async fn an_owner_creates_a_role_and_the_change_is_audited(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let res = b
        .post(
            &format!("/users/{acme}/roles"),
            &[
                ("name", "Support"),
                ("description", "First line"),
                ("permissions", "servers.view"),
                ("permissions", "servers.power"),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    let rid = app.role_id(acme, "Support");
    assert_eq!(app.role_keys(rid), ["servers.power", "servers.view"]);
    let page = b.get_html(&format!("/users/{acme}/roles")).await;
    assert!(page.contains("Role Support created."));
    let audit = app.audit_rows(acme);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "role.create");
    assert_eq!(audit[0].1, "role Support");
    assert!(audit[0].2.contains("servers.view"));
}

async fn an_empty_role_is_allowed(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let res = b
        .post(&format!("/users/{acme}/roles"), &[("name", "Nothing yet")])
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    assert!(app.role_keys(app.role_id(acme, "Nothing yet")).is_empty());
}

async fn an_unknown_permission_is_refused_and_nothing_is_saved(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let res = b
        .post(
            &format!("/users/{acme}/roles"),
            &[
                ("name", "Sneaky"),
                ("permissions", "servers.view"),
                ("permissions", "servers.fly"),
            ],
        )
        .await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 422);
    assert!(page.contains("Unknown permissions: servers.fly."));
    assert!(page.contains("value=\"Sneaky\""), "input kept");
    assert!(is_checked(&page, "servers.view"), "ticks kept");
    assert!(app.role_names(acme).is_empty());

    // The same on an update: the role keeps its permissions.
    let rid = app.role(acme, "Kept").perms(&["servers.view"]).create();
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles/{rid}"),
            &[("name", "Kept"), ("permissions", "servers.teleport")],
        )
        .await,
        422
    );
    assert_eq!(app.role_keys(rid), ["servers.view"]);
    assert!(app.audit_rows(acme).is_empty());
}

async fn an_admin_permission_from_a_customer_is_refused(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    for key in ["admin.users", "customers.manage"] {
        let res = b
            .post(
                &format!("/users/{acme}/roles"),
                &[("name", "Escalate"), ("permissions", key)],
            )
            .await;
        let (status, page) = status_and_body(res).await;
        assert_eq!(status, 422, "{key}");
        assert!(
            page.contains(&format!("You may not grant: {key}.")),
            "{key}"
        );
    }
    assert!(app.role_names(acme).is_empty());
}

async fn the_admin_tier_is_shown_only_to_a_login_that_holds_it(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let customer_page = app
        .login("acme")
        .await
        .get_html(&format!("/users/{acme}/roles/new"))
        .await;
    assert!(!offers(&customer_page, "admin.users"));
    assert!(!customer_page.contains("Admin permissions"));

    let b = app.login("boss").await;
    let own = b.get_html(&format!("/users/{admin}/roles/new")).await;
    assert!(offers(&own, "admin.users") && offers(&own, "customers.manage"));
    assert!(own.contains("Admin permissions are not checked for risk"));
    assert!(!own.contains("data-risk=\"\""));
    // An admin may put admin permissions into its own roles without a risk confirmation.
    let res = b
        .post(
            &format!("/users/{admin}/roles"),
            &[("name", "Auditors"), ("permissions", "admin.audit")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{admin}/roles"));
    // In a customer's environment admin permissions are of no use and not offered.
    let for_customer = b.get_html(&format!("/users/{acme}/roles/new")).await;
    assert!(!offers(&for_customer, "admin.users"));
}

async fn an_alias_manager_cannot_grant_a_permission_it_lacks(app: TestApp) {
    let (acme, _, b) = manager_setup(&app).await;
    let roles = format!("/users/{acme}/roles");

    let editor = b.get_html(&format!("{roles}/new")).await;
    assert!(offers(&editor, "servers.view"));
    assert!(
        !offers(&editor, "servers.reinstall"),
        "only what it holds is offered"
    );

    let res = b
        .post_from(
            &roles,
            &roles,
            &[
                ("name", "Wipers"),
                ("permissions", "servers.view"),
                ("permissions", "servers.reinstall"),
                ("confirm_dangerous", "yes"),
            ],
        )
        .await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 422);
    assert!(page.contains("You may not grant: servers.reinstall."));
    assert_eq!(app.role_names(acme), ["Managers"]);

    // Within its rights it may write roles.
    let res = b
        .post_from(
            &roles,
            &roles,
            &[("name", "Viewers"), ("permissions", "servers.view")],
        )
        .await;
    assert_redirect_to(&res, &roles);
    assert_eq!(app.role_names(acme), ["Managers", "Viewers"]);
}

async fn a_risky_permission_needs_confirmation_before_it_is_saved(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let fields = [
        ("name", "Operations"),
        ("description", "On call"),
        ("permissions", "servers.view"),
        ("permissions", "servers.reinstall"),
        ("permissions", "servers.console"),
    ];
    let res = b.post(&format!("/users/{acme}/roles"), &fields).await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 422);
    assert!(app.role_names(acme).is_empty(), "nothing saved");
    assert!(page.contains("Dangerous permissions in this role"));
    assert!(page.contains("A reinstall wipes every disk of the server"));
    assert!(page.contains("The remote console gives full access"));
    assert!(page.contains(r#"name="confirm_dangerous" value="yes""#));
    assert!(page.contains("value=\"Operations\"") && page.contains(">On call</textarea>"));
    assert!(is_checked(&page, "servers.reinstall"));
    // The summary lists the ticked risky permissions, not the others.
    assert!(page.contains(r#"<li data-risk-for="servers.reinstall">"#));
    assert!(page.contains(r#"<li data-risk-for="servers.rescue" hidden>"#));

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm_dangerous", "yes"));
    let res = b.post(&format!("/users/{acme}/roles"), &confirmed).await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    let rid = app.role_id(acme, "Operations");
    assert_eq!(
        app.role_keys(rid),
        ["servers.console", "servers.reinstall", "servers.view"]
    );

    // Any other value is no confirmation.
    let mut wrong = fields.to_vec();
    wrong[0] = ("name", "Operations 2");
    wrong.push(("confirm_dangerous", "on"));
    assert_status!(b.post(&format!("/users/{acme}/roles"), &wrong).await, 422);
}

async fn name_and_description_are_checked_next_to_their_fields(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let long_name = "n".repeat(61);
    let long_description = "d".repeat(501);
    for (name, description, message) in [
        ("  ", "", "This field is required."),
        (long_name.as_str(), "", "At most 60 characters."),
        ("Fine", long_description.as_str(), "At most 500 characters."),
    ] {
        let res = b
            .post(
                &format!("/users/{acme}/roles"),
                &[("name", name), ("description", description)],
            )
            .await;
        let (status, page) = status_and_body(res).await;
        assert_eq!(status, 422, "{message}");
        assert!(page.contains(message), "{message}");
    }
    assert!(app.role_names(acme).is_empty());
    let sixty = "s".repeat(60);
    assert_status!(
        b.post(&format!("/users/{acme}/roles"), &[("name", sixty.as_str())])
            .await,
        303
    );
}

async fn a_duplicate_name_is_refused_whatever_its_case(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let rid = app.role(acme, "Support").perms(&[]).create();
    let res = b
        .post(&format!("/users/{acme}/roles"), &[("name", "SUPPORT")])
        .await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 422);
    assert!(page.contains("already has a role with this name"));
    assert_eq!(app.role_names(acme), ["Support"]);

    // Renaming another role onto it is refused too; keeping one's own name is fine.
    let other = app.role(acme, "Other").perms(&[]).create();
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles/{other}"),
            &[("name", "support ")],
        )
        .await,
        422
    );
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles/{rid}"),
            &[("name", "support")],
        )
        .await,
        303
    );
    // Another account may use the same name.
    let admin2 = app.admin("boss2");
    let globex = app.customer("globex", admin2);
    assert_status!(
        app.login("globex")
            .await
            .post(&format!("/users/{globex}/roles"), &[("name", "Support")])
            .await,
        303
    );
}

async fn updating_a_role_replaces_its_permissions_and_is_audited(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let rid = app
        .role(acme, "Support")
        .perms(&["servers.view", "servers.power"])
        .create();
    let editor = b.get_html(&format!("/users/{acme}/roles/{rid}")).await;
    assert!(is_checked(&editor, "servers.power"));
    assert!(
        !is_checked(&editor, "servers.rename"),
        "an existing role shows its own ticks"
    );

    let res = b
        .post(
            &format!("/users/{acme}/roles/{rid}"),
            &[
                ("name", "First line"),
                ("description", "Renamed"),
                ("permissions", "servers.view"),
                ("permissions", "servers.rdns"),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    assert_eq!(app.role_keys(rid), ["servers.rdns", "servers.view"]);
    assert_eq!(app.role_names(acme), ["First line"]);
    let audit = app.audit_rows(acme);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "role.update");
    assert!(audit[0].2.contains("added=servers.rdns"), "{}", audit[0].2);
    assert!(
        audit[0].2.contains("removed=servers.power"),
        "{}",
        audit[0].2
    );
}

// ---- ids and tenants -----------------------------------------------------------------

async fn a_foreign_account_id_is_404(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let other_admin = app.admin("boss2");
    let globex = app.customer("globex", other_admin);
    for path in [
        format!("/users/{globex}/roles"),
        format!("/users/{globex}/roles/new"),
        "/users/999999/roles".to_string(),
        "/users/abc/roles".to_string(),
        "/users/-1/roles/new".to_string(),
    ] {
        assert_status!(b.get(&path).await, 404, "{path}");
    }
    assert_status!(
        b.post(&format!("/users/{globex}/roles"), &[("name", "Mine now")])
            .await,
        404
    );
    assert!(app.role_names(globex).is_empty());
    assert!(app.role_names(acme).is_empty());
}

async fn another_accounts_role_id_is_404(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let other_admin = app.admin("boss2");
    let globex = app.customer("globex", other_admin);
    let theirs = app.role(globex, "Theirs").perms(&["servers.view"]).create();
    for path in [
        format!("/users/{acme}/roles/{theirs}"),
        format!("/users/{acme}/roles/999999"),
        format!("/users/{acme}/roles/zero"),
    ] {
        assert_status!(b.get(&path).await, 404, "{path}");
    }
    assert_status!(
        b.post(
            &format!("/users/{acme}/roles/{theirs}"),
            &[("name", "Hijacked"), ("permissions", "servers.power")],
        )
        .await,
        404
    );
    assert_status!(
        b.post(&format!("/users/{acme}/roles/{theirs}/delete"), &[])
            .await,
        404
    );
    assert_eq!(app.role_names(globex), ["Theirs"]);
    assert_eq!(app.role_keys(theirs), ["servers.view"]);
}

// ---- deletion ------------------------------------------------------------------------

async fn a_role_in_use_cannot_be_deleted_and_the_page_names_its_users(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let rid = app.role(acme, "Support").perms(&["servers.view"]).create();
    app.alias("helper-one", acme)
        .role(rid)
        .all_servers(true)
        .create();
    app.alias("helper-two", acme)
        .role(rid)
        .all_servers(true)
        .create();
    let editor = b.get_html(&format!("/users/{acme}/roles/{rid}")).await;
    assert!(editor.contains("Held by helper-one, helper-two"));

    let res = b
        .post(&format!("/users/{acme}/roles/{rid}/delete"), &[])
        .await;
    let (status, page) = status_and_body(res).await;
    assert_eq!(status, 409);
    assert!(page.contains("Role Support is in use by helper-one, helper-two."));
    assert_eq!(app.role_names(acme), ["Support"]);
    assert_eq!(app.role_keys(rid), ["servers.view"]);
    assert!(app.audit_rows(acme).is_empty());
}

async fn an_unused_role_is_deleted_and_the_deletion_audited(app: TestApp) {
    let (acme, b) = customer_setup(&app).await;
    let rid = app.role(acme, "Old").perms(&["servers.view"]).create();
    app.role(acme, "Kept").perms(&[]).create();
    let res = b
        .post(&format!("/users/{acme}/roles/{rid}/delete"), &[])
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    assert_eq!(app.role_names(acme), ["Kept"]);
    assert!(app.role_keys(rid).is_empty());
    let audit = app.audit_rows(acme);
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0.as_str(), audit[0].1.as_str()),
        ("role.delete", "role Old")
    );
}

// ---- alias managers ------------------------------------------------------------------

async fn an_alias_cannot_edit_or_delete_its_own_role(app: TestApp) {
    let (acme, managers, b) = manager_setup(&app).await;
    let fields = [
        ("name", "Managers"),
        ("permissions", "alias_roles.manage"),
        ("confirm_dangerous", "yes"),
    ];
    assert_locked(&b, acme, managers, &fields, "your role").await;
    assert_eq!(
        app.role_keys(managers),
        ["alias_roles.manage", "servers.view"]
    );
    assert!(app.audit_rows(acme).is_empty());
}

async fn an_alias_manager_cannot_edit_a_role_beyond_its_rights(app: TestApp) {
    let (acme, _, b) = manager_setup(&app).await;
    let ops = app
        .role(acme, "Ops")
        .perms(&["servers.view", "servers.reinstall"])
        .create();
    // Neither widening nor quietly narrowing a stronger role.
    let fields = [("name", "Ops"), ("permissions", "servers.view")];
    assert_locked(&b, acme, ops, &fields, "beyond your rights").await;
    assert_eq!(app.role_keys(ops), ["servers.reinstall", "servers.view"]);
}

async fn an_alias_without_alias_roles_manage_cannot_reach_roles(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    let other = app.role(acme, "Other").perms(&[]).create();
    app.alias("viewer", acme)
        .role(viewers)
        .all_servers(true)
        .create();
    let b = app.login("viewer").await;
    let roles = format!("/users/{acme}/roles");
    assert_status!(b.get(&roles).await, 403);
    assert_status!(b.get(&format!("{roles}/new")).await, 403);
    assert_status!(
        b.post_from("/servers", &roles, &[("name", "Mine")]).await,
        403
    );
    assert_status!(
        b.post_from("/servers", &format!("{roles}/{other}/delete"), &[])
            .await,
        403
    );
    assert_eq!(app.role_names(acme), ["Other", "Viewers"]);
}

async fn a_reseller_manages_its_customers_roles_but_not_another_resellers(app: TestApp) {
    let admin = app.admin("boss");
    let r1 = app.reseller("resell-one", admin);
    let r2 = app.reseller("resell-two", admin);
    let mine = app.customer("mine", r1);
    let theirs = app.customer("theirs", r2);
    let their_role = app.role(theirs, "Theirs").perms(&["servers.view"]).create();
    let b = app.login("resell-one").await;

    let editor = b.get_html(&format!("/users/{mine}/roles/new")).await;
    assert!(offers(&editor, "servers.view"));
    assert!(
        !offers(&editor, "customers.manage"),
        "a customer cannot use reseller rights"
    );
    let res = b
        .post(
            &format!("/users/{mine}/roles"),
            &[("name", "Support"), ("permissions", "servers.view")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{mine}/roles"));
    assert_eq!(app.role_names(mine), ["Support"]);

    assert_status!(b.get(&format!("/users/{theirs}/roles")).await, 404);
    assert_status!(
        b.post(&format!("/users/{theirs}/roles"), &[("name", "Intruder")])
            .await,
        404
    );
    assert_status!(
        b.post(&format!("/users/{theirs}/roles/{their_role}/delete"), &[])
            .await,
        404
    );
    assert_eq!(app.role_names(theirs), ["Theirs"]);
}

async fn a_role_change_takes_effect_for_its_alias_users_on_their_next_request(app: TestApp) {
    let (acme, owner) = customer_setup(&app).await;
    let rid = app
        .role(acme, "Support")
        .perms(&["servers.view", "servers.power"])
        .create();
    app.alias("helper", acme)
        .role(rid)
        .all_servers(true)
        .create();
    let alias = app.login("helper").await;
    assert_status!(alias.get("/servers").await, 200);

    let res = owner
        .post(
            &format!("/users/{acme}/roles/{rid}"),
            &[("name", "Support"), ("permissions", "servers.power")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/roles"));
    // Same session, no new login: the very next request has the new rights.
    assert_status!(alias.get("/servers").await, 403);

    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/roles/{rid}"),
                &[("name", "Support"), ("permissions", "servers.view")],
            )
            .await,
        303
    );
    assert_status!(alias.get("/servers").await, 200);
}
