//! What each accepted request of the authorization matrix must have changed, written by
//! hand per route: a 303 proves nothing until the database says the thing happened. Each
//! check also bounds which tables may change at all (besides the audit log and the
//! session, which holds the flash message).

use diesel::prelude::*;
use steward::db::schema::{
    alias_roles, alias_servers, api_keys, server_ips, server_jobs, servers, sessions, ssh_keys,
};

use crate::helpers::snapshot::Snapshot;
use crate::helpers::TestApp;
use crate::matrix::world::World;

fn jobs(app: &TestApp, sid: i32) -> i64 {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn impersonations_of(app: &TestApp, target: i32) -> i64 {
    sessions::table
        .filter(sessions::user_id.eq(target))
        .filter(sessions::impersonator_id.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// Sessions a login is logged in with itself (not impersonated by someone).
fn open_sessions_of(app: &TestApp, login: i32) -> i64 {
    use steward::db::schema::sessions;
    sessions::table
        .filter(sessions::user_id.eq(login))
        .filter(sessions::impersonator_id.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn rows_in(s: &Snapshot, table: &str) -> usize {
    s.0.get(table).map_or(0, Vec::len)
}

fn ensure(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("answered as expected, but {what}"))
    }
}

/// An error naming the tables that changed from `before` to `after` besides the audit
/// log and `may_change`.
fn nothing_else_changed(
    before: &Snapshot,
    after: &Snapshot,
    may_change: &[&str],
) -> Result<(), String> {
    let stray: Vec<String> = before
        .changed_tables(after)
        .into_iter()
        .filter(|t| t != "audit_log" && !may_change.contains(&t.as_str()))
        .collect();
    if stray.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "it also changed {stray:?}: {}",
            before.describe_change(after)
        ))
    }
}

