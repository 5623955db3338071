//! The eight escalations the generated attacker found in the build before the access
//! rewrite, each as the attacker ran it, on both backends. Each test asserts the refusal
//! (403, 404 or 422) and then reads the state back, from the database or through the
//! pages, to show that nothing changed: a login A acting on a login L must cover L before
//! the change and after it (SECURITY.md, "The no-escalation rule"), and no input is ever
//! answered with a 500.

use crate::no_escalation::attacker::fixtures::{
    self as fx, admin, alias, count, customer, login_state, reseller, role, server, server_state,
};

use super::USER_TIER;
use crate::helpers::{Browser, TestApp, PASSWORD};

backend_tests!(
    an_admins_alias_with_admin_users_cannot_promote_a_customer_to_admin_or_reseller,
    editing_a_role_cannot_raise_a_sibling_that_reaches_more_servers_than_the_editor,
    impersonation_ends_when_the_targets_reach_grows_beyond_the_impersonator,
    a_resellers_alias_on_one_server_cannot_impersonate_a_customers_wider_alias,
    a_manager_cannot_mint_an_api_key_for_another_login,
    a_siblings_alias_page_hides_servers_outside_the_viewers_reach,
    a_nul_byte_in_a_search_or_a_login_name_never_answers_500,
    display_names_and_usernames_refuse_bidi_and_zero_width_characters,
);

/// The refusals allowed for a forbidden or foreign action: 403, 404 or 422, never 500.
fn assert_refused(status: u16, what: &str) {
    assert!(
        matches!(status, 403 | 404 | 422),
        "{what}: expected a refusal (403/404/422), got {status}"
    );
}

async fn status_of_post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> u16 {
    b.post(path, fields).await.status().as_u16()
}

// 1. An admin's alias user with admin.users holds the user tier and admin.users only: a
//    customer is within its rights, an admin or reseller is not.
async fn an_admins_alias_with_admin_users_cannot_promote_a_customer_to_admin_or_reseller(
    app: TestApp,
) {
    let boss = admin(&app, "boss");
    let mut keys = USER_TIER.to_vec();
    keys.push("admin.users");
    let helpdesk = role(&app, boss, "Helpdesk", &keys);
    alias(&app, "desk", boss, helpdesk, true, &[]);
    let acme = customer(&app, "acme", boss);
    let before = login_state(&app, acme);

    let b = app.login("desk").await;
    for kind in ["admin", "reseller"] {
        let owner = if kind == "admin" {
            String::new()
        } else {
            boss.to_string()
        };
        let status = status_of_post(
            &b,
            &format!("/users/{acme}"),
            &[
                ("form", "profile"),
                ("name", "acme name"),
                ("email", "acme@example.com"),
                ("kind", kind),
                ("owner_id", &owner),
            ],
        )
        .await;
        assert_refused(status, &format!("kind={kind}"));
        assert_eq!(
            login_state(&app, acme),
            before,
            "kind={kind} changed the row"
        );
    }
    // The customer still reaches nothing of an admin's.
    let c = app.login("acme").await;
    assert_status!(c.get("/audit").await, 403);
}

// 2. Role "Shared" is held by a sibling with all servers; the editor reaches one server.
async fn editing_a_role_cannot_raise_a_sibling_that_reaches_more_servers_than_the_editor(
    app: TestApp,
) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    let s1 = server(&app, "one.acme.test", "10.9.0.1", None, Some(acme));
    let s2 = server(&app, "two.acme.test", "10.9.0.2", None, Some(acme));
    let manager = role(
        &app,
        acme,
        "Manager",
        &["alias_roles.manage", "servers.view", "servers.power"],
    );
    let shared = role(&app, acme, "Shared", &["servers.view"]);
    alias(&app, "ops", acme, manager, false, &[s1]);
    alias(&app, "viewer", acme, shared, true, &[]);

    let b = app.login("ops").await;
    let status = status_of_post(
        &b,
        &format!("/users/{acme}/roles/{shared}"),
        &[
            ("name", "Shared"),
            ("description", ""),
            ("permissions", "servers.view"),
            ("permissions", "servers.power"),
            ("confirm_dangerous", "yes"),
        ],
    )
    .await;
    assert_refused(status, "role edit");
    assert_eq!(fx::role_keys(&app, shared), ["servers.view"]);

    // The sibling still cannot power the server its editor does not reach.
    let before = server_state(&app, s2);
    let v = app.login("viewer").await;
    let status = status_of_post(&v, &format!("/servers/{s2}/power"), &[("action", "on")]).await;
    assert_refused(status, "sibling powers s2");
    assert_eq!(server_state(&app, s2), before);
}

