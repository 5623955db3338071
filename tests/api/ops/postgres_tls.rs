//! The bundled libpq still speaks TLS: with `sslmode=require` the binary migrates and
//! serves a PostgreSQL database, and the server reports the connection as encrypted.
//! scripts/test makes sure the local cluster has TLS on (Debian's default, with the
//! snakeoil certificate; otherwise a self-signed one).

use diesel::prelude::*;
use diesel::sql_types::Bool;
use steward::db::Backend;

use crate::helpers::fresh_database;
use crate::resilience::Instance;

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_reaches_postgresql_over_tls_with_sslmode_require() {
    let (url, pg_name, _dir) = fresh_database(Backend::Postgres);
    let tls = format!("{url}?sslmode=require");
    let mut c = PgConnection::establish(&tls).unwrap_or_else(|e| {
        panic!("PostgreSQL at 127.0.0.1 must accept TLS (scripts/test turns it on): {e}")
    });
    let row: Encrypted =
        diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .get_result(&mut c)
            .unwrap();
    assert!(row.ssl, "the connection is encrypted");

    // The binary itself: migrations, then the panel serving over that connection.
    let panel = Instance::start(&tls);
    let login = steward::models::user::User::find_by_username(
        &mut steward::db::connect(&tls).unwrap().get().unwrap(),
        "admin",
    )
    .unwrap();
    assert!(login.is_some(), "the first admin was created over TLS");
    let health = reqwest::get(format!("{}/healthz", panel.address))
        .await
        .unwrap();
    assert_status!(health, 200);
    drop(panel);
    if let Some(name) = pg_name {
        let mut admin =
            PgConnection::establish(&format!("{}/postgres", crate::helpers::postgres_base()))
                .unwrap();
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
    }
}