/// Checks the change an accepted `method template` (with `target`) made in world `w`.
/// `jobs_before` is the job count of the row's server before the request.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    app: &TestApp,
    w: &World,
    col: usize,
    template: &str,
    target: &str,
    body: &str,
    before: &Snapshot,
    after: &Snapshot,
    jobs_before: i64,
) -> Result<(), String> {
    let ids = w.ids(target);
    let n = w.n;
    let alias = || app.user(ids.aid);
    // A route under `/alias-users/{aid}` acts on the alias user's things, else on the
    // account's own.
    let on_alias = template.contains("{aid}");
    let login = if on_alias { ids.aid } else { ids.id };
    let (result, tables): (Result<(), String>, &[&str]) = match template {
        // Anonymous has no session to end.
        "/logout" => (
            ensure(
                col == 0 || rows_in(after, "sessions") < rows_in(before, "sessions"),
                "the session was not ended",
            ),
            &["sessions"],
        ),
        "/impersonation/stop" if col == 11 => (
            ensure(
                impersonations_of(app, w.owner) == 0,
                "the impersonation did not end",
            ),
            &["sessions"],
        ),
        // Not impersonating: nothing to stop (a flash message at most).
        "/impersonation/stop" => (Ok(()), &["sessions"]),
        "/admin/throttles/lift" => {
            // Worlds share the database: this request's row is the one the snapshot gained.
            let lifts = |s: &Snapshot| {
                s.0.get("audit_log").map_or(0, |rows| {
                    rows.iter()
                        .filter(|r| r.contains("throttle.lift") && r.contains("203.0.113.9"))
                        .count()
                })
            };
            (
                ensure(
                    lifts(after) == lifts(before) + 1,
                    "the lift was not audited",
                ),
                &["login_attempts", "sessions"],
            )
        }
        "/servers" => {
            let made = servers::table
                .filter(servers::hostname.eq(format!("new-{n}.test")))
                .count()
                .get_result::<i64>(&mut app.conn())
                .unwrap();
            (
                ensure(made == 1, "no server was created"),
                &["servers", "server_ips"],
            )
        }
        "/servers/{sid}/edit" => {
            let s = app.find_server(ids.sid).unwrap();
            (
                ensure(
                    s.name == "Edited" && s.location == "AMS1",
                    "the server was not edited",
                ),
                &["servers", "server_ips"],
            )
        }
        "/servers/{sid}/delete" => (
            ensure(
                app.find_server(ids.sid).is_none(),
                "the server is still there",
            ),
            &[
                "servers",
                "server_ips",
                "alias_servers",
                "server_jobs",
                "server_traffic",
                "users",
            ],
        ),
        "/servers/{sid}/owner" => (
            ensure(
                app.find_server(ids.sid).unwrap().owner_id == Some(w.neighbour),
                "the server did not change hands",
            ),
            &["servers", "alias_servers", "users"],
        ),
        "/servers/{sid}/power" | "/servers/{sid}/reinstall" | "/servers/{sid}/rescue" => (
            ensure(jobs(app, ids.sid) == jobs_before + 1, "no job was started"),
            &["server_jobs", "servers"],
        ),
        "/servers/{sid}/rename" => (
            ensure(
                app.find_server(ids.sid).unwrap().name == "Renamed",
                "the server was not renamed",
            ),
            &["servers"],
        ),
        "/servers/{sid}/rdns" => {
            let rdns: Vec<String> = server_ips::table
                .filter(server_ips::server_id.eq(ids.sid))
                .select(server_ips::rdns)
                .load(&mut app.conn())
                .unwrap();
            (
                ensure(
                    rdns.iter().any(|r| r == "host.example.net"),
                    "the rDNS was not set",
                ),
                &["server_ips"],
            )
        }
        "/users" => (
            ensure(
                app.user_named(&format!("made-{n}")).is_some(),
                "no account was created",
            ),
            &["users"],
        ),
        "/users/{id}" => {
            let u = app.user(ids.id).unwrap();
            let kind = body
                .split('&')
                .find_map(|p| p.strip_prefix("kind="))
                .unwrap_or(u.kind.as_str());
            (
                ensure(
                    u.name == "Renamed" && u.kind == kind,
                    &format!("the account is {:?} of kind {}", u.name, u.kind),
                ),
                &["users"],
            )
        }
        "/users/{id}/servers" => (
            ensure(
                app.find_server(w.pool).unwrap().owner_id == Some(ids.id),
                "the server was not assigned",
            ),
            &["servers", "users"],
        ),
        "/users/{id}/impersonate" => (
            ensure(
                impersonations_of(app, ids.id) == 1,
                "no impersonation started",
            ),
            &["sessions"],
        ),
        "/users/{id}/alias-users/{aid}/impersonate" => (
            ensure(
                impersonations_of(app, ids.aid) == 1,
                "no impersonation started",
            ),
            &["sessions"],
        ),
        "/users/{id}/alias-users" => (
            ensure(
                app.user_named(&format!("new-alias-{n}"))
                    .is_some_and(|a| a.parent_id == Some(ids.id) && a.role_id == Some(ids.rid)),
                "no alias user was created with the role",
            ),
            &["users", "alias_servers"],
        ),
        "/users/{id}/alias-users/{aid}" => (
            ensure(
                alias().unwrap().email == format!("changed{n}@example.com"),
                "the email was not changed",
            ),
            &["users"],
        ),
        "/users/{id}/alias-users/{aid}/role" => (
            ensure(
                alias().unwrap().role_id == Some(ids.rid),
                "the role was not changed",
            ),
            &["users"],
        ),
        "/users/{id}/alias-users/{aid}/password" => (
            ensure(
                alias().unwrap().password_hash != TestApp::hash(),
                "the password was not changed",
            ),
            &["users", "sessions", "api_keys"],
        ),
        "/users/{id}/alias-users/{aid}/disable" => (
            ensure(alias().unwrap().disabled, "the alias user is not disabled"),
            &["users", "sessions"],
        ),
        "/users/{id}/sessions/end" => (
            ensure(
                open_sessions_of(app, ids.id) == 0,
                "the account still has open sessions",
            ),
            &["sessions"],
        ),
        "/users/{id}/alias-users/{aid}/sessions/end" => (
            ensure(
                open_sessions_of(app, ids.aid) == 0,
                "the alias user still has open sessions",
            ),
            &["sessions"],
        ),
        "/account/sessions/end-others" => (
            ensure(
                app.audit_count("session.end_others") >= 1,
                "ending the other sessions was not audited",
            ),
            &["sessions"],
        ),
        "/users/{id}/alias-users/{aid}/enable" => (
            ensure(
                !alias().unwrap().disabled,
                "the alias user is still disabled",
            ),
            &["users"],
        ),
        "/users/{id}/alias-users/{aid}/delete" => (
            ensure(alias().is_none(), "the alias user is still there"),
            &["users", "alias_servers", "sessions", "api_keys", "ssh_keys"],
        ),
        "/users/{id}/alias-users/{aid}/offboard" => {
            let a = alias().unwrap();
            let live_keys: i64 = api_keys::table
                .filter(api_keys::user_id.eq(ids.aid))
                .filter(api_keys::revoked_at.is_null())
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            let ssh: i64 = ssh_keys::table
                .filter(ssh_keys::user_id.eq(ids.aid))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(a.disabled, "the alias user is not disabled")
                    .and(ensure(live_keys == 0, "an API key of it is still live"))
                    .and(ensure(ssh == 0, "an SSH key of it is still there"))
                    .and(ensure(
                        rows_in(after, "mail_outbox") == rows_in(before, "mail_outbox") + 1,
                        "the account owner was not told",
                    )),
                // The owner's notice of the offboarding (`notifications` and `alias_users::offboarding`
                // check its content).
                &["users", "sessions", "api_keys", "ssh_keys", "mail_outbox"],
            )
        }
        "/users/{id}/alias-users/{aid}/servers" => {
            let has: i64 = alias_servers::table
                .filter(alias_servers::alias_id.eq(ids.aid))
                .filter(alias_servers::server_id.eq(w.s3))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(has == 1, "the server was not assigned"),
                &["alias_servers", "users"],
            )
        }
        "/users/{id}/roles" => {
            let made: i64 = alias_roles::table
                .filter(alias_roles::account_id.eq(ids.id))
                .filter(alias_roles::name.eq(format!("Made {n}")))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(made == 1, "no role was created"),
                &["alias_roles", "alias_role_permissions"],
            )
        }
        "/users/{id}/roles/{rid}" => {
            let name: Option<String> = alias_roles::table
                .find(ids.rid)
                .select(alias_roles::name)
                .first(&mut app.conn())
                .optional()
                .unwrap();
            (
                ensure(
                    name == Some(format!("Edited {n}")),
                    "the role was not saved",
                ),
                &["alias_roles", "alias_role_permissions"],
            )
        }
        "/users/{id}/roles/{rid}/delete" => {
            let left: i64 = alias_roles::table
                .find(ids.rid)
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(left == 0, "the role is still there"),
                &["alias_roles", "alias_role_permissions"],
            )
        }
        "/users/{id}/ssh-keys" | "/users/{id}/alias-users/{aid}/ssh-keys" => {
            let made: i64 = ssh_keys::table
                .filter(ssh_keys::user_id.eq(login))
                .filter(ssh_keys::name.eq("Desk"))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (ensure(made == 1, "no SSH key was added"), &["ssh_keys"])
        }
        "/users/{id}/ssh-keys/{kid}/delete"
        | "/users/{id}/alias-users/{aid}/ssh-keys/{kid}/delete" => {
            let kid = if on_alias { w.narrow_ssh } else { w.owner_ssh };
            let left: i64 = ssh_keys::table
                .find(kid)
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(left == 0, "the SSH key is still there"),
                &["ssh_keys"],
            )
        }
        "/users/{id}/api-keys" | "/users/{id}/alias-users/{aid}/api-keys" => {
            let made: i64 = api_keys::table
                .filter(api_keys::user_id.eq(login))
                .filter(api_keys::name.eq("Deploy"))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (ensure(made == 1, "no API key was created"), &["api_keys"])
        }
        "/users/{id}/api-keys/{kid}/revoke"
        | "/users/{id}/alias-users/{aid}/api-keys/{kid}/revoke" => {
            let kid = if on_alias { w.narrow_api } else { w.owner_api };
            let revoked: Option<chrono::NaiveDateTime> = api_keys::table
                .find(kid)
                .select(api_keys::revoked_at)
                .first(&mut app.conn())
                .unwrap();
            (
                ensure(revoked.is_some(), "the API key is not revoked"),
                &["api_keys"],
            )
        }
        // Already logged in: the second step has nothing to do.
        "/login/two-factor"
        | "/login/two-factor/passkey/start"
        | "/login/two-factor/passkey/finish" => (Ok(()), &[]),
        // The registration's state waits in the session for the browser's answer.
        "/account/security/passkeys/register/start" => (
            ensure(
                after
                    .0
                    .get("sessions")
                    .is_some_and(|rows| rows.iter().any(|r| r.contains("passkey_registration"))),
                "no registration waits in the session",
            ),
            &["sessions"],
        ),
        "/account/security/passkeys/{pk}/delete" => {
            use steward::db::schema::passkeys;
            let left: i64 = passkeys::table
                .filter(passkeys::user_id.eq(w.owner))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            (
                ensure(left == 0, "the owner's passkey is still there"),
                // The owner's notice of a removed factor.
                &["passkeys", "mail_outbox"],
            )
        }
        // A right password (or code) marks the session as recently authenticated (the
        // mark has one-second steps, so it may equal the login's own: it must be there).
        "/reauth" => (
            ensure(
                after
                    .0
                    .get("sessions")
                    .is_some_and(|rows| rows.iter().any(|r| r.contains("authenticated_at"))),
                "the session holds no authentication mark",
            ),
            &["sessions"],
        ),
        // The secret waits in the session (sealed) until a first code confirms it.
        "/account/security/totp/start" => (
            ensure(
                after.0.get("sessions") != before.0.get("sessions"),
                "no set-up waits in the session",
            ),
            &["sessions"],
        ),
        // Without a set-up under way, or without a factor, these store nothing (the
        // world's logins hold none): the answer is a redirect with a message.
        "/account/security/totp"
        | "/account/security/totp/delete"
        | "/account/security/recovery-codes" => (Ok(()), &[]),
        "/users/{id}/security-policy" => (
            ensure(
                steward::models::two_factor::account_requires_for_aliases(&mut app.conn(), ids.id)
                    .unwrap(),
                "the policy is not set",
            ),
            &["users"],
        ),
        "/users/{id}/notifications" => (
            ensure(
                !steward::models::user::notifies_owner(&mut app.conn(), ids.id).unwrap(),
                "notifications are still on",
            ),
            &["users"],
        ),
        "/users/{id}/two-factor/reset" | "/users/{id}/alias-users/{aid}/two-factor/reset" => {
            (
                ensure(
                    !steward::models::two_factor::has_factor(&mut app.conn(), login).unwrap(),
                    "the factor is still there",
                ),
                // The owner's notice of the reset (notifications.rs checks its content).
                &["totp_factors", "recovery_codes", "mail_outbox"],
            )
        }
        "/users/{id}/invitation/resend" | "/users/{id}/alias-users/{aid}/invitation/resend" => (
            ensure(
                rows_in(after, "mail_outbox") == rows_in(before, "mail_outbox") + 1,
                "no invitation mail was queued",
            )
            .and(ensure(
                before
                    .changed_tables(after)
                    .contains(&"invitations".to_string()),
                "the invitation was not replaced",
            ))
            .and(ensure(
                app.user(login).is_some_and(|u| u.invited_at.is_some()),
                "the login is not invited",
            )),
            &["invitations", "mail_outbox", "users"],
        ),
        "/users/{id}/invitation/cancel" | "/users/{id}/alias-users/{aid}/invitation/cancel" => (
            ensure(
                app.user(login).is_none(),
                "the invited login is still there",
            ),
            &[
                "users",
                "invitations",
                "alias_servers",
                "alias_roles",
                "alias_role_permissions",
                "api_keys",
                "ssh_keys",
            ],
        ),
        other => (Err(format!("no expected change written for {other}")), &[]),
    };
    result?;
    // The session holds the flash message.
    nothing_else_changed(before, after, &[tables, &["sessions"]].concat())
}

