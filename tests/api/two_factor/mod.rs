//! Two-factor authentication, on both backends: TOTP set-up with a QR
//! code, the login's second step, replay and throttling, recovery codes, the three
//! policies that demand a factor, sudo mode, resets by managers and the console, and
//! passkeys (with a software authenticator).
//! Codes are computed here with totp-rs from the secret the set-up page shows.

mod authenticator;
mod enforcement;
mod login;
mod passkeys;
mod pending;
mod resets;
mod setup;
mod sudo;

use diesel::prelude::*;
use steward::db::schema::sessions;
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::{Browser, TestApp, PASSWORD};

/// The code of `secret` for `offset` steps from now.
pub fn code(secret: &str, offset: i64) -> String {
    let t = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = chrono::Utc::now().timestamp() + offset * 30;
    t.generate(now as u64).to_string()
}

/// Text between `start` and the next `end` in `html`.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(&html[i..j])
}

/// Turns TOTP on for the logged-in browser: answers the secret and the recovery codes.
pub async fn enrol(b: &Browser) -> (String, Vec<String>) {
    let res = b.post("/account/security/totp/start", &[]).await;
    assert_status!(res, 200);
    let page = res.text().await.unwrap();
    let secret = between(&page, "id=\"totp-secret\">", "<")
        .expect("the set-up page shows the secret")
        .to_string();
    let res = b
        .post("/account/security/totp", &[("code", &code(&secret, 0))])
        .await;
    assert_status!(res, 303, "a first code confirms the set-up");
    assert_eq!(
        res.headers()["location"],
        "/account/security/recovery-codes"
    );
    let page = b.get_html("/account/security/recovery-codes").await;
    let list = between(&page, "id=\"recovery-codes\">", "</ul>").expect("codes shown");
    let codes: Vec<String> = list
        .split("<li>")
        .filter_map(|s| s.split("</li>").next())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Logs a fresh browser in with its password only (answers the browser and the redirect).
pub async fn password_step(app: &TestApp, username: &str) -> (Browser, String) {
    let b = app.browser();
    let res = b.login(username, PASSWORD).await;
    assert_status!(res, 303, "the password is right");
    let to = res.headers()["location"].to_str().unwrap().to_string();
    (b, to)
}

/// Logs in with password and a code (a TOTP code or a recovery code).
pub async fn login_with_code(app: &TestApp, username: &str, code: &str) -> (Browser, u16) {
    let (b, to) = password_step(app, username).await;
    assert_eq!(to, "/login/two-factor");
    let res = b.post("/login/two-factor", &[("code", code)]).await;
    let status = res.status().as_u16();
    (b, status)
}

/// Moves a timestamp kept in every session of `user_id` (or every pending one) back by
/// `seconds`, as if that much time had passed.
pub fn age_sessions(app: &TestApp, key: &str, seconds: i64) {
    let mut conn = app.conn();
    let rows: Vec<(String, String)> = sessions::table
        .select((sessions::key_hash, sessions::state))
        .load(&mut conn)
        .unwrap();
    for (hash, state) in rows {
        let mut map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&state).unwrap();
        let Some(v) = map.get(key).and_then(|v| v.as_str()).map(str::to_string) else {
            continue;
        };
        let old: i64 = v.parse().unwrap();
        map.insert(
            key.to_string(),
            serde_json::Value::String((old - seconds).to_string()),
        );
        diesel::update(sessions::table.filter(sessions::key_hash.eq(hash)))
            .set(sessions::state.eq(serde_json::Value::Object(map).to_string()))
            .execute(&mut conn)
            .unwrap();
    }
}

/// Resets every second factor of the login whose page is `page` (`/users/{id}`, or an
/// alias user's page), confirmed, as its manager's page does; answers the response.
pub async fn reset_factors(b: &Browser, page: &str) -> reqwest::Response {
    b.post(&format!("{page}/two-factor/reset"), &[("confirm", "yes")])
        .await
}

pub fn has_factor(app: &TestApp, id: i32) -> bool {
    steward::models::two_factor::has_factor(&mut app.conn(), id).unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}
