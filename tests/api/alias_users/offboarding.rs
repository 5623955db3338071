//! Offboarding an alias user in one step: disabled, logged out, API keys
//! revoked, SSH keys removed, and the servers its keys were put on listed for clean-up.

use diesel::prelude::*;
use steward::db::schema::{api_keys, audit_log, server_jobs, ssh_keys};
use steward::models::now;

use crate::helpers::{assert_redirect_to, assert_says, TestApp};

backend_tests!(
    offboarding_ends_every_way_in_and_lists_the_servers_its_keys_were_installed_on,
    offboarding_asks_for_confirmation_and_changes_nothing_without_it,
    an_alias_user_without_keys_or_jobs_is_offboarded_with_an_empty_server_list,
);

fn ssh_key(app: &TestApp, user: i32) -> (i32, String) {
    let key = steward::domain::SshPublicKey::parse(crate::matrix::world::SSH_KEY).unwrap();
    let fp = key.fingerprint();
    let id = steward::models::ssh_key::NewSshKey {
        user_id: user,
        name: "Laptop",
        public_key: key.as_openssh(),
        fingerprint: fp,
        created_at: now(),
    }
    .insert(&mut app.conn())
    .unwrap();
    (id, fp.to_string())
}

fn live_api_keys(app: &TestApp, user: i32) -> i64 {
    api_keys::table
        .filter(api_keys::user_id.eq(user))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn ssh_keys_of(app: &TestApp, user: i32) -> i64 {
    ssh_keys::table
        .filter(ssh_keys::user_id.eq(user))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn api_status(app: &TestApp, secret: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.address))
        .header("Authorization", format!("Bearer {secret}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn offboarding_ends_every_way_in_and_lists_the_servers_its_keys_were_installed_on(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("other", admin);
    let contractor = app
        .alias("contractor", acme)
        .perms(&[
            "servers.view",
            "servers.rescue",
            "servers.reinstall",
            "ssh_keys.manage",
            "api_keys.manage",
        ])
        .create();
    let web1 = app.server("web1.acme.test").owned_by(acme).create();
    let web2 = app.server("web2.acme.test").owned_by(acme).create();
    let _web3 = app.server("web3.acme.test").owned_by(acme).create();
    let hidden = app.server("hidden.other.test").owned_by(other).create();
    app.assign(contractor, web1);
    app.assign(contractor, web2);
    let (key, fp) = ssh_key(&app, contractor);
    let (_, secret) = crate::matrix::world::api_key(&app, contractor);

    // The contractor puts its key on two servers through the panel.
    let c = app.login("contractor").await;
    let k = key.to_string();
    assert_status!(
        c.post(
            &format!("/servers/{web1}/rescue"),
            &[("ssh_key", &k), ("confirm", "yes")],
        )
        .await,
        303
    );
    assert_status!(
        c.post(
            &format!("/servers/{web2}/reinstall"),
            &[
                ("os", "debian-12"),
                ("ssh_key", &k),
                ("confirm", "web2.acme.test"),
            ],
        )
        .await,
        303
    );
    // The same key went onto a server the owner does not reach (another account's).
    diesel::insert_into(server_jobs::table)
        .values((
            server_jobs::server_id.eq(hidden),
            server_jobs::kind.eq("rescue"),
            server_jobs::detail.eq(format!("; SSH keys: Laptop ({fp})")),
            server_jobs::status.eq("done"),
            server_jobs::requested_by_name.eq("boss"),
            server_jobs::created_at.eq(now()),
        ))
        .execute(&mut app.conn())
        .unwrap();
    assert_status!(c.get("/servers").await, 200);
    assert_eq!(api_status(&app, &secret).await, 200);

    let owner = app.login("acme").await;
    let page = owner
        .get_html(&format!("/users/{acme}/alias-users/{contractor}"))
        .await;
    assert!(page.contains(&format!("/users/{acme}/alias-users/{contractor}/offboard")));
    let res = owner
        .post(
            &format!("/users/{acme}/alias-users/{contractor}/offboard"),
            &[("confirm", "yes")],
        )
        .await;
    assert_redirect_to(&res, &format!("/users/{acme}/alias-users/{contractor}"));
    let page = owner
        .get_html(&format!("/users/{acme}/alias-users/{contractor}"))
        .await;
    assert!(page.contains("id=\"offboarded\""), "{page}");
    assert!(page.contains("<li>web1.acme.test</li>"));
    assert!(page.contains("<li>web2.acme.test</li>"));
    assert!(!page.contains("web3.acme.test"), "no job put the key there");
    assert!(
        !page.contains("hidden.other.test"),
        "outside the owner's reach: a count only"
    );
    assert!(page.contains("And 1 more server(s)"));
    // The list is the answer to the offboarding: shown once.
    let again = owner
        .get_html(&format!("/users/{acme}/alias-users/{contractor}"))
        .await;
    assert!(!again.contains("id=\"offboarded\""));

    // Every way in is closed.
    assert!(app.user(contractor).unwrap().disabled);
    let res = c.get("/servers").await;
    assert_redirect_to(&res, "/login");
    assert_eq!(api_status(&app, &secret).await, 401);
    assert_eq!(live_api_keys(&app, contractor), 0);
    assert_eq!(ssh_keys_of(&app, contractor), 0);
    let res = app
        .browser()
        .login("contractor", crate::helpers::PASSWORD)
        .await;
    assert_ne!(res.status().as_u16(), 303, "the login is refused");

    // Audited, naming the key and the servers.
    let details: String = audit_log::table
        .filter(audit_log::action.eq("alias.offboard"))
        .select(audit_log::details)
        .first(&mut app.conn())
        .unwrap();
    assert!(details.contains(&fp), "{details}");
    assert!(details.contains("web1.acme.test"), "{details}");
    assert!(details.contains("1 outside"), "{details}");

    // And the account owner is told by mail: who, what, and that three servers (two it
    // reaches, one it does not) still carry the key.
    let email = app.user(acme).unwrap().email;
    let mail = app.mails_to(&email, 1).await.remove(0);
    assert!(
        mail.subject.contains("contractor was offboarded"),
        "{}",
        mail.subject
    );
    for body in [mail.text.unwrap(), mail.html.unwrap()] {
        assert!(body.contains("customer acme"), "names who did it: {body}");
        assert!(body.contains("1 API key(s) revoked"), "{body}");
        assert!(body.contains("1 SSH key(s) removed"), "{body}");
        assert!(body.contains("3 server(s)"), "{body}");
        assert!(
            !body.contains("hidden.other.test"),
            "no hostname leaves by mail"
        );
    }
}

async fn offboarding_asks_for_confirmation_and_changes_nothing_without_it(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let contractor = app
        .alias("contractor", acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    ssh_key(&app, contractor);
    crate::matrix::world::api_key(&app, contractor);
    let owner = app.login("acme").await;
    for confirm in ["", "no", "on"] {
        let res = owner
            .post(
                &format!("/users/{acme}/alias-users/{contractor}/offboard"),
                &[("confirm", confirm)],
            )
            .await;
        assert_says(res, 422, "Offboard the alias user contractor?").await;
    }
    assert!(!app.user(contractor).unwrap().disabled);
    assert_eq!(live_api_keys(&app, contractor), 1);
    assert_eq!(ssh_keys_of(&app, contractor), 1);
    // Another account's alias user is not there at all.
    let rival = app.customer("rival", admin);
    let theirs = app
        .alias("theirs", rival)
        .role(app.role(rival, "V").perms(&["servers.view"]).create())
        .all_servers(true)
        .create();
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/alias-users/{theirs}/offboard"),
                &[("confirm", "yes")],
            )
            .await,
        404
    );
    assert!(!app.user(theirs).unwrap().disabled);
}

async fn an_alias_user_without_keys_or_jobs_is_offboarded_with_an_empty_server_list(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let contractor = app
        .alias("contractor", acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let owner = app.login("acme").await;
    assert_status!(
        owner
            .post(
                &format!("/users/{acme}/alias-users/{contractor}/offboard"),
                &[("confirm", "yes")],
            )
            .await,
        303
    );
    let page = owner
        .get_html(&format!("/users/{acme}/alias-users/{contractor}"))
        .await;
    assert!(page.contains("No reinstall or rescue job installed its keys"));
    assert!(app.user(contractor).unwrap().disabled);
}