/// A role's name and permission keys (sorted), if it exists.
fn role_row(app: &TestApp, rid: i32) -> Option<(String, Vec<String>)> {
    let name: Option<String> = alias_roles::table
        .find(rid)
        .select(alias_roles::name)
        .first(&mut app.conn())
        .optional()
        .unwrap();
    name.map(|n| {
        let mut keys = steward::models::role::permissions_of(&mut app.conn(), rid).unwrap();
        keys.sort();
        (n, keys)
    })
}

/// What an accepted JSON API write on alias roles must have changed (`matrix::json_api`:
/// one world for every column, so a creation is found by its column's name and a change
/// acts on the role `fresh` made for the cell), and that it changed nothing else.
pub(crate) fn check_api_role(
    app: &TestApp,
    method: &str,
    col: usize,
    fresh: Option<i32>,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), String> {
    let view = vec!["servers.view".to_string()];
    let result = match (method, fresh) {
        ("GET", _) => Ok(()),
        ("POST", _) => {
            let made: Vec<i32> = alias_roles::table
                .filter(alias_roles::name.eq(format!("API role c{col}")))
                .select(alias_roles::id)
                .load(&mut app.conn())
                .unwrap();
            ensure(
                made.len() == 1 && role_row(app, made[0]).is_some_and(|(_, k)| k == view),
                "no role with its permissions was created",
            )
        }
        ("PATCH", Some(rid)) => ensure(
            role_row(app, rid)
                == Some((
                    format!("API edited c{col}"),
                    vec!["servers.power".to_string(), "servers.view".to_string()],
                )),
            "the role was not saved",
        ),
        ("DELETE", Some(rid)) => ensure(role_row(app, rid).is_none(), "the role is still there"),
        (other, _) => Err(format!("no expected change written for {other}")),
    };
    result?;
    let audited = method == "GET" || after.0.get("audit_log") != before.0.get("audit_log");
    if !audited {
        return Err("answered as expected, but wrote no audit row".into());
    }
    nothing_else_changed(before, after, &["alias_roles", "alias_role_permissions"])
}

