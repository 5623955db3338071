//! The reinstall and rescue forms offer the acting login's own SSH keys, and the
//! driver's job records which keys it installs.

use diesel::prelude::*;
use steward::db::schema::server_jobs;

use crate::helpers::TestApp;

fn ssh_key(app: &TestApp, user: i32, name: &str) -> i32 {
    let key = steward::domain::SshPublicKey::parse(crate::matrix::world::SSH_KEY).unwrap();
    steward::models::ssh_key::NewSshKey {
        user_id: user,
        name,
        public_key: key.as_openssh(),
        fingerprint: key.fingerprint(),
        created_at: steward::models::now(),
    }
    .insert(&mut app.conn())
    .unwrap()
}

fn last_job(app: &TestApp, sid: i32) -> String {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .order(server_jobs::id.desc())
        .select(server_jobs::detail)
        .first(&mut app.conn())
        .unwrap()
}

backend_tests!(
    reinstall_and_rescue_offer_the_acting_logins_keys_and_record_the_chosen_ones,
    another_logins_key_cannot_be_put_on_a_server,
    keys_are_not_offered_or_used_while_impersonating,
);

async fn reinstall_and_rescue_offer_the_acting_logins_keys_and_record_the_chosen_ones(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let sid = app.server("web1.acme.test").owned_by(acme).create();
    let laptop = ssh_key(&app, acme, "Laptop");
    let b = app.login("acme").await;
    let page = b.get_html(&format!("/servers/{sid}")).await;
    assert_eq!(
        page.matches(&format!("name=\"ssh_key\" value=\"{laptop}\""))
            .count(),
        2,
        "reinstall and rescue"
    );
    let k = laptop.to_string();
    assert_status!(
        b.post(
            &format!("/servers/{sid}/rescue"),
            &[("ssh_key", &k), ("confirm", "yes")],
        )
        .await,
        303
    );
    assert!(
        last_job(&app, sid).contains("SSH keys: Laptop (SHA256:"),
        "{}",
        last_job(&app, sid)
    );
    b.post(&format!("/servers/{sid}/rescue"), &[("action", "exit")])
        .await;
    assert_status!(
        b.post(
            &format!("/servers/{sid}/reinstall"),
            &[
                ("os", "debian-12"),
                ("ssh_key", &k),
                ("confirm", "web1.acme.test"),
            ],
        )
        .await,
        303
    );
    let job = last_job(&app, sid);
    assert!(job.starts_with("debian-12; SSH keys: Laptop"), "{job}");
    assert!(
        !job.contains("AAAA"),
        "the key itself is never written into a job's description"
    );
    // The reinstall ends (its time passes): the server runs the OS it asked for, named
    // as the OS, not as the job's description with its keys.
    let started = steward::models::now() - chrono::Duration::seconds(31);
    diesel::update(server_jobs::table.filter(server_jobs::server_id.eq(sid)))
        .set(server_jobs::created_at.eq(started))
        .execute(&mut app.conn())
        .unwrap();
    b.get_html(&format!("/servers/{sid}")).await;
    let (os, status): (String, String) = steward::db::schema::servers::table
        .find(sid)
        .select((
            steward::db::schema::servers::os,
            steward::db::schema::servers::status,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((os.as_str(), status.as_str()), ("debian-12", "active"));
}

async fn another_logins_key_cannot_be_put_on_a_server(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let other = app.customer("globex", admin);
    let sid = app.server("web1.acme.test").owned_by(acme).create();
    let theirs = ssh_key(&app, other, "Theirs").to_string();
    let b = app.login("acme").await;
    let before = last_job_count(&app, sid);
    for (path, extra) in [
        ("reinstall", ("os", "debian-12")),
        ("rescue", ("action", "enter")),
    ] {
        assert_status!(
            b.post(
                &format!("/servers/{sid}/{path}"),
                &[extra, ("ssh_key", &theirs)],
            )
            .await,
            404,
            "{path}"
        );
        assert_status!(
            b.post(
                &format!("/servers/{sid}/{path}"),
                &[extra, ("ssh_key", "not-a-number")],
            )
            .await,
            404,
            "{path}"
        );
    }
    assert_eq!(last_job_count(&app, sid), before, "nothing was started");
}

fn last_job_count(app: &TestApp, sid: i32) -> i64 {
    server_jobs::table
        .filter(server_jobs::server_id.eq(sid))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn keys_are_not_offered_or_used_while_impersonating(app: TestApp) {
    let admin = app.admin("boss");
    let acme = app.customer("acme", admin);
    let sid = app.server("web1.acme.test").owned_by(acme).create();
    let acme_key = ssh_key(&app, acme, "Laptop").to_string();
    // The owner itself is offered its key, so the absence below means something.
    let own = app
        .login("acme")
        .await
        .get_html(&format!("/servers/{sid}"))
        .await;
    assert!(
        own.contains("name=\"ssh_key\""),
        "the owner is offered its keys"
    );
    let b = app.login("boss").await;
    let start = b.post(&format!("/users/{acme}/impersonate"), &[]).await;
    assert_status!(start, 303, "the impersonation started");
    let page = b.get_html(&format!("/servers/{sid}")).await;
    assert!(
        page.contains("web1.acme.test"),
        "the server's page, as acme"
    );
    assert!(!page.contains("name=\"ssh_key\""));
    let before = last_job_count(&app, sid);
    assert_status!(
        b.post(&format!("/servers/{sid}/rescue"), &[("ssh_key", &acme_key)])
            .await,
        403
    );
    assert_eq!(last_job_count(&app, sid), before, "no rescue was started");
}
