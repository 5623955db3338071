use crate::helpers::{TestApp, PASSWORD};

backend_tests!(
    a_post_without_the_csrf_token_is_refused_and_changes_nothing,
    the_csrf_token_may_come_as_a_header,
    every_response_carries_the_security_headers,
    the_session_cookie_is_http_only_and_same_site,
    oversized_bodies_get_413,
    healthz_answers_ok,
    static_assets_are_served_by_the_panel_itself,
);

async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    let admin = app.admin("boss");
    let b = app.login("boss").await;
    let path = format!("/users/{admin}");
    let profile = [
        ("form", "profile"),
        ("name", "Changed"),
        ("email", "x@example.com"),
    ];
    // Without a token, and with a forged one.
    assert_status!(b.post_raw(&path, &profile).await, 403);
    let forged = [&profile[..], &[("csrf_token", "forged")]].concat();
    assert_status!(b.post_raw(&path, &forged).await, 403);
    assert_eq!(app.user(admin).unwrap().name, "boss name");
    // Logging in needs the token too (no login CSRF).
    assert_status!(
        app.browser()
            .post_raw("/login", &[("username", "boss"), ("password", PASSWORD)])
            .await,
        403
    );
    // And so does logging out.
    assert_status!(b.post_raw("/logout", &[]).await, 403);
}

async fn the_csrf_token_may_come_as_a_header(app: TestApp) {
    let admin = app.admin("boss");
    let b = app.login("boss").await;
    let token = b.csrf().await;
    assert_status!(
        b.client
            .post(b.url(&format!("/users/{admin}")))
            .header("X-CSRF-Token", token)
            .form(&[
                ("form", "profile"),
                ("name", "Via Header"),
                ("email", "boss@example.com"),
            ])
            .send()
            .await
            .unwrap(),
        303
    );
    assert_eq!(app.user(admin).unwrap().name, "Via Header");
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    let b = app.browser();
    for path in ["/login", "/healthz", "/nope", "/static/app.css"] {
        let res = b.get(path).await;
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .expect("CSP")
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert!(h.get("referrer-policy").is_some());
    }
}

/// The first Set-Cookie header of a response, attributes and all.
fn first_set_cookie(res: &reqwest::Response) -> String {
    let header = res
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header");
    header.to_str().unwrap().to_string()
}

async fn the_session_cookie_is_http_only_and_same_site(app: TestApp) {
    // The login form's cookie (its CSRF nonce; no session exists before a login) ...
    let res = app.browser().get("/login").await;
    let cookie = first_set_cookie(&res);
    assert!(cookie.starts_with("steward_login_csrf="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // ... and the session cookie a login sets.
    app.admin("boss");
    let b = app.browser();
    let res = b.login("boss", crate::helpers::PASSWORD).await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("steward_session="))
        .expect("a session cookie after the login");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // Behind an https proxy, it is marked Secure.
    let res = app
        .browser()
        .client
        .get(format!("{}/login", app.address))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = first_set_cookie(&res);
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn oversized_bodies_get_413(app: TestApp) {
    app.admin("boss");
    let b = app.login("boss").await;
    let huge = "x".repeat(400 * 1024);
    assert_status!(b.post("/users", &[("username", &huge)]).await, 413);
}

async fn healthz_answers_ok(app: TestApp) {
    let res = app.browser().get("/healthz").await;
    assert_status!(res, 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

async fn static_assets_are_served_by_the_panel_itself(app: TestApp) {
    let b = app.browser();
    let page = b.get_html("/login").await;
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external asset"
    );
    for path in ["/static/app.css", "/static/htmx.min.js", "/static/app.js"] {
        assert_status!(b.get(path).await, 200, "{path}");
    }
    assert_status!(b.get("/static/../Cargo.toml").await, 404);
}