/// The job count of the server a row acts on (for power, reinstall and rescue).
pub(crate) fn jobs_of_row(app: &TestApp, w: &World, target: &str) -> i64 {
    jobs(app, w.ids(target).sid)
}

/// What an accepted write of the JSON API on the alias user `aid` must have changed: for
/// PATCH each field of the body, for PUT .../servers its "all servers" flag and, when the
/// body names them, exactly those servers; for DELETE nothing left of it.
pub(crate) fn api_alias_write(
    app: &TestApp,
    method: &str,
    body: &str,
    aid: i32,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), String> {
    let sent: serde_json::Value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(body).map_err(|e| format!("the row's body is not JSON: {e}"))?
    };
    let alias = app.user(aid);
    let (result, tables): (Result<(), String>, &[&str]) = match method {
        "DELETE" => (
            ensure(alias.is_none(), "the alias user is still there"),
            &["users", "alias_servers", "api_keys", "ssh_keys"],
        ),
        "PATCH" => {
            let a = alias.ok_or("the alias user is gone")?;
            let mut ok = true;
            if let Some(rid) = sent["role_id"].as_i64() {
                ok &= a.role_id.map(i64::from) == Some(rid);
            }
            if let Some(disabled) = sent["disabled"].as_bool() {
                ok &= a.disabled == disabled;
            }
            if let Some(day) = sent["expires_at"].as_str() {
                ok &= a.expires_on.map(|d| d.to_string()).unwrap_or_default() == day;
            }
            (
                ensure(ok, "the alias user is not as the body says"),
                &["users"],
            )
        }
        "PUT" => {
            let a = alias.ok_or("the alias user is gone")?;
            let mut ok = sent["all"].as_bool() == Some(a.all_servers);
            if let Some(ids) = sent["server_ids"].as_array() {
                let mut want: Vec<i32> = ids
                    .iter()
                    .filter_map(|v| v.as_i64())
                    .map(|v| v as i32)
                    .collect();
                want.sort_unstable();
                let has: Vec<i32> = alias_servers::table
                    .filter(alias_servers::alias_id.eq(aid))
                    .select(alias_servers::server_id)
                    .order(alias_servers::server_id)
                    .load(&mut app.conn())
                    .unwrap();
                ok &= has == want;
            }
            (
                ensure(ok, "its servers are not as the body says"),
                &["users", "alias_servers"],
            )
        }
        other => (Err(format!("no expected change written for {other}")), &[]),
    };
    result?;
    // The session holds the flash message.
    nothing_else_changed(before, after, &[tables, &["sessions"]].concat())
}
