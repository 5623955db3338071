//! When `STEWARD_PUBLIC_URL` is https, the session cookie is `Secure` with the
//! `__Host-` prefix and every response carries `Strict-Transport-Security`; over plain
//! http (the default, for local use) neither, so the panel still works without TLS.

use crate::backend_tests_with;
use crate::helpers::{csrf_in, TestApp, PASSWORD};

backend_tests_with!(crate::ops::cookies::public_https;
    with_an_https_public_url_the_session_cookie_is_secure_and_host_prefixed_and_hsts_is_sent,
    with_an_https_public_url_a_new_api_keys_secret_is_shown_once);
backend_tests!(over_plain_http_the_cookie_has_no_prefix_and_no_hsts_is_sent);

pub fn public_https(s: &mut steward::config::Settings) {
    s.public_url = Some("https://panel.example.com".into());
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("steward_session="))
        .expect("a session cookie")
}

/// The answer to a successful login: the session is created only then (a stranger's
/// `GET /login` stores nothing), so that is where its cookie is set. Cookies are carried by
/// hand: a jar would not send a Secure cookie back over the tests' plain http.
async fn logged_in(app: &TestApp) -> reqwest::Response {
    app.admin("cookie-admin");
    let form = app.browser().get("/login").await;
    let login_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .next()
        .expect("the login form's cookie");
    let token = csrf_in(&form.text().await.unwrap()).expect("the login form's token");
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", app.address))
        .header("Cookie", login_cookie)
        .form(&[
            ("username", "cookie-admin"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_status!(res, 303, "logged in");
    res
}

async fn with_an_https_public_url_the_session_cookie_is_secure_and_host_prefixed_and_hsts_is_sent(
    app: TestApp,
) {
    let form = app.browser().get("/login").await;
    assert_status!(form, 200);
    assert!(form.headers().get("strict-transport-security").is_some());
    // The login form's CSRF cookie is Secure too.
    let login_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .next()
        .expect("the login form's cookie");
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    let res = logged_in(&app).await;
    let cookie = session_cookie(&res);
    assert!(cookie.starts_with("__Host-steward_session="), "{cookie}");
    // What browsers require of a __Host- cookie: Secure, Path=/, no Domain.
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert_eq!(
        res.headers().get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );
    // On every answer, errors included.
    let res = app.browser().get("/no-such-page").await;
    assert_status!(res, 404);
    assert!(res.headers().get("strict-transport-security").is_some());
}

async fn over_plain_http_the_cookie_has_no_prefix_and_no_hsts_is_sent(app: TestApp) {
    let res = logged_in(&app).await;
    let cookie = session_cookie(&res);
    assert!(cookie.starts_with("steward_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(res.headers().get("strict-transport-security").is_none());
}

/// The secrets that wait in the session for the next page (a new API key, recovery codes,
/// a TOTP secret being set up) are sealed under the session cookie's value, which must be
/// found under the name the panel gives it over https too.
async fn with_an_https_public_url_a_new_api_keys_secret_is_shown_once(app: TestApp) {
    let res = logged_in(&app).await;
    let cookie = session_cookie(&res).split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("__Host-steward_session="), "{cookie}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        client
            .get(format!("{}{path}", app.address))
            .header("Cookie", &cookie)
            .send()
    };
    let own = get("/account".into()).await.unwrap();
    let page = own.headers()["location"].to_str().unwrap().to_string();
    let keys = format!("{page}/api-keys");
    let list = get(keys.clone()).await.unwrap().text().await.unwrap();
    let token = csrf_in(&list).expect("a csrf token on the keys page");
    assert_status!(
        client
            .post(format!("{}{keys}", app.address))
            .header("Cookie", &cookie)
            .form(&[("name", "deploy"), ("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap(),
        303,
        "the key is created"
    );
    let shown = get(keys.clone()).await.unwrap().text().await.unwrap();
    assert!(
        shown.contains("id=\"new-api-key\"") && shown.contains("value=\"stw_"),
        "the new key's secret is shown: {shown}"
    );
    let again = get(keys).await.unwrap().text().await.unwrap();
    assert!(!again.contains("id=\"new-api-key\""), "and only once");
}
