//! The JSON API's rows of the authorization matrix. Each kind of login calls with its
//! own bearer key; the last column is a revoked key of the account owner (impersonation
//! does not exist in the API). Answers as in `matrix`: 2 = 200, 201 or 204, 1 = 401,
//! 4 = 403, N = 404, C = 409, U = 422. `{col}` in a body is the column's number (unique
//! names per key). A write on `{aid}` acts on a new alias user per cell unless its row
//! names a target (`TARGET_ROWS`); its change is checked in `matrix::effects`. A write on
//! `{rid}` acts on a new role per cell (`fresh_role`).

use diesel::prelude::*;
use steward::db::schema::api_keys;
use steward::db::Backend;

use crate::helpers::snapshot::snapshot;
use crate::helpers::{spawn_app_limited, test_limits};
use crate::matrix::{api_key, fill, world, World, COLS};

#[rustfmt::skip]
pub const ROWS: &[(&str, &str, &str, &str)] = &[
    //method   path                                 body                                                                                                             anon adm aAl res own oth nar mgr wid dis exp rev
    ("GET",    "/api/v1/openapi.json",              "",                                                                                                             "222222222222"),
    ("GET",    "/api/v1/me",                        "",                                                                                                             "122222222111"),
    ("GET",    "/api/v1/keys/current",              "",                                                                                                             "122222222111"),
    ("GET",    "/api/v1/servers",                   "",                                                                                                             "122222222111"),
    ("GET",    "/api/v1/servers/{sid}",             "",                                                                                                             "12N22N222111"),
    ("POST",   "/api/v1/servers/{sid}/power",       r#"{"action":"on"}"#,                                                                                           "12N22N422111"),
    ("GET",    "/api/v1/alias-users",               "",                                                                                                             "124222424111"),
    ("GET",    "/api/v1/alias-users/{aid}",         "",                                                                                                             "1N4N2N424111"),
    // The spare role is the owner's: other accounts' keys name a role that is not theirs.
    ("POST",   "/api/v1/alias-users",               r#"{"username":"api-alias-c{col}","email":"c{col}@example.com","role_id":{rid},"password":"a-long-password"}"#, "1U4U2U424111"),
    ("GET",    "/api/v1/audit",                     "",                                                                                                             "122222444111"),
    // Writes on {aid} act on a new alias user for each cell (the narrow one's role, on s1),
    // so that an answer is about the key and not about what an earlier cell did to it.
    ("PATCH",  "/api/v1/alias-users/{aid}",         r#"{"role_id":{rid},"disabled":true,"expires_at":"2099-01-01"}"#,                                               "1N4N2N424111"),
    ("DELETE", "/api/v1/alias-users/{aid}",         "",                                                                                                             "1N4N2N424111"),
    ("PUT",    "/api/v1/alias-users/{aid}/servers", r#"{"all":false,"server_ids":[{sid}]}"#,                                                                        "1N4N2N424111"),
    // s3 is beyond the manager (404, as the dialog answers); all servers too (403).
    ("PUT",    "/api/v1/alias-users/{aid}/servers", r#"{"all":false,"server_ids":[{s3}]}"#,                                                                         "1N4N2N4N4111"),
    ("PUT",    "/api/v1/alias-users/{aid}/servers", r#"{"all":true}"#,                                                                                              "1N4N2N444111"),
    // Roles: the Roles tab's rule on the key's own account. A write on {rid} acts on a
    // role made for its cell (see `fresh_role`); the spare role is the owner's, so other
    // accounts' keys get 404.
    ("GET",    "/api/v1/roles",                     "",                                                                                                             "124222424111"),
    ("POST",   "/api/v1/roles",                     r#"{"name":"API role c{col}","permissions":["servers.view"]}"#,                                                 "124222424111"),
    ("GET",    "/api/v1/roles/{rid}",               "",                                                                                                             "1N4N2N424111"),
    ("PATCH",  "/api/v1/roles/{rid}",               r#"{"name":"API edited c{col}","permissions":["servers.view","servers.power"]}"#,                               "1N4N2N424111"),
    ("DELETE", "/api/v1/roles/{rid}",               "",                                                                                                             "1N4N2N424111"),
];

/// Rows on one of the world's alias users (`aid=strong`: stronger than the manager by a
/// permission, `aid=wide`: by servers, `aid=manager`: the manager itself), with a change
/// that leaves its rights as they are, so the cells after the owner's answer alike.
#[rustfmt::skip]
pub const TARGET_ROWS: &[(&str, &str, &str, &str, &str)] = &[
    //method  path                                 body                              target          anon adm aAl res own oth nar mgr wid dis exp rev
    ("PATCH", "/api/v1/alias-users/{aid}",         r#"{"expires_at":"2099-01-01"}"#, "aid=strong",  "1N4N2N444111"),
    ("PATCH", "/api/v1/alias-users/{aid}",         r#"{"expires_at":"2099-01-01"}"#, "aid=wide",    "1N4N2N444111"),
    ("PATCH", "/api/v1/alias-users/{aid}",         r#"{"expires_at":"2099-01-01"}"#, "aid=manager", "1N4N2N444111"),
    ("PUT",   "/api/v1/alias-users/{aid}/servers", r#"{"all":false}"#,               "aid=strong",  "1N4N2N444111"),
];

/// A write on an alias user without a target of its own: it gets a new one, like the
/// narrow alias (its role, on s1), named after the row and the column.
fn fresh_target(
    app: &crate::helpers::TestApp,
    w: &crate::matrix::world::World,
    row: usize,
    col: usize,
) -> i32 {
    let id = app
        .alias(&format!("api-target-{row}-{col}"), w.owner)
        .role(w.narrow_role)
        .create();
    app.assign(id, w.s1);
    id
}

/// All columns share one world, so a write on a role would take it from the columns after
/// it: each such cell acts on a new unused role of the owner instead of the spare one.
fn fresh_role(app: &crate::helpers::TestApp, w: &World, method: &str, col: usize) -> i32 {
    app.role(w.owner, &format!("Fresh {method} c{col}"))
        .perms(&["servers.view"])
        .create()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_answers_every_kind_of_key_as_written_by_hand() {
    // Refused keys are most of the matrix; the key-guess throttle (its own test is
    // abuse::api) would answer them 429 after the first 20 in a minute.
    let app = spawn_app_limited(
        Backend::Sqlite,
        steward::web::limits::Limits {
            api_key_failures_per_minute: 1_000_000,
            ..test_limits()
        },
    )
    .await;
    let w = world(&app, 0, Some(0)).await;
    // One key per login of the world, in column order (logins are `{name}-0`).
    let usernames = [
        "",
        "admin-0",
        "admin-helper-0",
        "res1-0",
        "owner-0",
        "other-0",
        "narrow-0",
        "manager-0",
        "wide-0",
        "disabled-0",
        "expired-0",
        "owner-0",
    ];
    let mut keys: Vec<Option<String>> = Vec::new();
    for (col, name) in usernames.iter().enumerate() {
        if name.is_empty() {
            keys.push(None);
            continue;
        }
        let user = app.user_named(name).unwrap();
        let (id, secret) = api_key(&app, user.id);
        if col == 11 {
            diesel::update(api_keys::table.find(id))
                .set(api_keys::revoked_at.eq(Some(steward::models::now())))
                .execute(&mut app.conn())
                .unwrap();
        }
        keys.push(Some(secret));
    }
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    let mut tried = 0;
    let rows = ROWS
        .iter()
        .map(|&(m, p, b, a)| (m, p, b, "", a))
        .chain(TARGET_ROWS.iter().copied());
    for (row, (method, template, body, target, answers)) in rows.enumerate() {
        let (method, template) = (&method, &template);
        for (col, expected) in answers.chars().enumerate() {
            tried += 1;
            let changes_alias = template.contains("{aid}") && !["GET", "POST"].contains(method);
            let fresh =
                (changes_alias && target.is_empty()).then(|| fresh_target(&app, &w, row, col));
            let fresh_rid = (*method != "GET" && template.contains("{rid}"))
                .then(|| fresh_role(&app, &w, method, col));
            let mut path = template.to_string();
            if let Some(id) = fresh {
                path = path.replace("{aid}", &id.to_string());
            }
            if let Some(rid) = fresh_rid {
                path = path.replace("{rid}", &rid.to_string());
            }
            let url = format!("{}{}", app.address, fill(&path, &w, target));
            let body = fill(body, &w, target).replace("{col}", &col.to_string());
            let mut req = if *method == "GET" {
                client.get(&url)
            } else {
                client
                    .request(method.parse().unwrap(), &url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            };
            if let Some(k) = &keys[col] {
                req = req.bearer_auth(k);
            }
            let jobs_before = crate::matrix::effects::jobs_of_row(&app, &w, "");
            let before = snapshot(&app);
            let res = req.send().await.unwrap();
            let got = match res.status().as_u16() {
                200 | 204 => '2',
                401 => '1',
                403 => '4',
                404 => 'N',
                409 => 'C',
                422 => 'U',
                s => char::from_digit(u32::from(s / 100), 10).unwrap_or('?'),
            };
            let is_json = res
                .headers()
                .get("content-type")
                .is_some_and(|c| c.to_str().unwrap_or("").starts_with("application/json"));
            // A 204 has no body to be JSON.
            let is_json = is_json || res.status().as_u16() == 204;
            if got != expected {
                failures.push(format!(
                    "{method} {template} with {}: expected {expected}, got {got}",
                    COLS[col]
                ));
            } else if !is_json && res.status().as_u16() != 204 {
                failures.push(format!(
                    "{method} {template} with {}: answer is not JSON",
                    COLS[col]
                ));
            } else if (got != '2' || *method == "GET") && snapshot(&app) != before {
                failures.push(format!(
                    "{method} {template} with {}: refused but changed the database: {}",
                    COLS[col],
                    before.describe_change(&snapshot(&app))
                ));
            } else if got == '2' && template.starts_with("/api/v1/roles") {
                if let Err(e) = crate::matrix::effects::check_api_role(
                    &app,
                    method,
                    col,
                    fresh_rid,
                    &before,
                    &snapshot(&app),
                ) {
                    failures.push(format!("{method} {template} with {}: {e}", COLS[col]));
                }
            } else if got == '2' && changes_alias {
                let aid = fresh.unwrap_or_else(|| w.ids(target).aid);
                let after = snapshot(&app);
                if let Err(e) = crate::matrix::effects::api_alias_write(
                    &app, method, &body, aid, &before, &after,
                ) {
                    failures.push(format!("{method} {template} with {}: {e}", COLS[col]));
                }
            } else if got == '2' && *method == "POST" {
                // What an accepted write leaves: a power request a job, a creation a login
                // (and nothing else: no job).
                let jobs = crate::matrix::effects::jobs_of_row(&app, &w, "");
                let done = if template.ends_with("/power") {
                    jobs == jobs_before + 1
                } else {
                    let name = format!("api-alias-c{col}");
                    jobs == jobs_before
                        && app
                            .user_named(&name)
                            .is_some_and(|u| u.parent_id == Some(w.owner))
                };
                if !done {
                    failures.push(format!(
                        "{method} {template} with {}: answered 2xx but did not do it",
                        COLS[col]
                    ));
                }
            }
        }
    }
    eprintln!(
        "API matrix: {} rows × {} keys = {tried} requests",
        ROWS.len() + TARGET_ROWS.len(),
        COLS.len()
    );
    crate::matrix::assert_no_failures(&failures, tried);
}
