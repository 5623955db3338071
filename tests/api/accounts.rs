use crate::helpers::{assert_redirect_to, assert_says, TestApp, PASSWORD};

backend_tests!(
    an_admin_sees_every_account_on_manage_users,
    a_reseller_sees_only_its_own_customers,
    a_customer_gets_403_on_manage_users,
    search_and_pagination_find_the_right_accounts,
    an_admin_adds_a_customer_under_a_reseller,
    a_reseller_adds_customers_owned_by_itself_only,
    invalid_input_gives_422_with_the_input_kept_and_changes_nothing,
    a_taken_username_is_refused_whatever_its_case,
    a_foreign_or_missing_account_id_is_404,
    a_name_with_script_is_shown_escaped,
    a_login_changes_its_own_password_with_the_current_one,
    a_reseller_cannot_change_kind_or_owner_of_its_customer,
);

async fn an_admin_sees_every_account_on_manage_users(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    app.customer("cust-a", r);
    app.customer("cust-b", admin);
    let page = app.login("boss").await.get_html("/users").await;
    for name in ["boss", "resell", "cust-a", "cust-b"] {
        assert!(page.contains(&format!(">{name}</a>")), "{name} missing");
    }
}

async fn a_reseller_sees_only_its_own_customers(app: TestApp) {
    let admin = app.admin("boss");
    let r1 = app.reseller("resell-one", admin);
    let r2 = app.reseller("resell-two", admin);
    let mine = app.customer("mine", r1);
    let theirs = app.customer("theirs", r2);
    let b = app.login("resell-one").await;
    let page = b.get_html("/users").await;
    assert!(page.contains(">mine</a>"));
    assert!(!page.contains("theirs"));
    assert!(!page.contains("resell-two"));
    assert_status!(b.get(&format!("/users/{mine}")).await, 200);
    assert_status!(b.get(&format!("/users/{theirs}")).await, 404);
    assert_status!(b.get(&format!("/users/{r2}")).await, 404);
}