// 3. The manager impersonates a sibling on one server; the owner then gives that sibling
//    every server. The impersonating session must not reach the second server.
async fn impersonation_ends_when_the_targets_reach_grows_beyond_the_impersonator(app: TestApp) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    let s1 = server(&app, "one.acme.test", "10.9.0.1", None, Some(acme));
    let s2 = server(&app, "two.acme.test", "10.9.0.2", None, Some(acme));
    let lead = role(
        &app,
        acme,
        "Lead",
        &["alias_users.impersonate", "servers.view", "servers.power"],
    );
    let hands = role(&app, acme, "Hands", &["servers.view", "servers.power"]);
    alias(&app, "lead", acme, lead, false, &[s1]);
    let narrow = alias(&app, "narrow", acme, hands, false, &[s1]);

    let m = app.login("lead").await;
    assert_status!(
        m.post(
            &format!("/users/{acme}/alias-users/{narrow}/impersonate"),
            &[],
        )
        .await,
        303,
        "a covered sibling may be impersonated"
    );
    assert_status!(m.get(&format!("/servers/{s1}")).await, 200);

    let owner = app.login("acme").await;
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/alias-users/{narrow}/servers"),
                &[("action", "all"), ("confirm", "yes")],
            )
            .await,
        303,
        "the owner grants all servers"
    );
    assert!(login_state(&app, narrow).all_servers);

    let before = server_state(&app, s2);
    // The next request ends the impersonation: the session returns to its actor (a 303 to
    // the server list with a message), never showing the server.
    let first = m.get(&format!("/servers/{s2}")).await.status().as_u16();
    assert!(
        first == 303 || first == 404,
        "the impersonating session opened a server its actor does not reach ({first})"
    );
    assert_status!(
        m.get(&format!("/servers/{s2}")).await,
        404,
        "back as its actor, the session still does not reach the server"
    );
    assert_status!(
        m.get(&format!("/servers/{s1}")).await,
        200,
        "the session returned to its actor, who reaches its own server"
    );
    let status = status_of_post(&m, &format!("/servers/{s2}/power"), &[("action", "on")]).await;
    assert_refused(status, "power s2 while impersonating");
    assert_eq!(server_state(&app, s2), before);
}

// 4. A reseller's alias on one server and a customer's alias on all the customer's servers.
async fn a_resellers_alias_on_one_server_cannot_impersonate_a_customers_wider_alias(app: TestApp) {
    let boss = admin(&app, "boss");
    let shop = reseller(&app, "shop", boss);
    let acme = customer(&app, "acme", shop);
    let r1 = server(&app, "one.shop.test", "10.9.1.1", Some(shop), Some(shop));
    let c1 = server(&app, "one.acme.test", "10.9.1.2", Some(shop), Some(acme));
    // Every right of a customer but its servers: the alias reaches one server of the shop.
    let mut keys = USER_TIER.to_vec();
    keys.extend([
        "customers.view",
        "customers.manage",
        "customers.impersonate",
    ]);
    let support = role(&app, shop, "Support", &keys);
    alias(&app, "support", shop, support, false, &[r1]);
    let ops = role(&app, acme, "Ops", &["servers.view", "servers.power"]);
    let wide = alias(&app, "wide", acme, ops, true, &[]);

    let b = app.login("support").await;
    let status = status_of_post(
        &b,
        &format!("/users/{acme}/alias-users/{wide}/impersonate"),
        &[],
    )
    .await;
    assert_refused(status, "impersonate a wider alias");
    assert_eq!(
        count(&app, "FROM sessions WHERE impersonator_id IS NOT NULL"),
        0,
        "an impersonation was recorded"
    );
    let before = server_state(&app, c1);
    assert_status!(b.get(&format!("/servers/{c1}")).await, 404);
    let status = status_of_post(&b, &format!("/servers/{c1}/power"), &[("action", "on")]).await;
    assert_refused(status, "power the customer's server");
    assert_eq!(server_state(&app, c1), before);
}

