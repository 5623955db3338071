//! A half-authenticated session (right password, no second factor yet) is a kind of login
//! of its own in the authorization matrix: across every route of the panel, with the
//! session's own CSRF token and the ids of the matrix world, it reaches nothing but the
//! two-factor step and what strangers may see, and changes nothing.

use steward::routes::table::RouteTable;

use super::{enrol, location, password_step};
use crate::helpers::snapshot::snapshot;
use crate::helpers::{csrf_in, TestApp};
use crate::matrix::{fill, world};

backend_tests!(a_half_authenticated_session_reaches_no_route_and_changes_nothing);

/// Routes a stranger may use as well: the login steps, log-out, ending an impersonation
/// (without one it only redirects), assets, health, the API document and anonymous
/// invitation links; they are not swept here (their own tests cover them).
fn open_to_strangers(path: &str) -> bool {
    path.starts_with("/login")
        || path == "/logout"
        || path == "/impersonation/stop"
        || path.starts_with("/static")
        || path.starts_with("/assets")
        || path == "/favicon.ico"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/api/v1/openapi.json"
        || path.starts_with("/invitations")
}

async fn a_half_authenticated_session_reaches_no_route_and_changes_nothing(app: TestApp) {
    let w = world(&app, 0, Some(4)).await;
    let owner = w.browsers[4].as_ref().unwrap();
    enrol(owner).await;
    let (b, to) = password_step(&app, "owner-0").await;
    assert_eq!(to, "/login/two-factor");
    let token = csrf_in(&b.get_html("/login/two-factor").await).expect("the step has a token");
    let mut failures = Vec::new();
    let mut tried = 0;
    for r in RouteTable::of_the_panel().routes {
        if open_to_strangers(&r.path) {
            continue;
        }
        let path = fill(&r.path.replace("{pk}", "1"), &w, "");
        let before = snapshot(&app);
        let res = if r.method == "GET" {
            b.get(&path).await
        } else {
            b.client
                .request(r.method.parse().expect("an HTTP method"), b.url(&path))
                .header("X-CSRF-Token", &token)
                .form(&[("confirm", "yes"), ("name", "x")])
                .send()
                .await
                .unwrap()
        };
        tried += 1;
        let status = res.status().as_u16();
        let refused = if r.path.starts_with("/api/") {
            status == 401
        } else {
            status == 303 && location(&res) == "/login"
        };
        if !refused {
            failures.push(format!("{} {path}: {status} {}", r.method, location(&res)));
        }
        let after = snapshot(&app);
        if after != before {
            failures.push(format!(
                "{} {path}: changed {}",
                r.method,
                before.describe_change(&after)
            ));
        }
    }
    assert!(tried > 60, "the route table was read ({tried} routes)");
    assert!(
        failures.is_empty(),
        "{} of {tried} routes answered a half-authenticated session:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
