//! The authorization matrix: every route of the router × every kind of login × the
//! targets that matter, with the expected answer written by hand — not derived from the
//! access module. After a refusal, nothing in any table may have changed
//! (`helpers::snapshot` dumps every row of every table); after an accepted change, the
//! change itself must be in the database (`effects`), not just the status.
//!
//! Targets: a row names which login, role or server its placeholders stand for (`world`),
//! so the same route is tried on targets weaker than the actor, equal to it, and stronger
//! by permission, by servers and by kind. Impersonation while reach changes has a table
//! of its own (`impersonation_reach`); the JSON API's rows are in `json_api`.
//!
//! The route list is the table the real router registration fills (src/routes/table.rs),
//! so a new route without a row here fails `every_route_of_the_router_has_a_row_in_the_matrix`.
//!
//! Runs on SQLite only: who may do what is decided in Rust over loaded rows, the same on
//! both backends, and the HTTP suite already runs every feature on PostgreSQL too.

use std::collections::BTreeSet;

use steward::db::Backend;

pub mod effects;
mod impersonation_reach;
pub mod json_api;
pub mod world;

use crate::helpers::snapshot::snapshot;
use crate::helpers::{spawn_app, Browser};
use effects::{check, jobs_of_row};
pub(crate) use world::{api_key, fill, world, World};

/// The kinds of login, in the order of every row's answers.
pub(crate) const COLS: [&str; 12] = [
    "anonymous",
    "admin",
    "admin's alias",
    "reseller",
    "account owner",
    "other reseller's customer",
    "alias (narrow role)",
    "alias manager (s1 only)",
    "alias (all servers)",
    "disabled alias",
    "expired alias",
    "admin impersonating the owner",
];

