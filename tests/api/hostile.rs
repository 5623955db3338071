//! Hostile input (issue 10) on every form field and every id in a path: very long
//! strings, control characters and NUL, invalid UTF-8, HTML and SQL metacharacters,
//! negative, zero, huge and non-numeric ids, missing and repeated fields, oversized
//! bodies and wrong content types. Never a 500, never a change after a refusal, never
//! unescaped output.

use steward::db::Backend;

use crate::helpers::{spawn_app, Browser, TestApp};
use crate::matrix::{fill, snapshot, world, World, ROWS};

const SCRIPT: &str = "<script>alert(1)</script>";

fn hostile_values() -> Vec<String> {
    vec![
        "A".repeat(20_000),
        "nul\0inside".into(),
        "\u{1b}[31mred\u{7}bell\r\nline".into(),
        SCRIPT.into(),
        "\"><img src=x onerror=alert(1)>".into(),
        "' OR '1'='1'; DROP TABLE users; --".into(),
        "%' OR 1=1 --".into(),
        "-1".into(),
        "0".into(),
        "99999999999999999999".into(),
        "NaN".into(),
        "../../etc/passwd".into(),
        "😀".repeat(300),
        "".into(),
        " ".into(),
    ]
}

const HOSTILE_IDS: &[&str] = &[
    "0",
    "-1",
    "99999999999",
    "2147483648",
    "abc",
    "1.5",
    "1e3",
    "%00",
    "1%20OR%201%3D1",
    "%F0%9F%98%80",
];

/// The login that may use a route: the account owner where it may, else the admin.
fn column_for(answers: &str) -> usize {
    if answers.chars().nth(4) == Some('3') || answers.chars().nth(4) == Some('2') {
        4
    } else {
        1
    }
}

fn page_leaks_script(body: &str) -> bool {
    body.contains(SCRIPT) || body.contains("<img src=x onerror")
}

struct Tally {
    tried: usize,
    failures: Vec<String>,
}

impl Tally {
    async fn check(&mut self, app: &TestApp, label: &str, res: reqwest::Response, before: &str) {
        self.tried += 1;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        if status >= 500 {
            self.failures.push(format!("{label}: answered {status}"));
        }
        if page_leaks_script(&body) {
            self.failures
                .push(format!("{label}: the page shows the input unescaped"));
        }
        if (400..500).contains(&status) && snapshot(app) != before {
            self.failures.push(format!(
                "{label}: refused with {status} but changed the database"
            ));
        }
    }
}

