//! `bench-data` builds the benchmark's installation on an empty database only.

use diesel::prelude::*;
use steward::bootstrap::bench::{self, Scale};
use steward::db::schema::{alias_servers, servers, users};

use crate::backend_tests;
use crate::helpers::TestApp;

backend_tests!(bench_data_builds_the_tenth_size_installation_on_an_empty_database_only);

async fn bench_data_builds_the_tenth_size_installation_on_an_empty_database_only(app: TestApp) {
    let mut conn = app.conn();
    let facts = bench::generate(&mut conn, Scale::Tenth).unwrap();
    let kinds: Vec<(String, i64)> = users::table
        .group_by(users::kind)
        .select((users::kind, diesel::dsl::count_star()))
        .order(users::kind.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        kinds,
        vec![
            ("admin".to_string(), 1),
            ("alias".to_string(), 50),
            ("reseller".to_string(), 2),
            ("user".to_string(), 200),
        ]
    );
    let total: i64 = servers::table.count().get_result(&mut conn).unwrap();
    let showcase: i64 = servers::table
        .filter(servers::owner_id.eq(facts.showcase_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let big: i64 = alias_servers::table
        .filter(alias_servers::alias_id.eq(facts.big_alias_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((total, showcase, big), (2_000, 1_000, 100));
    // The logins it prints work with the bench password.
    drop(conn);
    let b = app.browser();
    assert_eq!(
        b.login("bigalias", bench::BENCH_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(bench::generate(&mut app.conn(), Scale::Tenth).is_err());
}