/// Answers: 2 = 200, 3 = 303 elsewhere than /login, L = 303 to /login, 4 = 403, N = 404,
/// U = 422, C = 409, 1 = 401.
///
/// Paths: {id} the owner's account, {aid} its alias user with the narrow role, {rid} an
/// unused role of the account, {sid} s1, a server of the account (assigned to the narrow
/// and the manager alias), {kid} an SSH or API key of the account owner (of the narrow
/// alias under {aid}), {file} a static asset. The target column replaces one of them
/// (`world::World::ids`): aid=strong (stronger than the manager by permission),
/// aid=wide (by servers), aid=manager (the manager itself), id=res1 / id=admin (stronger
/// by kind), id=fresh (a new customer of the admin), rid=narrow (held by aliases on s1),
/// rid=shared (held by an alias with all servers), rid=managers (the manager's own role),
/// sid=s3 (a server of the owner that no alias is assigned).
///
/// Some cells are answers the no-escalation rule requires where the build before the
/// access rewrite answered otherwise (SECURITY.md, "The generated attacker").
#[rustfmt::skip]
pub(crate) const ROWS: &[(&str, &str, &str, &str, &str)] = &[
    //method path                                                   body                                                            target          anon adm aAl res own oth nar mgr wid dis exp imp
    ("GET",  "/",                                                   "",                                                             "",             "L33333333LL3"),
    ("GET",  "/account",                                            "",                                                             "",             "L33333333LL3"),
    ("GET",  "/audit",                                              "",                                                             "",             "L24444444LL4"),
    ("GET",  "/admin/throttles",                                    "",                                                             "",             "L22444444LL4"),
    ("POST", "/admin/throttles/lift",                               "ip=203.0.113.9",                                               "",             "L33444444LL4"),
    // No mail of the world has the target login's id: admins get as far as the 404.
    ("GET",  "/admin/mail",                                         "",                                                             "",             "L22444444LL4"),
    ("POST", "/admin/mail/{id}/retry",                              "",                                                             "",             "LNN444444LL4"),
    ("GET",  "/healthz",                                            "",                                                             "",             "222222222222"),
    ("GET",  "/readyz",                                             "",                                                             "",             "222222222222"),
    ("GET",  "/login",                                              "",                                                             "",             "233333333223"),
    ("GET",  "/static/{file}",                                      "",                                                             "",             "222222222222"),
    ("GET",  "/servers",                                            "",                                                             "",             "L22222222LL2"),
    ("GET",  "/servers/{sid}",                                      "",                                                             "",             "L2N22N222LL2"),
    ("GET",  "/servers/{sid}",                                      "",                                                             "sid=s3",       "L2N22NNN2LL2"),
    ("GET",  "/servers/{sid}/console",                              "",                                                             "",             "L2N22N444LL2"),
    ("GET",  "/servers/{sid}/edit",                                 "",                                                             "",             "L2N44N444LL4"),
    ("GET",  "/users",                                              "",                                                             "",             "L22244444LL4"),
    ("GET",  "/users/{id}",                                         "",                                                             "",             "L2222N222LL2"),
    ("GET",  "/users/{id}",                                         "",                                                             "id=res1",      "L222NNNNNLLN"),
    ("GET",  "/users/{id}/servers",                                 "",                                                             "",             "L2222N222LL2"),
    ("GET",  "/users/{id}/alias-users",                             "",                                                             "",             "L2422N424LL2"),
    ("GET",  "/users/{id}/alias-users/{aid}",                       "",                                                             "",             "L2N22N22NLL2"),
    ("GET",  "/users/{id}/alias-users/{aid}/role-preview",          "",                                                             "",             "L2N22N42NLL2"),
    ("GET",  "/users/{id}/alias-users/{aid}/servers",               "",                                                             "",             "L2N22N42NLL2"),
    ("GET",  "/users/{id}/access-review",                           "",                                                             "",             "L2422N424LL2"),
    ("GET",  "/users/{id}/access-review",                           "",                                                             "id=res1",      "L242NNNNNLLN"),
    ("GET",  "/users/{id}/access-review.csv",                       "",                                                             "",             "L2422N424LL2"),
    ("GET",  "/users/{id}/activity",                                "",                                                             "",             "L2222N444LL2"),
    ("GET",  "/users/{id}/logins",                                  "",                                                             "",             "L2222N444LL2"),
    ("GET",  "/users/{id}/roles",                                   "",                                                             "",             "L2422N424LL2"),
    ("GET",  "/users/{id}/roles/new",                               "",                                                             "",             "L2422N424LL2"),
    ("GET",  "/users/{id}/roles/{rid}",                             "",                                                             "",             "L2422N424LL2"),
    ("POST", "/login",                                              "username=nobody&password=wrong-password",                      "",             "UUUUUUUUUUUU"),
    ("POST", "/logout",                                             "",                                                             "",             "LLLLLLLLLLLL"),
    ("POST", "/impersonation/stop",                                 "",                                                             "",             "333333333333"),
    ("POST", "/servers",                                            "hostname=new-{n}.test&name=New&ip={new_ip}&location=FRA1&tags=web", "",        "L34444444LL4"),
    ("POST", "/servers/{sid}/edit",                                 "hostname={sid_host}&name=Edited&ip={sid_ip}&location=AMS1&tags=db", "",        "L3N44N444LL4"),
    ("POST", "/servers/{sid}/delete",                               "confirm=yes",                                                             "",             "L3N44N444LL4"),
    ("POST", "/servers/{sid}/owner",                                "user_id={neighbour}",                                          "",             "L3N34N444LL4"),
    ("POST", "/servers/{sid}/power",                                "action=on",                                                    "",             "L3N33N433LL3"),
    ("POST", "/servers/{sid}/power",                                "action=on",                                                    "sid=s3",       "L3N33NNN3LL3"),
    ("POST", "/servers/{sid}/rename",                               "name=Renamed",                                                 "",             "L3N33N444LL3"),
    ("POST", "/servers/{sid}/rdns",                                 "ip={sid_ip}&hostname=host.example.net",                        "",             "L3N33N444LL3"),
    ("POST", "/servers/{sid}/reinstall",                            "os=debian-12&confirm={sid_host}",                                                 "",             "L3N33N444LL3"),
    ("POST", "/servers/{sid}/rescue",                               "confirm=yes",                                                             "",             "L3N33N444LL3"),
    ("POST", "/users",                                              "username=made-{n}&email=made{n}@example.com&password=a-long-password", "",     "L34344444LL4"),
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=owner{n}@example.com",         "",             "L3433N444LL3"),
    // Kind edits, and profile edits of accounts stronger by kind.
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=owner{n}@example.com&kind=admin&owner_id=", "",          "L3444N444LL4"),
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=fresh{n}@example.com&kind=reseller", "id=fresh", "L34NNNNNNLLN"),
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=fresh{n}@example.com",         "id=fresh",     "L34NNNNNNLLN"),
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=res{n}@example.com",           "id=res1",      "L343NNNNNLLN"),
    ("POST", "/users/{id}",                                         "form=profile&name=Renamed&email=res{n}@example.com&kind=admin&owner_id=", "id=res1",     "L344NNNNNLLN"),
    ("POST", "/users/{id}/servers",                                 "server={pool_host}&action=assign",                             "",             "L3434N444LL4"),
    ("POST", "/users/{id}/impersonate",                             "",                                                             "",             "L3434N444LL4"),
    ("POST", "/users/{id}/impersonate",                             "",                                                             "id=res1",      "L344NNNNNLLN"),
    ("POST", "/users/{id}/impersonate",                             "",                                                             "id=admin",     "L44NNNNNNLLN"),
    ("POST", "/users/{id}/alias-users",                             "username=new-alias-{n}&email=na{n}@example.com&password=a-long-password&role_id={rid}", "", "L3433N434LL3"),
    ("POST", "/users/{id}/alias-users/{aid}",                       "email=changed{n}@example.com&expires_at=",                     "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}",                       "email=changed{n}@example.com&expires_at=",                     "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}",                       "email=changed{n}@example.com&expires_at=",                     "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/alias-users/{aid}",                       "email=changed{n}@example.com&expires_at=",                     "aid=manager",  "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/role",                  "role_id={rid}",                                                "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/role",                  "role_id={rid}",                                                "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/role",                  "role_id={rid}",                                                "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/alias-users/{aid}/role",                  "role_id={rid}",                                                "aid=manager",  "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/password",              "password=another-long-password",                               "",             "L3N33NU3NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/password",              "password=another-long-password",                               "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/password",              "password=another-long-password",                               "aid=wide",     "L3N33NN4ULL3"),
    ("POST", "/users/{id}/alias-users/{aid}/password",              "password=another-long-password",                               "aid=manager",  "L3N33NNUNLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/disable",               "",                                                             "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/disable",               "",                                                             "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/disable",               "",                                                             "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/alias-users/{aid}/disable",               "",                                                             "aid=manager",  "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/enable",                "",                                                             "aid=disabled", "L3N33NN3NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/delete",                "confirm=yes",                                                             "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/delete",                "confirm=yes",                                                             "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/delete",                "confirm=yes",                                                             "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/alias-users/{aid}/delete",                "confirm=yes",                                                             "aid=manager",  "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/offboard",              "confirm=yes",                                                  "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/offboard",              "confirm=yes",                                                  "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/offboard",              "confirm=yes",                                                  "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/alias-users/{aid}/offboard",              "confirm=yes",                                                  "aid=manager",  "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/impersonate",           "",                                                             "",             "L3N33N43NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/impersonate",           "",                                                             "aid=strong",   "L3N33NN4NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/impersonate",           "",                                                             "aid=wide",     "L3N33NN44LL4"),
    ("POST", "/users/{id}/alias-users/{aid}/impersonate",           "",                                                             "aid=manager",  "L3N33NN4NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/servers",               "action=assign&server_id={s3}",                                 "",             "L3N33N4NNLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/servers",               "action=assign&server_id={s3}",                                 "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/servers",               "action=assign&server_id={s3}",                                 "aid=wide",     "L3N33NN44LL3"),
    ("POST", "/users/{id}/roles",                                   "name=Made {n}&permissions=servers.view",                       "",             "L3433N434LL3"),
    // Role edits: the holders' reach decides (every holder must stay covered).
    ("POST", "/users/{id}/roles/{rid}",                             "name=Edited {n}&permissions=servers.view&permissions=servers.power", "",       "L3433N434LL3"),
    ("POST", "/users/{id}/roles/{rid}",                             "name=Edited {n}&permissions=servers.view&permissions=servers.power", "rid=narrow", "L3433N434LL3"),
    ("POST", "/users/{id}/roles/{rid}",                             "name=Edited {n}&permissions=servers.view&permissions=servers.power", "rid=shared", "L3433N444LL3"),
    ("POST", "/users/{id}/roles/{rid}",                             "name=Edited {n}&permissions=servers.view&permissions=servers.power", "rid=managers", "L3433N444LL3"),
    ("POST", "/users/{id}/roles/{rid}/delete",                      "",                                                             "",             "L3433N434LL3"),
    ("POST", "/users/{id}/roles/{rid}/delete",                      "",                                                             "rid=narrow",   "LC4CCN4C4LLC"),
    ("GET",  "/users/{id}/ssh-keys",                                "",                                                             "",             "L2422N444LL4"),
    ("POST", "/users/{id}/ssh-keys",                                "name=Desk&public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7DkDFaKtqK5T513TXcviIWa586qssQgI/WqB50pSaC desk", "", "L3433N444LL4"),
    ("POST", "/users/{id}/ssh-keys/{kid}/delete",                   "",                                                             "",             "L3433N444LL4"),
    ("GET",  "/users/{id}/api-keys",                                "",                                                             "",             "L2422N444LL4"),
    ("POST", "/users/{id}/api-keys",                                "name=Deploy&expires_at=",                                      "",             "L4443N444LL4"),
    ("POST", "/users/{id}/api-keys/{kid}/revoke",                   "",                                                             "",             "L3433N444LL4"),
    ("POST", "/account/sessions/end-others",                        "confirm=yes",                                                  "",             "L33333333LL4"),
    ("POST", "/account/sessions/end-others",                        "",                                                             "",             "LUUUUUUUULL4"),
    ("POST", "/account/sessions/{sess}/end",                        "",                                                             "",             "LNNNNNNNNLL4"),
    ("POST", "/users/{id}/sessions/end",                            "confirm=yes",                                                  "",             "L3434N444LL4"),
    ("POST", "/users/{id}/sessions/end",                            "",                                                             "",             "LU4U4N444LL4"),
    ("POST", "/users/{id}/sessions/end",                            "confirm=yes",                                                  "id=res1",      "L344NNNNNLLN"),
    ("POST", "/users/{id}/alias-users/{aid}/sessions/end",          "confirm=yes",                                                  "",             "L3N33N43NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/sessions/end",          "confirm=yes",                                                  "aid=strong",   "L3N33NN4NLL4"),
    ("GET",  "/users/{id}/alias-users/{aid}/ssh-keys",              "",                                                             "",             "L2N22N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/ssh-keys",              "name=Desk&public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7DkDFaKtqK5T513TXcviIWa586qssQgI/WqB50pSaC desk", "", "L3N33N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/ssh-keys/{kid}/delete", "",                                                             "",             "L3N33N44NLL4"),
    ("GET",  "/users/{id}/alias-users/{aid}/api-keys",              "",                                                             "",             "L2N22N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/api-keys",              "name=Deploy&expires_at=",                                      "",             "L4N44N44NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/api-keys/{kid}/revoke", "",                                                             "",             "L3N33N44NLL4"),
    // Two-factor. The world's logins hold no factor (the owner and the narrow
    // alias get one in the worlds of the reset rows), so the two-factor step is not
    // pending for anyone and sends logged-in sessions on; the Security page is refused
    // while impersonating (factors are personal).
    ("GET",  "/login/two-factor",                                   "",                                                             "",             "L33333333LL3"),
    ("POST", "/login/two-factor",                                   "code=123456",                                                  "",             "L33333333LL3"),
    ("GET",  "/reauth",                                             "",                                                             "",             "L22222222LL2"),
    ("POST", "/reauth",                                             "password=test-password-123&next=/servers",                     "",             "L33333333LL3"),
    ("GET",  "/account/security",                                   "",                                                             "",             "L22222222LL4"),
    ("POST", "/account/security/totp/start",                        "",                                                             "",             "L22222222LL4"),
    ("POST", "/account/security/totp",                              "code=123456",                                                  "",             "L33333333LL4"),
    ("POST", "/account/security/totp/delete",                       "confirm=yes",                                                  "",             "L33333333LL4"),
    ("GET",  "/account/security/recovery-codes",                    "",                                                             "",             "L22222222LL4"),
    ("POST", "/account/security/recovery-codes",                    "",                                                             "",             "L33333333LL4"),
    ("POST", "/users/{id}/security-policy",                         "require_two_factor_for_aliases=yes",                           "",             "L3433N444LL3"),
    ("POST", "/users/{id}/notifications",                           "notify_owner=no",                                              "",             "L3433N444LL3"),
    ("POST", "/users/{id}/two-factor/reset",                        "confirm=yes",                                                  "",             "L3434N444LL4"),
    // Invitations. The link is public: a made-up token is 404 for everyone (the accepted
    // paths have their own tests, invitations.rs). Resend and cancel act on a login that
    // is still invited: each world that may change it marks the target invited first; an
    // account that owns servers is not removed by a cancel (409).
    ("GET",  "/invitations/{token}",                                "",                                                             "",             "NNNNNNNNNNNN"),
    ("POST", "/invitations/{token}",                                "password=a-long-password",                                     "",             "NNNNNNNNNNNN"),
    ("POST", "/users/{id}/alias-users/{aid}/invitation/resend",     "",                                                             "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/invitation/resend",     "",                                                             "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/invitation/cancel",     "",                                                             "",             "L3N33N43NLL3"),
    ("POST", "/users/{id}/alias-users/{aid}/invitation/cancel",     "",                                                             "aid=strong",   "L3N33NN4NLL3"),
    ("POST", "/users/{id}/invitation/resend",                       "",                                                             "",             "L3434N444LL4"),
    ("POST", "/users/{id}/invitation/resend",                       "",                                                             "id=fresh",     "L34NNNNNNLLN"),
    ("POST", "/users/{id}/invitation/cancel",                       "",                                                             "",             "LC4C4N444LL4"),
    ("POST", "/users/{id}/invitation/cancel",                       "",                                                             "id=fresh",     "L34NNNNNNLLN"),
    ("POST", "/users/{id}/alias-users/{aid}/two-factor/reset",      "confirm=yes",                                                  "",             "L3N33N43NLL4"),
    ("POST", "/users/{id}/alias-users/{aid}/two-factor/reset",      "confirm=yes",                                                  "aid=strong",   "L3N33NN4NLL4"),
    // Passkeys. Starting a registration answers the options (200, JSON) and keeps the
    // state in the session; a finish with nothing started is refused (422); {pk} is a
    // passkey of the account owner (given for the row, `world::owner_passkey`),
    // anyone else's id for it is 404. The two-factor step's passkey routes, like its
    // code form, send a logged-in session on.
    ("POST", "/account/security/passkeys/register/start",           "name=Laptop",                                                  "",             "L22222222LL4"),
    ("POST", "/account/security/passkeys/register/finish",          "",                                                             "",             "LUUUUUUUULL4"),
    ("POST", "/account/security/passkeys/{pk}/delete",              "confirm=yes",                                                  "",             "LNNN3NNNNLL4"),
    ("POST", "/login/two-factor/passkey/start",                     "",                                                             "",             "L33333333LL3"),
    ("POST", "/login/two-factor/passkey/finish",                    "",                                                             "",             "L33333333LL3"),
];