async fn post_pairs(b: &Browser, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    let mut fields = pairs.to_vec();
    fields.push(("csrf_token".into(), b.csrf().await));
    b.client
        .post(b.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn post_raw_body(
    b: &Browser,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
) -> reqwest::Response {
    let token = b.csrf().await;
    b.client
        .post(b.url(path))
        .header("Content-Type", content_type)
        .header("X-CSRF-Token", token)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_gets_a_500_a_change_after_refusal_or_unescaped_output() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut n = 1000;
    let mut tally = Tally {
        tried: 0,
        failures: Vec::new(),
    };
    for (method, template, body, answers) in ROWS.iter().filter(|r| r.0 == "POST") {
        if matches!(*template, "/logout" | "/login" | "/impersonation/stop") {
            continue;
        }
        let col = column_for(answers);
        n += 1;
        let w: World = world(&app, n, Some(col)).await;
        let b = w.browsers[col].as_ref().unwrap();
        let path = fill(template, &w);
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&fill(body, &w)).unwrap();

        // Each field, one hostile value at a time.
        for i in 0..pairs.len() {
            for value in hostile_values() {
                let mut fields = pairs.clone();
                fields[i].1 = value.clone();
                let before = snapshot(&app);
                let res = post_pairs(b, &path, &fields).await;
                let label = format!("{method} {template} {}={:.20?}", fields[i].0, value);
                tally.check(&app, &label, res, &before).await;
            }
            // Invalid UTF-8 in the field.
            let mut raw = Vec::new();
            for (j, (k, v)) in pairs.iter().enumerate() {
                if j > 0 {
                    raw.push(b'&');
                }
                raw.extend_from_slice(k.as_bytes());
                raw.push(b'=');
                if i == j {
                    raw.extend_from_slice(b"%FF%FE%C3%28");
                } else {
                    raw.extend_from_slice(
                        serde_urlencoded::to_string([("", v)])
                            .unwrap()
                            .trim_start_matches('=')
                            .as_bytes(),
                    );
                }
            }
            let before = snapshot(&app);
            let res = post_raw_body(b, &path, raw, "application/x-www-form-urlencoded").await;
            tally
                .check(
                    &app,
                    &format!("{method} {template} invalid UTF-8 in {}", pairs[i].0),
                    res,
                    &before,
                )
                .await;
        }
        // Missing fields, repeated fields, a wrong content type, and an oversized body.
        let before = snapshot(&app);
        let res = post_pairs(b, &path, &[]).await;
        tally
            .check(
                &app,
                &format!("{method} {template} with no fields"),
                res,
                &before,
            )
            .await;
        let doubled: Vec<(String, String)> = pairs
            .iter()
            .flat_map(|(k, v)| [(k.clone(), v.clone()), (k.clone(), format!("{v}x"))])
            .collect();
        let before = snapshot(&app);
        let res = post_pairs(b, &path, &doubled).await;
        tally
            .check(
                &app,
                &format!("{method} {template} with repeated fields"),
                res,
                &before,
            )
            .await;
        let before = snapshot(&app);
        let res = post_raw_body(b, &path, br#"{"name":"json"}"#.to_vec(), "application/json").await;
        tally
            .check(&app, &format!("{method} {template} as JSON"), res, &before)
            .await;
        let before = snapshot(&app);
        let huge = format!("name={}", "x".repeat(600 * 1024)).into_bytes();
        let res = post_raw_body(b, &path, huge, "application/x-www-form-urlencoded").await;
        let status = res.status().as_u16();
        tally
            .check(
                &app,
                &format!("{method} {template} oversized"),
                res,
                &before,
            )
            .await;
        if status != 413 {
            tally.failures.push(format!(
                "{method} {template} oversized: answered {status}, not 413"
            ));
        }
    }

    // Every id in every path, hostile, for a login that may use the route: 404.
    let w = world(&app, 1, None).await;
    for (method, template, body, answers) in ROWS {
        let ids: Vec<&str> = ["{id}", "{aid}", "{rid}", "{sid}"]
            .into_iter()
            .filter(|p| template.contains(p))
            .collect();
        let col = column_for(answers);
        let b = w.browsers[col].as_ref().unwrap();
        for placeholder in ids {
            for bad in HOSTILE_IDS {
                let path = fill(&template.replace(placeholder, bad), &w);
                let before = snapshot(&app);
                let res = if *method == "GET" {
                    b.get(&path).await
                } else {
                    post_pairs(
                        b,
                        &path,
                        &serde_urlencoded::from_str::<Vec<(String, String)>>(&fill(body, &w))
                            .unwrap(),
                    )
                    .await
                };
                let status = res.status().as_u16();
                tally
                    .check(&app, &format!("{method} {path}"), res, &before)
                    .await;
                if status != 404 {
                    tally
                        .failures
                        .push(format!("{method} {path}: answered {status}, not 404"));
                }
            }
        }
    }

    // Whatever was accepted above is shown escaped on the main pages.
    let admin = w.browsers[1].as_ref().unwrap();
    for page in ["/users", "/servers", "/audit"].iter().copied() {
        let html = admin.get_html(page).await;
        assert!(
            !page_leaks_script(&html),
            "{page} shows hostile input unescaped"
        );
    }
    eprintln!("hostile input: {} requests tried", tally.tried);
    assert!(
        tally.failures.is_empty(),
        "{} problems in {} requests:\n{}",
        tally.failures.len(),
        tally.tried,
        tally.failures.join("\n")
    );
}