// 5. Credentials are personal: a manager who covers a sibling still cannot create its key.
async fn a_manager_cannot_mint_an_api_key_for_another_login(app: TestApp) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    let s1 = server(&app, "one.acme.test", "10.9.0.1", None, Some(acme));
    let manager = role(
        &app,
        acme,
        "Manager",
        &[
            "alias_users.manage",
            "api_keys.manage",
            "servers.view",
            "servers.power",
        ],
    );
    let hands = role(&app, acme, "Hands", &["servers.view", "api_keys.manage"]);
    alias(&app, "manager", acme, manager, true, &[]);
    let sibling = alias(&app, "sibling", acme, hands, false, &[s1]);

    let b = app.login("manager").await;
    let res = b
        .post(
            &format!("/users/{acme}/alias-users/{sibling}/api-keys"),
            &[("name", "minted"), ("expires_at", "")],
        )
        .await;
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert_refused(status, "mint a key for a sibling");
    assert!(!body.contains("stw_"), "a secret was shown to the manager");
    assert_eq!(
        count(&app, &format!("FROM api_keys WHERE user_id = {sibling}")),
        0,
        "a key was created for the sibling"
    );
}

// 6. A page about a sibling reaching two servers, seen by a manager reaching one of them.
async fn a_siblings_alias_page_hides_servers_outside_the_viewers_reach(app: TestApp) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    let s1 = server(&app, "seen.acme.test", "10.9.2.1", None, Some(acme));
    let s2 = server(&app, "secret.acme.test", "10.9.2.222", None, Some(acme));
    let manager = role(
        &app,
        acme,
        "Manager",
        &["alias_users.manage", "servers.view"],
    );
    let hands = role(&app, acme, "Hands", &["servers.view"]);
    alias(&app, "manager", acme, manager, false, &[s1]);
    let sibling = alias(&app, "sibling", acme, hands, false, &[s1, s2]);

    let b = app.login("manager").await;
    for path in [
        format!("/users/{acme}/alias-users/{sibling}"),
        format!("/users/{acme}/alias-users/{sibling}/servers"),
        format!("/users/{acme}/alias-users"),
    ] {
        let res = b.get(&path).await;
        let status = res.status().as_u16();
        let page = res.text().await.unwrap_or_default();
        assert!(
            status == 200 || matches!(status, 403 | 404),
            "{path}: {status}"
        );
        assert!(
            !page.contains("secret.acme.test") && !page.contains("10.9.2.222"),
            "{path} shows a server outside the viewer's reach"
        );
    }
    // The owner, who reaches both, does see the second one (so the check above can fail).
    let o = app.login("acme").await;
    let page = o
        .get_html(&format!("/users/{acme}/alias-users/{sibling}"))
        .await;
    assert!(page.contains("secret.acme.test"));
}