fn answer_code(res: &reqwest::Response) -> char {
    let to_login = res
        .headers()
        .get("location")
        .is_some_and(|l| l.to_str().unwrap_or("") == "/login");
    match res.status().as_u16() {
        200 => '2',
        303 if to_login => 'L',
        303 => '3',
        401 => '1',
        403 => '4',
        404 => 'N',
        409 => 'C',
        422 => 'U',
        _ => '!',
    }
}

pub(crate) async fn send(b: &Browser, method: &str, path: &str, body: &str) -> reqwest::Response {
    if method == "GET" {
        return b.get(path).await;
    }
    let token = b.csrf().await;
    let mut fields: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
    fields.push(("csrf_token".into(), token));
    b.client
        .post(b.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Requests expected to change something get a world of their own (every change answers
/// 303).
fn changes_state(method: &str, path: &str, expected: char) -> bool {
    // Starting a TOTP set-up or a passkey registration answers 200 and keeps the secret
    // or the state in the session.
    let starts_setup = (path == "/account/security/totp/start"
        || path == "/account/security/passkeys/register/start")
        && expected == '2';
    method == "POST" && (expected == '3' || path == "/logout" || starts_setup)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_login_on_every_target_as_written_by_hand() {
    let app = spawn_app(Backend::Sqlite).await;
    let shared = world(&app, 0, None).await;
    let mut shared_since = std::time::Instant::now();
    let mut next = 1;
    let mut failures = Vec::new();
    let (mut tried, mut changes_checked, mut refusals_checked) = (0, 0, 0);
    // `MATRIX_ONLY=<text>` tries only the rows whose path holds it (while working on a
    // route; the full run is the check).
    let only = std::env::var("MATRIX_ONLY").unwrap_or_default();
    for (method, template, body, target, answers) in ROWS {
        if !template.contains(only.as_str()) {
            continue;
        }
        assert_eq!(
            answers.len(),
            COLS.len(),
            "{method} {template} ({target}): one answer per login"
        );
        // The shared world's logins proved their password when it was made; a long run
        // (a loaded machine) would outlive their recent authentication (15 minutes), and
        // the rows that need it would answer the trip to /reauth. Prove it again well
        // before then, outside any cell.
        if shared_since.elapsed() > std::time::Duration::from_secs(10 * 60) {
            for b in shared.browsers.iter().flatten() {
                b.post(
                    "/reauth",
                    &[("password", crate::helpers::PASSWORD), ("next", "/servers")],
                )
                .await;
            }
            shared_since = std::time::Instant::now();
        }
        for (col, expected) in answers.chars().enumerate() {
            tried += 1;
            let isolated = changes_state(method, template, expected);
            let own_world = if isolated {
                next += 1;
                Some(world(&app, next, Some(col)).await)
            } else {
                None
            };
            let w = own_world.as_ref().unwrap_or(&shared);
            if isolated && template.contains("two-factor/reset") {
                // Something to reset: the target holds a factor (given after the world's
                // logins, which stay logged in).
                let ids = w.ids(target);
                for id in [ids.id, ids.aid] {
                    steward::models::two_factor::set_totp(&mut app.conn(), id, "sealed.x", 0)
                        .unwrap();
                }
            }
            if isolated && template.contains("/invitation/") {
                // Something to resend or cancel: the target is still invited.
                let ids = w.ids(target);
                let login = if template.contains("{aid}") {
                    ids.aid
                } else {
                    ids.id
                };
                steward::models::invitation::issue(&mut app.conn(), login, None).unwrap();
            }
            // A passkey of the owner to delete, for this row only (held for longer, it
            // would give the owner a factor in every row after it).
            let pk = template
                .contains("{pk}")
                .then(|| crate::matrix::world::owner_passkey(&app, w));
            let with_pk = template.replace("{pk}", &pk.unwrap_or(0).to_string());
            let path = fill(&with_pk, w, target);
            let body = fill(body, w, target);
            let b = w.browsers[col].as_ref().unwrap();
            let jobs_before = jobs_of_row(&app, w, target);
            let before = snapshot(&app);
            if std::env::var_os("MATRIX_TRACE").is_some() {
                eprintln!("matrix: {method} {path} [{target}] as {}", COLS[col]);
            }
            let res = send(b, method, &path, &body).await;
            let got = answer_code(&res);
            let label = format!("{method} {path} [{target}] as {}", COLS[col]);
            if got != expected {
                let text = res.text().await.unwrap_or_default();
                let hint: String = text
                    .lines()
                    .filter(|l| l.contains("<h1>") || l.contains("<p>") || l.contains("error"))
                    .take(2)
                    .collect();
                failures.push(format!(
                    "{label}: expected {expected}, got {got} {hint:.200}"
                ));
                continue;
            }
            let after = snapshot(&app);
            if isolated && (expected != 'L' || *template == "/logout") {
                changes_checked += 1;
                if let Err(e) = check(
                    &app,
                    w,
                    col,
                    template,
                    target,
                    &body,
                    &before,
                    &after,
                    jobs_before,
                ) {
                    failures.push(format!("{label}: {e}"));
                }
            } else if *method == "POST" && *template == "/login" {
                // A failed login is recorded, and nothing else happens.
                refusals_checked += 1;
                let changed = before.changed_tables(&after);
                if changed != ["login_attempts"]
                    || before.added_rows(&after, "login_attempts").len() != 1
                {
                    failures.push(format!(
                        "{label}: expected one login attempt recorded, got {}",
                        before.describe_change(&after)
                    ));
                }
            } else if !isolated {
                refusals_checked += 1;
                // A disabled or expired login's session ends at its next request.
                let shut_out = (col == 9 || col == 10)
                    && before.changed_tables(&after) == ["sessions"]
                    && before.added_rows(&after, "sessions").is_empty();
                if before != after && !shut_out {
                    failures.push(format!(
                        "{label}: answered {got} but changed the database: {}",
                        before.describe_change(&after)
                    ));
                }
            }
            if let Some(pk) = pk {
                crate::matrix::world::remove_passkey(&app, pk);
            }
        }
    }
    let targets: BTreeSet<&str> = ROWS.iter().map(|r| r.3).collect();
    let routes: BTreeSet<(&str, &str)> = ROWS.iter().map(|r| (r.0, r.1)).collect();
    eprintln!(
        "authorization matrix: {} rows ({} routes, {} targets) × {} logins = {tried} cells; \
         {changes_checked} accepted changes checked in the database, {refusals_checked} \
         answers checked to change nothing in any table",
        ROWS.len(),
        routes.len(),
        targets.len(),
        COLS.len()
    );
    assert_no_failures(&failures, tried);
}

/// Every (method, path) the panel serves, from the table the real registration fills
/// (src/routes/table.rs), not from the source text.
pub fn served_routes() -> BTreeSet<(String, String)> {
    let served: BTreeSet<(String, String)> = steward::routes::RouteTable::of_the_panel()
        .routes
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert!(
        served.len() > 30,
        "the route table was read ({} routes)",
        served.len()
    );
    served
}

/// A matrix's verdict: none of its `tried` answers differed from the expected ones.
pub fn assert_no_failures(failures: &[String], tried: usize) {
    assert!(
        failures.is_empty(),
        "{} of {tried} answers differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_route_of_the_router_has_a_row_in_the_matrix() {
    let served = served_routes();
    let in_matrix: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| (r.0.to_string(), r.1.to_string()))
        .chain(
            crate::matrix::json_api::ROWS
                .iter()
                .map(|r| (r.0.to_string(), r.1.to_string())),
        )
        .collect();
    let missing: Vec<_> = served.difference(&in_matrix).collect();
    let stale: Vec<_> = in_matrix.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );
}