async fn a_customer_gets_403_on_manage_users(app: TestApp) {
    let admin = app.admin("boss");
    app.customer("carol", admin);
    let b = app.login("carol").await;
    assert_status!(b.get("/users").await, 403);
    assert_status!(
        b.post(
            "/users",
            &[
                ("username", "sneaky"),
                ("email", "s@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await,
        403
    );
    assert!(app.user_named("sneaky").is_none());
    // The page itself does not offer the menu entry.
    assert!(!b.get_html("/servers").await.contains("Manage Users"));
}

async fn search_and_pagination_find_the_right_accounts(app: TestApp) {
    let admin = app.admin("boss");
    for i in 0..30 {
        app.customer(&format!("cust{i:02}"), admin);
    }
    app.customer("zebra", admin);
    let b = app.login("boss").await;
    let first = b.get_html("/users").await;
    assert!(first.contains("Page 1 of 2"));
    assert!(first.contains(">boss</a>") && !first.contains(">zebra</a>"));
    let second = b.get_html("/users?page=2").await;
    assert!(second.contains(">zebra</a>"));
    let found = b.get_html("/users?q=ZEB").await;
    assert!(found.contains(">zebra</a>") && !found.contains(">cust01</a>"));
    let by_mail = b.get_html("/users?q=cust07%40example").await;
    assert!(by_mail.contains(">cust07</a>") && !by_mail.contains(">cust08</a>"));
    // A nonsense page number is page 1, not an error.
    assert_status!(b.get("/users?page=-3").await, 200);
}

async fn an_admin_adds_a_customer_under_a_reseller(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let b = app.login("boss").await;
    let rs = r.to_string();
    let res = b
        .post(
            "/users",
            &[
                ("username", "NewCust"),
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("kind", "user"),
                ("owner_id", &rs),
            ],
        )
        .await;
    let created = app.user_named("newcust").expect("created");
    assert_redirect_to(&res, &format!("/users/{}", created.id));
    assert_eq!(created.owner_id, Some(r));
    assert_eq!(created.kind, "user");
    // The new customer can log in and its reseller sees it.
    assert_status!(app.browser().login("newcust", PASSWORD).await, 303);
    let page = app.login("resell").await.get_html("/users").await;
    assert!(page.contains(">NewCust</a>"));
}

async fn a_reseller_adds_customers_owned_by_itself_only(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let b = app.login("resell").await;
    let admin_s = admin.to_string();
    assert_status!(
        b.post(
            "/users",
            &[
                ("username", "cust1"),
                ("email", "c1@example.com"),
                ("password", PASSWORD),
                ("owner_id", &admin_s),
            ],
        )
        .await,
        303
    );
    assert_eq!(app.user_named("cust1").unwrap().owner_id, Some(r));
    assert_status!(
        b.post(
            "/users",
            &[
                ("username", "boss2"),
                ("email", "b2@example.com"),
                ("password", PASSWORD),
                ("kind", "admin"),
            ],
        )
        .await,
        403
    );
    assert_status!(
        b.post(
            "/users",
            &[
                ("username", "res2"),
                ("email", "r2@example.com"),
                ("password", PASSWORD),
                ("kind", "reseller"),
            ],
        )
        .await,
        403
    );
    assert!(app.user_named("boss2").is_none());
    assert!(app.user_named("res2").is_none());
}

async fn invalid_input_gives_422_with_the_input_kept_and_changes_nothing(app: TestApp) {
    app.admin("boss");
    let b = app.login("boss").await;
    let res = b
        .post(
            "/users",
            &[
                ("username", "ok-name"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_status!(res, 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("value=\"ok-name\""), "the username is kept");
    assert!(
        page.contains("value=\"not-an-email\""),
        "the e-mail is kept"
    );
    assert!(page.contains("Enter an e-mail address"));
    assert!(page.contains("at least 10 characters"));
    assert!(
        !page.contains("value=\"short\""),
        "the password is never echoed"
    );
    assert!(app.user_named("ok-name").is_none());
}

async fn a_taken_username_is_refused_whatever_its_case(app: TestApp) {
    let admin = app.admin("boss");
    app.customer("carol", admin);
    let b = app.login("boss").await;
    let res = b
        .post(
            "/users",
            &[
                ("username", "CAROL"),
                ("email", "c@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_says(res, 422, "This username is taken.").await;
}

async fn a_foreign_or_missing_account_id_is_404(app: TestApp) {
    let admin = app.admin("boss");
    let a = app.customer("alice", admin);
    let bob = app.customer("bob", admin);
    let b = app.login("alice").await;
    assert_status!(b.get(&format!("/users/{a}")).await, 200);
    for path in [
        format!("/users/{bob}"),
        "/users/999999".into(),
        "/users/abc".into(),
        "/users/-1".into(),
        "/users/99999999999999".into(),
    ] {
        assert_status!(b.get(&path).await, 404, "{path}");
    }
    assert_status!(
        b.save_profile(&format!("/users/{bob}"), "Hacked", "h@example.com")
            .await,
        404
    );
    assert_eq!(app.user(bob).unwrap().name, "bob name");
}

async fn a_name_with_script_is_shown_escaped(app: TestApp) {
    let admin = app.admin("boss");
    let b = app.login("boss").await;
    assert_status!(
        b.save_profile(
            &format!("/users/{admin}"),
            "<script>alert(1)</script>",
            "boss@example.com",
        )
        .await,
        303
    );
    let page = b.get_html(&format!("/users/{admin}")).await;
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.contains("&lt;script&gt;"),
        "{page}"
    );
}

async fn a_login_changes_its_own_password_with_the_current_one(app: TestApp) {
    let admin = app.admin("boss");
    let other_device = app.login("boss").await;
    let b = app.login("boss").await;
    let path = format!("/users/{admin}");
    let res = b
        .post(
            &path,
            &[
                ("form", "password"),
                ("current_password", "wrong-one-here"),
                ("new_password", "a-brand-new-password"),
            ],
        )
        .await;
    assert_says(res, 422, "not your current password").await;
    let res = b
        .post(
            &path,
            &[
                ("form", "password"),
                ("current_password", PASSWORD),
                ("new_password", "a-brand-new-password"),
            ],
        )
        .await;
    assert_redirect_to(&res, &path);
    // This session goes on; the other device's session has ended.
    assert_status!(b.get(&path).await, 200);
    assert_redirect_to(&other_device.get(&path).await, "/login");
    assert_status!(app.browser().login("boss", PASSWORD).await, 422);
    assert_status!(
        app.browser().login("boss", "a-brand-new-password").await,
        303
    );
}

async fn a_reseller_cannot_change_kind_or_owner_of_its_customer(app: TestApp) {
    let admin = app.admin("boss");
    let r = app.reseller("resell", admin);
    let c = app.customer("carol", r);
    let b = app.login("resell").await;
    assert_status!(
        b.post(
            &format!("/users/{c}"),
            &[
                ("form", "profile"),
                ("name", "Carol"),
                ("email", "carol@example.com"),
                ("kind", "reseller"),
            ],
        )
        .await,
        403
    );
    assert_eq!(app.user(c).unwrap().kind, "user");
    // It may disable its customer.
    assert_status!(
        b.post(
            &format!("/users/{c}"),
            &[
                ("form", "profile"),
                ("name", "Carol"),
                ("email", "carol@example.com"),
                ("status", "disabled"),
            ],
        )
        .await,
        303
    );
    assert!(app.user(c).unwrap().disabled);
}
