//! Hostile input on every field every handler reads and every id in
//! every path, on both backends: very long strings, control characters and NUL, invalid
//! UTF-8, HTML and SQL metacharacters, bidi and zero-width characters, negative, zero,
//! huge and non-numeric ids, missing and repeated fields, oversized bodies and wrong
//! content types. Never a 500, never a change after a refusal, never unescaped output.
//!
//! The routes and their fields come from the route table the real registration fills
//! (src/routes/table.rs; form and query structs list their own fields), not from sample
//! bodies: a field without a valid value below fails the test. Each route's valid body is
//! sent first and must be accepted, so that a refusal of a hostile variant is about the
//! hostile value and not about the rest of the body.

use std::collections::BTreeMap;

use steward::routes::{RouteRow, RouteTable};

use crate::helpers::snapshot::{snapshot, snapshot_at_rest, Snapshot};
use crate::helpers::{Browser, TestApp, PASSWORD};
use crate::matrix::world::new_ip;
use crate::matrix::{api_key, world, World};

/// Rows holding this are searched for afterwards, to read the page they appear on.
const MARK: &str = "hostilemark";
const SCRIPT: &str = "hostilemark<script>alert(1)</script>";
const IMG: &str = "hostilemark\"><img src=x onerror=alert(1)>";

fn hostile_values() -> Vec<String> {
    vec![
        "A".repeat(20_000),
        "nul\0inside".into(),
        "\u{1b}[31mred\u{7}bell\r\nline".into(),
        SCRIPT.into(),
        IMG.into(),
        "' OR '1'='1'; DROP TABLE users; --".into(),
        "%' OR 1=1 --".into(),
        "\u{202e}nimda\u{200b}".into(),
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

/// Routes whose input is not a field: leaving, and stopping an impersonation. And an
/// alias user's API key creation: the same handler and fields as the account's
/// (`/users/{id}/api-keys`, tried here), which no login of the world may use on the narrow
/// alias (credentials are personal, and its role lacks api_keys.manage).
fn skipped(r: &RouteRow) -> bool {
    matches!(
        r.path.as_str(),
        "/logout" | "/impersonation/stop" | "/users/{id}/alias-users/{aid}/api-keys"
    )
}

/// The login that may use a route (its column in the matrix): anonymous for /login, the
/// admin for what only admins do, else the account owner.
fn column_for(r: &RouteRow) -> usize {
    let admin_only = [
        "/servers",
        "/servers/{sid}/edit",
        "/servers/{sid}/delete",
        "/servers/{sid}/owner",
        "/users",
        "/users/{id}",
        "/users/{id}/servers",
        "/users/{id}/sessions/end",
        "/audit",
    ];
    if r.path == "/login" || r.path.starts_with("/invitations/") {
        0
    } else if admin_only.contains(&r.path.as_str()) || r.path.starts_with("/admin/") {
        1
    } else {
        4
    }
}

/// An SSH key no fixture holds yet.
const NEW_SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7DkDFaKtqK5T513TXcviIWa586qssQgI/WqB50pSaC desk";

/// A value of `field` that the route accepts, in world `w`; None when none is written.
fn valid_value(r: &RouteRow, field: &str, w: &World) -> Option<String> {
    let n = w.n;
    let p = r.path.as_str();
    let v = match (p, field) {
        ("/login", "username") => format!("owner-{n}"),
        ("/login", "password") => PASSWORD.into(),
        ("/reauth", "password") => PASSWORD.into(),
        (_, "next") => "/servers".into(),
        // Confirmed actions: a reinstall types the server's hostname.
        ("/servers/{sid}/reinstall", "confirm") => w.s1_host.clone(),
        (_, "confirm") => "yes".into(),
        (_, "code") => "123456".into(),
        // JSON booleans (the API's role body); the pages' boxes send "yes".
        ("/api/v1/roles" | "/api/v1/roles/{rid}", "confirm_dangerous" | "require_two_factor") => {
            "true".into()
        }
        (_, "require_two_factor_for_aliases") => "yes".into(),
        (_, "notify_owner") => "no".into(),
        (_, "require_two_factor") => "yes".into(),
        ("/users", "username") => format!("made-h{n}"),
        // Inviting is its own test (invitations.rs): here the password is set.
        ("/users" | "/users/{id}/alias-users", "invite") => String::new(),
        ("/login", "notice") => "password-set".into(),
        ("/users", "kind") => "user".into(),
        ("/users", "owner_id") => w.res1.to_string(),
        ("/users/{id}", "form") => "profile".into(),
        ("/users/{id}", "kind") => "user".into(),
        ("/users/{id}", "owner_id") => w.res1.to_string(),
        ("/users/{id}", "status") => "active".into(),
        ("/users/{id}", "disabled" | "current_password" | "new_password") => String::new(),
        ("/users/{id}/alias-users", "username") => format!("new-alias-h{n}"),
        ("/api/v1/alias-users", "username") => format!("api-alias-h{n}"),
        ("/api/v1/alias-users", "invite" | "all_servers") => "false".into(),
        ("/api/v1/alias-users/{aid}", "disabled") => "false".into(),
        ("/api/v1/alias-users/{aid}/servers", "all") => "false".into(),
        ("/api/v1/alias-users/{aid}/servers", "server_ids") => format!("[{}]", w.s3),
        ("/users/{id}/alias-users", "role_id") => w.spare_role.to_string(),
        ("/users/{id}/alias-users", "all_servers") => "on".into(),
        (_, "expires_at") if p.ends_with("/api-keys") => String::new(),
        (_, "server_scope") => "all".into(),
        (_, "allowed_ips") => String::new(),
        (_, "expires_at") => "2099-01-01".into(),
        (_, "role_id") => w.spare_role.to_string(),
        (_, "preview_role") => w.spare_role.to_string(),
        (_, "password") => "a-long-password".into(),
        (_, "current_password") => String::new(),
        (_, "email") => format!("h{n}-{}@example.com", p.len()),
        ("/servers", "hostname") => format!("new-h{n}.test"),
        ("/servers", "ip") => new_ip(n),
        ("/servers/{sid}/edit", "hostname") => format!("s1-{n}.matrix.test"),
        ("/servers/{sid}/edit" | "/servers/{sid}/rdns", "ip") => w.s1_ip.clone(),
        ("/servers/{sid}/rdns", "hostname") => "host.example.net".into(),
        ("/servers/{sid}/power" | "/api/v1/servers/{sid}/power", "action") => "on".into(),
        ("/servers/{sid}/power" | "/servers/{sid}/rename", "ip" | "hostname") => String::new(),
        ("/servers/{sid}/power" | "/servers/{sid}/rdns", "name") => String::new(),
        ("/servers/{sid}/rdns", "action") | ("/servers/{sid}/rename", "action") => String::new(),
        ("/servers/{sid}/rescue", "action") => String::new(),
        // The owner's own key (an empty or unknown key id is a 404).
        (_, "ssh_key") => w.owner_ssh.to_string(),
        (_, "os") => "debian-12".into(),
        (_, "location") => "FRA1".into(),
        (_, "tags") => "web".into(),
        (_, "cpu") => "EPYC 7302".into(),
        (_, "memory_gb") => "64".into(),
        (_, "disks") => "2x 960 GB NVMe".into(),
        ("/servers/{sid}/owner", "user_id") => w.neighbour.to_string(),
        ("/users/{id}/servers", "server") => w.pool_host.clone(),
        ("/users/{id}/servers", "action") => "assign".into(),
        ("/users/{id}/alias-users/{aid}/servers", "action") => "assign".into(),
        (_, "server_id") => w.s3.to_string(),
        (_, "public_key") => NEW_SSH_KEY.into(),
        (_, "description") => "Valid description".into(),
        (_, "permissions") => "servers.view".into(),
        (_, "confirm_dangerous") => "yes".into(),
        ("/admin/throttles/lift", "ip") => "203.0.113.9".into(),
        ("/admin/throttles/lift", "username") => String::new(),
        (_, "name") => format!("Valid name {n}"),
        (_, "q") => String::new(),
        // `add=1` opens a list's add dialog.
        (_, "add") => String::new(),
        (_, "page") => "1".into(),
        // The access review's filter and the CSV's form.
        (_, "filter") => "risky".into(),
        (_, "detail") => "servers".into(),
        (_, "login" | "action") if r.method == "GET" => String::new(),
        _ => return None,
    };
    Some(v)
}

/// An invitation of the narrow alias user of `w`, made usable again (a valid body uses
/// it up): answers its token, the same each time, so the route's path stays the same.
fn open_invitation(app: &TestApp, w: &World) -> String {
    use diesel::prelude::*;
    use steward::db::schema::{invitations, users};
    let token = format!("hostiletoken{}", w.n);
    let at = steward::models::now();
    diesel::delete(invitations::table.filter(invitations::user_id.eq(w.narrow)))
        .execute(&mut app.conn())
        .unwrap();
    diesel::insert_into(invitations::table)
        .values((
            invitations::user_id.eq(w.narrow),
            invitations::token_hash.eq(steward::security::token::sha256_hex(&token)),
            invitations::created_at.eq(at),
            invitations::expires_at.eq(at + chrono::Duration::hours(72)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(users::table.find(w.narrow))
        .set(users::invited_at.eq(Some(at)))
        .execute(&mut app.conn())
        .unwrap();
    token
}

/// Before each request to an invitation link: the link works again.
fn rearm(app: &TestApp, r: &RouteRow, w: &World) {
    if r.path.contains("{token}") {
        open_invitation(app, w);
    }
}

/// The path with the world's ids in it ({kid}: the owner's key of the route's kind).
fn fill_path(template: &str, w: &World) -> String {
    crate::matrix::fill(template, w, "")
}

struct Tally {
    tried: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Records what is wrong with one answer; a refusal may change nothing but a failed
    /// login's own record (`login_attempts`, for /login).
    async fn check(
        &mut self,
        app: &TestApp,
        label: &str,
        res: reqwest::Response,
        before: &Snapshot,
    ) -> u16 {
        self.tried += 1;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        if status >= 500 {
            self.failures.push(format!("{label}: answered {status}"));
        }
        if leaks(&body) {
            self.failures
                .push(format!("{label}: the page shows the input unescaped"));
        }
        if (400..500).contains(&status) {
            let after = snapshot(app);
            // A wrong password at /reauth is recorded (and throttled) as at /login.
            let login = label.starts_with("POST /login ") || label.starts_with("POST /reauth ");
            let changed = before.changed_tables(&after);
            // A failed login's own record is the one change a refusal may make.
            let expected = changed.is_empty() || (login && changed == ["login_attempts"]);
            if !expected {
                self.failures.push(format!(
                    "{label}: refused with {status} but changed the database: {}",
                    before.describe_change(&after)
                ));
            }
        }
        status
    }
}

fn leaks(body: &str) -> bool {
    body.contains("<script>alert(1)") || body.contains("<img src=x onerror")
}

fn form_body(pairs: &[(String, String)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

/// Sends `body` to the route as its page or API client would.
async fn send(
    b: &Browser,
    key: Option<&str>,
    r: &RouteRow,
    path: &str,
    pairs: &[(String, String)],
) -> reqwest::Response {
    if let Some(key) = key {
        let url = b.url(path);
        let req = if r.method == "GET" {
            b.client.get(&url).query(pairs)
        } else {
            // Numbers, booleans and lists of ids as JSON has them (an id is a number), the
            // rest as text.
            let json: BTreeMap<&str, serde_json::Value> = pairs
                .iter()
                .map(|(k, v)| {
                    let value = match v.as_str() {
                        "true" => serde_json::Value::Bool(true),
                        "false" => serde_json::Value::Bool(false),
                        v if v.starts_with('[') => {
                            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::from(v))
                        }
                        v => v
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(v)),
                    };
                    let value = if k == "permissions" {
                        serde_json::Value::Array(vec![value])
                    } else {
                        value
                    };
                    (k.as_str(), value)
                })
                .collect();
            let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
            b.client.request(method, &url).json(&json)
        };
        return req.bearer_auth(key).send().await.unwrap();
    }
    if r.method == "GET" {
        return b.client.get(b.url(path)).query(pairs).send().await.unwrap();
    }
    raw(
        b,
        path,
        form_body(pairs),
        "application/x-www-form-urlencoded",
    )
    .await
}

async fn raw(b: &Browser, path: &str, body: Vec<u8>, content_type: &str) -> reqwest::Response {
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

fn accepted(r: &RouteRow, status: u16) -> bool {
    match (r.method, status) {
        ("GET", 200) => true,
        ("POST", 303) => true,
        // A new API key is shown at once; the JSON API answers 200 (201 for a creation),
        // and so does the start of a passkey registration (the options, as JSON).
        ("POST", 200) => {
            r.path.ends_with("/api-keys")
                || r.path.starts_with("/api/")
                || r.path.ends_with("/passkeys/register/start")
        }
        ("POST", 201) => r.path.starts_with("/api/"),
        ("PATCH" | "PUT", 200) | ("DELETE", 204) => r.path.starts_with("/api/"),
        _ => false,
    }
}

backend_tests!(hostile_input_never_gets_a_500_a_change_after_refusal_or_unescaped_output);

async fn hostile_input_never_gets_a_500_a_change_after_refusal_or_unescaped_output(app: TestApp) {
    let table = RouteTable::of_the_panel();
    let mut tally = Tally {
        tried: 0,
        failures: Vec::new(),
    };
    let mut n = 1000;
    let mut fields_sent = 0;
    let mut owners = Vec::new();
    for r in table
        .routes
        .iter()
        .filter(|r| !r.fields.is_empty() && !skipped(r))
    {
        let col = column_for(r);
        n += 1;
        let w: World = world(&app, n, Some(col)).await;
        owners.push(w.owner);
        let b = w.browsers[col].as_ref().unwrap();
        let key = r
            .path
            .starts_with("/api/")
            .then(|| api_key(&app, w.owner).1);
        // A passkey of the owner for the route that deletes one (its valid body deletes it).
        let path = if r.path.contains("{token}") {
            r.path.replace("{token}", &open_invitation(&app, &w))
        } else if r.path.contains("{pk}") {
            let pk = crate::matrix::world::owner_passkey(&app, &w);
            fill_path(&r.path.replace("{pk}", &pk.to_string()), &w)
        } else {
            fill_path(&r.path, &w)
        };
        let mut pairs = Vec::new();
        for f in &r.fields {
            match valid_value(r, f, &w) {
                Some(v) => pairs.push((f.to_string(), v)),
                None => tally.failures.push(format!(
                    "{} {}: no valid value written for its field {f}",
                    r.method, r.path
                )),
            }
        }
        // The unchanged body first: it must be accepted.
        let res = send(b, key.as_deref(), r, &path, &pairs).await;
        let status = res.status().as_u16();
        if !accepted(r, status) {
            let text = res.text().await.unwrap_or_default();
            tally.failures.push(format!(
                "{} {} with its valid body {pairs:?}: answered {status}, not accepted: {text:.300}",
                r.method, r.path
            ));
            continue;
        }
        // Each field, one hostile value at a time.
        for i in 0..pairs.len() {
            fields_sent += 1;
            for value in hostile_values() {
                let mut fields = pairs.clone();
                fields[i].1 = value.clone();
                rearm(&app, r, &w);
                let before = snapshot_at_rest(&app).await;
                let res = send(b, key.as_deref(), r, &path, &fields).await;
                let label = format!("{} {} {}={:.20?}", r.method, r.path, fields[i].0, value);
                let status = tally.check(&app, &label, res, &before).await;
                if r.method == "GET" && snapshot(&app) != before {
                    tally
                        .failures
                        .push(format!("{label}: a GET changed the database ({status})"));
                }
            }
            if r.method == "POST" && key.is_none() {
                // Invalid UTF-8 in the field.
                let mut body = Vec::new();
                for (j, (k, v)) in pairs.iter().enumerate() {
                    if j > 0 {
                        body.push(b'&');
                    }
                    let value = if i == j {
                        "%FF%FE%C3%28".to_string()
                    } else {
                        serde_urlencoded::to_string([("", v)]).unwrap()[1..].to_string()
                    };
                    body.extend_from_slice(format!("{k}={value}").as_bytes());
                }
                rearm(&app, r, &w);
                let before = snapshot_at_rest(&app).await;
                let res = raw(b, &path, body, "application/x-www-form-urlencoded").await;
                let label = format!("{} {} invalid UTF-8 in {}", r.method, r.path, pairs[i].0);
                tally.check(&app, &label, res, &before).await;
            }
        }
        if r.method == "GET" || key.is_some() {
            continue;
        }
        // Missing fields, repeated fields, a wrong content type, and an oversized body.
        let doubled: Vec<(String, String)> = pairs
            .iter()
            .flat_map(|(k, v)| [(k.clone(), v.clone()), (k.clone(), format!("{v}x"))])
            .collect();
        for (what, body, ct) in [
            ("no fields", Vec::new(), "application/x-www-form-urlencoded"),
            (
                "repeated fields",
                form_body(&doubled),
                "application/x-www-form-urlencoded",
            ),
            (
                "as JSON",
                br#"{"name":"json"}"#.to_vec(),
                "application/json",
            ),
        ] {
            rearm(&app, r, &w);
            let before = snapshot_at_rest(&app).await;
            let res = raw(b, &path, body, ct).await;
            let label = format!("{} {} with {what}", r.method, r.path);
            tally.check(&app, &label, res, &before).await;
        }
        let before = snapshot_at_rest(&app).await;
        let huge = format!("name={}", "x".repeat(600 * 1024)).into_bytes();
        // The server closes the connection after a 413; a fresh one keeps the pooled
        // connections of the session usable.
        let token = b.csrf().await;
        let res = b
            .client
            .post(b.url(&path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-CSRF-Token", token)
            .header("Connection", "close")
            .body(huge)
            .send()
            .await
            .unwrap();
        let label = format!("{} {} oversized", r.method, r.path);
        let status = tally.check(&app, &label, res, &before).await;
        if status != 413 {
            tally
                .failures
                .push(format!("{label}: answered {status}, not 413"));
        }
    }

    // Every id in every path of the route table, hostile, for a login that may use the
    // route: 404.
    let w = world(&app, 1, None).await;
    let owner_key = api_key(&app, w.owner).1;
    let mut ids_sent = 0;
    for r in table.routes.iter().filter(|r| !skipped(r)) {
        let placeholders: Vec<&str> = ["{id}", "{aid}", "{rid}", "{sid}", "{kid}", "{pk}"]
            .into_iter()
            .filter(|p| r.path.contains(p))
            .collect();
        let col = column_for(r);
        let b = w.browsers[col].as_ref().unwrap();
        let key = r.path.starts_with("/api/").then_some(owner_key.as_str());
        let pairs: Vec<(String, String)> = r
            .fields
            .iter()
            .filter_map(|f| valid_value(r, f, &w).map(|v| (f.to_string(), v)))
            .collect();
        for placeholder in placeholders {
            for bad in HOSTILE_IDS {
                ids_sent += 1;
                let path = fill_path(&r.path.replace(placeholder, bad), &w);
                let before = snapshot_at_rest(&app).await;
                let res = send(b, key, r, &path, &pairs).await;
                let label = format!("{} {path}", r.method);
                let status = tally.check(&app, &label, res, &before).await;
                if status != 404 {
                    tally
                        .failures
                        .push(format!("{label}: answered {status}, not 404"));
                }
            }
        }
    }

    // Whatever was accepted above is shown escaped where it appears: the lists are
    // searched for the marked rows, so the page read is the one that holds them.
    let admin = w.browsers[1].as_ref().unwrap();
    let mut pages = vec![
        format!("/users?q={MARK}"),
        format!("/servers?q={MARK}"),
        format!("/audit?login={MARK}"),
    ];
    pages.extend(owners.iter().flat_map(|o| {
        [
            format!("/users/{o}/alias-users?q={MARK}"),
            format!("/users/{o}/roles"),
            format!("/users/{o}/ssh-keys"),
            format!("/users/{o}/api-keys"),
        ]
    }));
    let mut shown = 0;
    // The mark followed by an escaped `<` or `"`: a hostile row, shown escaped.
    let escaped_mark = regex::Regex::new(&format!("{MARK}(&#60;|&lt;|&#34;|&quot;)")).unwrap();
    for page in &pages {
        let html = admin.get_html(page).await;
        if leaks(&html) {
            tally
                .failures
                .push(format!("{page} shows hostile input unescaped"));
        }
        if escaped_mark.is_match(&html) {
            shown += 1;
        }
    }
    eprintln!(
        "hostile input ({:?}): {} routes with fields, {fields_sent} fields × {} values, \
         {ids_sent} hostile ids; {} requests; hostile rows found on {shown} pages",
        app.backend,
        table
            .routes
            .iter()
            .filter(|r| !r.fields.is_empty() && !skipped(r))
            .count(),
        hostile_values().len(),
        tally.tried,
    );
    assert!(
        tally.failures.is_empty(),
        "{} problems in {} requests:\n{}",
        tally.failures.len(),
        tally.tried,
        tally.failures.join("\n")
    );
    assert!(
        shown >= 2,
        "the escaping check read pages that hold the hostile rows ({shown} of {})",
        pages.len()
    );
}
