//! Any number of stateless instances on one PostgreSQL. Two `steward serve`
//! processes share nothing but the database and the secret key; whatever happens on one
//! (log-in, disable, key revocation, log-out) holds on the other at its next request.

use steward::db::Backend;

use super::{Instance, Session};
use crate::helpers::spawn_app;
use crate::matrix::api_key;

async fn me(address: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{address}/api/v1/me"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

fn location(res: &reqwest::Response) -> &str {
    res.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_happens_on_one_instance_holds_on_the_other_at_its_next_request() {
    let app = spawn_app(Backend::Postgres).await;
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let ops_role = app.role(acme, "Ops").perms(&["servers.view"]).create();
    let ops = app
        .alias("acme-ops", acme)
        .role(ops_role)
        .all_servers(true)
        .create();
    let (kid, key) = api_key(&app, acme);
    let viewers = app.role(acme, "Viewers").perms(&["servers.view"]).create();
    app.alias("acme-view", acme)
        .role(viewers)
        .all_servers(true)
        .create();
    let web1 = app.server("web1.acme.test").owned_by(acme).create();

    let a = Instance::start(&app.database_url);
    let b = Instance::start(&app.database_url);
    let (a, b) = (a.address.clone(), b.address.clone());
    let mut checks = 0;

    // A session made on A works on B, for reading and for a CSRF-checked write.
    let owner = Session::login(&a, "acme").await;
    assert!(owner.get_html(&b, "/servers").await.contains("Hi, acme"));
    assert_status!(
        owner
            .post(
                &b,
                &format!("/users/{acme}/roles"),
                &[("name", "Made on B"), ("permissions", "servers.view")],
            )
            .await
            .expect("request"),
        303,
        "a write on B with A's session"
    );
    checks += 2;

    // Disabling an alias user on A ends its session on B at its next request.
    let alias_session = Session::login(&a, "acme-ops").await;
    assert!(alias_session
        .get_html(&b, "/servers")
        .await
        .contains("Hi, acme-ops"));
    assert_status!(
        owner
            .post(&a, &format!("/users/{acme}/alias-users/{ops}/disable"), &[])
            .await
            .expect("request"),
        303,
        "disable on A"
    );
    let res = alias_session.get(&b, "/servers").await.expect("request");
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/login"),
        "the disabled alias user's session on B"
    );
    checks += 1;

    // Revoking an API key on A: B refuses it on the next call.
    assert_eq!(me(&b, &key).await, 200, "the key works on B");
    assert_status!(
        owner
            .post(&a, &format!("/users/{acme}/api-keys/{kid}/revoke"), &[])
            .await
            .expect("request"),
        303,
        "revoke on A"
    );
    assert_eq!(me(&b, &key).await, 401, "the revoked key on B");
    assert_eq!(me(&a, &key).await, 401, "the revoked key on A");
    checks += 1;

    // A role edit on A: the alias user holding it has the new rights on B at once.
    let viewer = Session::login(&b, "acme-view").await;
    let detail = format!("/servers/{web1}");
    assert!(viewer
        .get_html(&b, &detail)
        .await
        .contains("web1.acme.test"));
    assert_status!(
        owner
            .post(
                &a,
                &format!("/users/{acme}/roles/{viewers}"),
                &[("name", "Viewers"), ("description", "")],
            )
            .await
            .expect("request"),
        303,
        "role edit on A"
    );
    assert_status!(
        viewer.get(&b, &detail).await.expect("request"),
        403,
        "the narrowed role on B"
    );
    checks += 1;

    // A log-out on A ends the session on B.
    assert_status!(
        owner.post(&a, "/logout", &[]).await.expect("request"),
        303,
        "log-out on A"
    );
    let res = owner.get(&b, "/servers").await.expect("request");
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/login"),
        "the logged-out session on B"
    );
    checks += 1;
    eprintln!("several instances: {checks} cross-instance checks held on two steward processes");
}
