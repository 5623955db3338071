//! SPEC §5/§9: when `STEWARD_PUBLIC_URL` is https, the session cookie is `Secure` with the
//! `__Host-` prefix and every response carries `Strict-Transport-Security`; over plain
//! http (the default, for local use) neither, so the panel still works without TLS.

use crate::helpers::TestApp;
use crate::{backend_tests, backend_tests_with};

backend_tests_with!(crate::ops::cookies::public_https;
    with_an_https_public_url_the_session_cookie_is_secure_and_host_prefixed_and_hsts_is_sent);
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

async fn with_an_https_public_url_the_session_cookie_is_secure_and_host_prefixed_and_hsts_is_sent(
    app: TestApp,
) {
    let res = app.browser().get("/login").await;
    assert_eq!(res.status().as_u16(), 200);
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
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers().get("strict-transport-security").is_some());
}

async fn over_plain_http_the_cookie_has_no_prefix_and_no_hsts_is_sent(app: TestApp) {
    let res = app.browser().get("/login").await;
    let cookie = session_cookie(&res);
    assert!(cookie.starts_with("steward_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(res.headers().get("strict-transport-security").is_none());
}
