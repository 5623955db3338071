//! Honest failure: while the database refuses writes, a write answers a rendered 503 page
//! ("nothing was saved"), reads (with their flash messages) keep working, /healthz stays
//! 200 and /readyz says 503; once writes are accepted again, everything recovers.
//!
//! How the database is made to refuse writes:
//! - PostgreSQL: `ALTER DATABASE … SET default_transaction_read_only = on`, then every
//!   connection to it is terminated, so the pool reconnects read-only (and back, to recover);
//! - SQLite: nothing outside the process can make a file read-only for root, so each of the
//!   pool's connections is switched to `PRAGMA query_only = ON` (SQLITE_READONLY on every
//!   write, as a read-only file gives), and back to OFF to recover.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::PgConnection;
use steward::db::schema::users;
use steward::db::Backend;

use super::{answers_within, eventually, status_of};
use crate::helpers::{assert_says, postgres_base, TestApp, PASSWORD};

backend_tests!(a_database_that_refuses_writes_gets_a_503_page_and_readyz_says_so_until_it_recovers);

fn set_read_only(app: &TestApp, on: bool) {
    match app.backend {
        Backend::Postgres => {
            let name = app.database_url.rsplit('/').next().unwrap().to_string();
            let mut admin =
                PgConnection::establish(&format!("{}/postgres", postgres_base())).unwrap();
            let flag = if on { "on" } else { "off" };
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {name} SET default_transaction_read_only = {flag}; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid();"
                ))
                .unwrap();
        }
        Backend::Sqlite => {
            // Every connection of the pool at once, so none is left writable.
            let held: Vec<_> = (0..app.pool.max_size())
                .map(|_| app.pool.get().unwrap())
                .collect();
            let flag = if on { "ON" } else { "OFF" };
            for mut c in held {
                c.batch_execute(&format!("PRAGMA query_only = {flag};"))
                    .unwrap();
            }
        }
    }
}

fn accounts(app: &TestApp) -> i64 {
    // A connection of its own: on PostgreSQL the pool's may just have been terminated.
    for _ in 0..20 {
        if let Ok(n) = users::table.count().get_result(&mut app.conn()) {
            return n;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the database does not answer reads");
}

async fn create_account(b: &crate::helpers::Browser, owner: &str, name: &str) -> reqwest::Response {
    b.post(
        "/users",
        &[
            ("username", name),
            ("email", &format!("{name}@example.com")),
            ("password", PASSWORD),
            ("kind", "user"),
            ("owner_id", owner),
        ],
    )
    .await
}

async fn a_database_that_refuses_writes_gets_a_503_page_and_readyz_says_so_until_it_recovers(
    app: TestApp,
) {
    let admin = app.admin("boss");
    let owner = admin.to_string();
    let b = app.login("boss").await;
    assert!(answers_within(&app.address, "/readyz", 200, Duration::from_secs(10)).await);
    // A successful write leaves a flash for the next page (not followed yet).
    assert_status!(create_account(&b, &owner, "before").await, 303);
    let before = accounts(&app);

    set_read_only(&app, true);
    assert!(
        answers_within(&app.address, "/readyz", 503, Duration::from_secs(10)).await,
        "/readyz reports that writes are refused"
    );
    assert!(
        answers_within(&app.address, "/healthz", 200, Duration::from_secs(5)).await,
        "/healthz stays live: the database answers"
    );
    // A read shows the pending flash, though the session cannot drop it.
    let users = b.get("/users").await;
    assert_status!(users, 200);
    assert!(users
        .text()
        .await
        .unwrap()
        .contains("Account before created."));
    assert_status!(b.get("/servers").await, 200);
    // A write answers the rendered 503 page, and nothing is saved.
    let res = create_account(&b, &owner, "during").await;
    assert_status!(res, 503);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("cannot save changes right now") && page.contains("nothing was saved"),
        "{page}"
    );
    assert!(page.contains("<html"), "a rendered page, not an empty body");
    assert_eq!(accounts(&app), before);
    // Strangers still get the login form; a login (which must write) gets the 503 page.
    assert_eq!(status_of(&app.address, "/login").await, 200);
    let stranger = app.browser();
    let res = stranger.login("boss", PASSWORD).await;
    assert_says(res, 503, "nothing was saved").await;

    set_read_only(&app, false);
    assert!(
        answers_within(&app.address, "/readyz", 200, Duration::from_secs(10)).await,
        "/readyz recovers"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            create_account(&b, &owner, "after").await.status().as_u16() == 303
        })
        .await,
        "writes work again"
    );
    assert_eq!(accounts(&app), before + 1);
    assert_status!(stranger.login("boss", PASSWORD).await, 303);
}