// 7. NUL in every search box the attacker used and in the login form.
async fn a_nul_byte_in_a_search_or_a_login_name_never_answers_500(app: TestApp) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    server(&app, "one.acme.test", "10.9.3.1", None, Some(acme));
    let hands = role(&app, acme, "Hands", &["servers.view"]);
    let a = alias(&app, "hands", acme, hands, true, &[]);
    let before_users = count(&app, "FROM users");

    let admin_b = app.login("boss").await;
    let owner_b = app.login("acme").await;
    let pages = [
        (&admin_b, "/servers?q=%00".to_string()),
        (&admin_b, "/users?q=a%00b".to_string()),
        (&owner_b, format!("/users/{acme}/alias-users?q=%00")),
        (&owner_b, format!("/users/{acme}/servers?q=%00")),
        (&admin_b, format!("/users/{acme}/servers?q=%00")),
        (
            &owner_b,
            format!("/users/{acme}/alias-users/{a}/servers?q=%00"),
        ),
        (&owner_b, format!("/users/{acme}/activity?login=%00")),
        (&admin_b, "/audit?login=%00".to_string()),
    ];
    for (b, path) in pages {
        let status = b.get(&path).await.status().as_u16();
        assert!(
            matches!(status, 200 | 400 | 422),
            "{path}: {status} (a NUL is refused or matches nothing)"
        );
    }

    // The JSON API, with a key the owner made for itself.
    let res = owner_b
        .post(
            &format!("/users/{acme}/api-keys"),
            &[("name", "script"), ("expires_at", "")],
        )
        .await;
    assert!(res.status().is_success() || res.status().as_u16() == 303);
    let mut page = res.text().await.unwrap_or_default();
    if !page.contains("stw_") {
        page = owner_b.get_html(&format!("/users/{acme}/api-keys")).await;
    }
    let key = regex::Regex::new(r"stw_[A-Za-z0-9_\-]{32,}")
        .unwrap()
        .find(&page)
        .expect("the new key's secret")
        .as_str()
        .to_string();
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/servers?q=%00", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 200 | 400 | 422),
        "/api/v1/servers?q=%00: {}",
        res.status()
    );

    // The login form: refused, no session.
    let guest = app.browser();
    let res = guest
        .post("/login", &[("username", "ac\0me"), ("password", PASSWORD)])
        .await;
    let status = res.status().as_u16();
    assert!(
        matches!(status, 200 | 400 | 401 | 422),
        "POST /login with a NUL: {status}"
    );
    assert_status!(guest.get("/servers").await, 303);
    assert_eq!(count(&app, "FROM users"), before_users);
}

// 8. A right-to-left override and a zero-width space, in names and in usernames.
async fn display_names_and_usernames_refuse_bidi_and_zero_width_characters(app: TestApp) {
    let boss = admin(&app, "boss");
    let acme = customer(&app, "acme", boss);
    let before = login_state(&app, acme);
    let users_before = count(&app, "FROM users");
    let b = app.login("boss").await;

    for name in [
        "\u{202e}nimda\u{200b}",
        "ac\u{200b}me",
        "a\u{2066}b",
        "x\u{feff}",
    ] {
        let status = status_of_post(
            &b,
            &format!("/users/{acme}"),
            &[
                ("form", "profile"),
                ("name", name),
                ("email", "acme@example.com"),
            ],
        )
        .await;
        assert_eq!(status, 422, "name {name:?} was accepted");
        assert_eq!(login_state(&app, acme), before);
    }
    // The customer edits its own name: the same rule.
    let c = app.login("acme").await;
    let status = status_of_post(
        &c,
        &format!("/users/{acme}"),
        &[
            ("form", "profile"),
            ("name", "\u{202e}nimda"),
            ("email", "acme@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(login_state(&app, acme), before);
    assert!(!c.get_html("/servers").await.contains('\u{202e}'));

    // New accounts: neither the name nor the username may hide characters.
    for (username, name) in [("newbie", "new\u{200d}bie"), ("new\u{200b}bie", "Newbie")] {
        let status = status_of_post(
            &b,
            "/users",
            &[
                ("username", username),
                ("name", name),
                ("email", "newbie@example.com"),
                ("password", "a-long-enough-password"),
                ("kind", "user"),
                ("owner_id", &boss.to_string()),
            ],
        )
        .await;
        assert_eq!(status, 422, "{username:?} / {name:?} was accepted");
        assert_eq!(count(&app, "FROM users"), users_before);
    }
}
