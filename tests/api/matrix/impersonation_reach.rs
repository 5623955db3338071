//! Impersonation while reach changes (impersonation is checked when it starts
//! and on every request; the moment the actor no longer covers the target, it ends and
//! the session returns to the actor). The alias manager of the matrix world (alias_users.*,
//! alias_roles.manage, servers.view and servers.power on s1 only) impersonates the narrow
//! alias (servers.view on s1); then the owner changes something through the real pages,
//! and the manager's session makes one more request. Answers written by hand.

use diesel::prelude::*;
use steward::db::schema::sessions;
use steward::db::Backend;

use crate::helpers::{spawn_app, TestApp};
use crate::matrix::send;
use crate::matrix::world::{fill, world};

/// What the owner changes (method, path, body; "" for nothing), then the manager's next
/// request (method, path, body), the answers allowed, and whether the impersonation still
/// runs. Where it ends, the request may be answered by the redirect that returns the
/// session to the actor (3) or as the actor itself; never as the grown target.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // Nothing changes: the manager acts as the narrow alias, within its reach.
    ("", "", "", "GET", "/servers/{sid}", "", "2", true),
    ("", "", "", "GET", "/servers/{s3}", "", "N", true),
    ("", "", "", "POST", "/servers/{sid}/power", "action=on", "4", true),
    // The target's reach shrinks: still covered, the impersonation goes on.
    ("POST", "/users/{id}/alias-users/{aid}/servers", "action=unassign&server_id={sid}", "GET", "/servers/{sid}", "", "N", true),
    // The target's servers grow beyond the manager's: it ends, and s3 stays out of reach.
    ("POST", "/users/{id}/alias-users/{aid}/servers", "action=all", "GET", "/servers/{s3}", "", "N3", false),
    // The target's role grows beyond the manager's: it ends, and the manager may not reinstall.
    ("POST", "/users/{id}/roles/{narrow_role}", "name=Narrow&permissions=servers.view&permissions=servers.reinstall&confirm_dangerous=yes", "POST", "/servers/{sid}/reinstall", "os=debian-12", "43", false),
    // The actor's right to impersonate is withdrawn: it ends; the manager's own reach stays.
    ("POST", "/users/{id}/roles/{manager_role}", "name=Managers&permissions=alias_users.manage&permissions=alias_roles.manage&permissions=servers.view&permissions=servers.power&confirm_dangerous=yes", "GET", "/servers/{sid}", "", "23", false),
];

fn impersonating(app: &TestApp, actor: i32) -> bool {
    sessions::table
        .filter(sessions::impersonator_id.eq(actor))
        .count()
        .get_result::<i64>(&mut app.conn())
        .unwrap()
        > 0
}

fn code(status: u16) -> char {
    match status {
        200 => '2',
        303 => '3',
        403 => '4',
        404 => 'N',
        422 => 'U',
        _ => '!',
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_follows_every_change_of_reach_as_written_by_hand() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut failures = Vec::new();
    for (i, (cm, cp, cb, method, path, body, expected, still)) in ROWS.iter().enumerate() {
        let n = 5000 + i as u32;
        let w = world(&app, n, Some(7)).await;
        let fill_more = |t: &str| {
            fill(t, &w, "")
                .replace("{s3}", &w.s3.to_string())
                .replace("{narrow_role}", &w.narrow_role.to_string())
                .replace("{manager_role}", &w.manager_role.to_string())
        };
        let manager = w.browsers[7].as_ref().unwrap();
        let start = manager
            .post(
                &format!("/users/{}/alias-users/{}/impersonate", w.owner, w.narrow),
                &[],
            )
            .await;
        let label = format!("row {i}: {cm} {cp} {cb} then {method} {path}");
        if start.status().as_u16() != 303 || !impersonating(&app, w.manager) {
            failures.push(format!("{label}: the impersonation did not start"));
            continue;
        }
        if !cm.is_empty() {
            let owner = app.login(&format!("owner-{n}")).await;
            let res = send(&owner, cm, &fill_more(cp), &fill_more(cb)).await;
            if res.status().as_u16() != 303 {
                failures.push(format!(
                    "{label}: the owner's change answered {}",
                    res.status()
                ));
                continue;
            }
        }
        let jobs_before = crate::matrix::effects::jobs_of_row(&app, &w, "");
        let res = send(manager, method, &fill_more(path), &fill_more(body)).await;
        let got = code(res.status().as_u16());
        if !expected.contains(got) {
            failures.push(format!("{label}: expected one of {expected}, got {got}"));
        }
        if impersonating(&app, w.manager) != *still {
            failures.push(format!(
                "{label}: the impersonation {} afterwards",
                if *still { "ended" } else { "still runs" }
            ));
        }
        // No row lets the manager start a job: as the narrow alias it may not, and once
        // the impersonation ends it may not reinstall.
        if crate::matrix::effects::jobs_of_row(&app, &w, "") != jobs_before {
            failures.push(format!("{label}: a job was started"));
        }
    }
    eprintln!("impersonation while reach changes: {} cases", ROWS.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}
