//! `Reach`: the set of servers a login may see, as a query filter on `servers` that costs
//! the same for an account with ten servers as for one with ten thousand. It has two
//! renderings: SQL text with the ids inline (PostgreSQL, where a cached generic plan made
//! without the ids was slow) and a diesel expression with the ids bound (SQLite, where
//! only bound statements are cached). The test below runs both on the same rows for
//! generated reaches, so they cannot drift apart.

use diesel::prelude::*;

use crate::db::schema::{alias_servers, api_key_servers, servers};
use crate::db::Backend;

/// Which servers a login reaches. Built by the access module; applied by queries here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every server of the installation (admins).
    All,
    /// Servers assigned to a reseller or owned by it.
    Reseller(i32),
    /// Servers owned by a customer account.
    Owner(i32),
    /// Servers assigned to an alias user, within what its parent reaches.
    Assigned { alias_id: i32, within: Box<Reach> },
    /// Servers both reaches include (e.g. an account's servers that a manager reaches).
    Both(Box<Reach>, Box<Reach>),
    /// Servers an API key was limited to, within what its login reaches.
    KeyServers { key_id: i32, within: Box<Reach> },
}

impl Reach {
    /// The servers both `self` and `other` include.
    pub fn and(self, other: Reach) -> Reach {
        match (self, other) {
            (Reach::All, r) | (r, Reach::All) => r,
            (a, b) if a == b => a,
            (a, b) => Reach::Both(Box::new(a), Box::new(b)),
        }
    }

    /// The reach as an SQL condition on the `servers` table. Only integer ids are written
    /// into it (never text), so it is safe to inline; being a plain SQL expression, it can
    /// filter `servers` alone or any join that includes it.
    pub fn sql_condition(&self) -> String {
        self.condition(true)
    }

    /// `chain_indexes`: whether the planner may use the indexes of the owner chain
    /// (`owner_id`, `reseller_id`). Without them the owner-chain tests are written
    /// `+servers.owner_id`, which SQLite and PostgreSQL both read as an expression no index
    /// serves, so the rows come from the query's key (ids, an assignment list) and are only
    /// checked against the owner chain.
    fn condition(&self, chain_indexes: bool) -> String {
        let col = |name: &str| {
            if chain_indexes {
                format!("servers.{name}")
            } else {
                format!("+servers.{name}")
            }
        };
        match self {
            Reach::All => "1 = 1".into(),
            Reach::Reseller(id) => {
                format!(
                    "({} = {id} OR {} = {id})",
                    col("reseller_id"),
                    col("owner_id")
                )
            }
            Reach::Owner(id) => format!("{} = {id}", col("owner_id")),
            Reach::Assigned { alias_id, within } => format!(
                "(servers.id IN (SELECT alias_servers.server_id FROM alias_servers \
                 WHERE alias_servers.alias_id = {alias_id}) AND {})",
                within.condition(chain_indexes)
            ),
            Reach::Both(a, b) => format!(
                "({} AND {})",
                a.condition(chain_indexes),
                b.condition(chain_indexes)
            ),
            Reach::KeyServers { key_id, within } => format!(
                "(servers.id IN (SELECT api_key_servers.server_id FROM api_key_servers \
                 WHERE api_key_servers.key_id = {key_id}) AND {})",
                within.condition(chain_indexes)
            ),
        }
    }

    /// Whether every server `other` reaches is one this reach includes, as far as their
    /// shapes tell (an unsure answer is `false`).
    pub fn includes(&self, other: &Reach) -> bool {
        other.clone().and(self.clone()) == *other
    }

    /// Whether the reach is narrowed to an alias user's assigned servers.
    fn is_assignment(&self) -> bool {
        match self {
            Reach::Assigned { .. } | Reach::KeyServers { .. } => true,
            Reach::Both(a, b) => a.is_assignment() || b.is_assignment(),
            _ => false,
        }
    }

    /// The reach as a filter for a query whose rows are already picked by a key (a list of
    /// ids, a hostname, an alias user's assignment list): the owner-chain tests then only check
    /// those rows. Left indexable, SQLite prefers walking every server of the account and
    /// probing each against the key: testing ten ids of an assign POST took 0.75 ms (inside
    /// the write lock), counting an alias user's 1,000 servers 1 ms, both growing with the
    /// account instead of the key (BENCHMARKS.md, fix 8).
    pub fn filter_beside_keys(&self, backend: Backend) -> ReachFilter {
        self.expression(false, backend)
    }

    /// The reach as a diesel filter on `servers`.
    pub fn filter(&self, backend: Backend) -> ReachFilter {
        self.expression(true, backend)
    }

    /// The filter for counting the reach: an alias user's assignment list is the key that
    /// drives the count (it has as many rows as the alias user has servers); any other
    /// reach is counted along the owner-chain indexes.
    pub fn count_filter(&self, backend: Backend) -> ReachFilter {
        self.expression(!self.is_assignment(), backend)
    }

    /// On SQLite the ids are bound values: the SQL then has one text per shape of reach,
    /// so diesel caches its prepared statement (SQL text with ids in it is never cached),
    /// and preparing every reach query anew was a sixth of a page view's CPU. PostgreSQL
    /// gets the ids in the text: a cached statement there may be run with a generic plan
    /// made without them, and with tenants of 5 and 10,000 servers the generic plan for an
    /// alias user's page hashed all of the account's servers (6.4 ms instead of 0.14 ms;
    /// BENCHMARKS.md, fix 10).
    fn expression(&self, chain_indexes: bool, backend: Backend) -> ReachFilter {
        match backend {
            Backend::Postgres => Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &self.condition(chain_indexes),
            )),
            Backend::Sqlite => self.bound_expression(chain_indexes),
        }
    }

    /// `condition` built from diesel expressions with the ids bound; `+ 0` keeps an
    /// owner-chain test out of the plan as `+servers.owner_id` does in the text.
    fn bound_expression(&self, chain_indexes: bool) -> ReachFilter {
        fn on_chain(column: ChainColumn, id: i32, indexed: bool) -> ReachFilter {
            match (column, indexed) {
                (ChainColumn::Owner, true) => Box::new(servers::owner_id.eq(id).assume_not_null()),
                (ChainColumn::Owner, false) => {
                    Box::new((servers::owner_id + 0).eq(id).assume_not_null())
                }
                (ChainColumn::Reseller, true) => {
                    Box::new(servers::reseller_id.eq(id).assume_not_null())
                }
                (ChainColumn::Reseller, false) => {
                    Box::new((servers::reseller_id + 0).eq(id).assume_not_null())
                }
            }
        }
        match self {
            Reach::All => Box::new(true.into_sql::<diesel::sql_types::Bool>()),
            Reach::Reseller(id) => Box::new(
                on_chain(ChainColumn::Reseller, *id, chain_indexes).or(on_chain(
                    ChainColumn::Owner,
                    *id,
                    chain_indexes,
                )),
            ),
            Reach::Owner(id) => on_chain(ChainColumn::Owner, *id, chain_indexes),
            Reach::Assigned { alias_id, within } => Box::new(
                servers::id
                    .eq_any(
                        alias_servers::table
                            .filter(alias_servers::alias_id.eq(*alias_id))
                            .select(alias_servers::server_id),
                    )
                    .and(within.bound_expression(chain_indexes)),
            ),
            Reach::Both(a, b) => Box::new(
                a.bound_expression(chain_indexes)
                    .and(b.bound_expression(chain_indexes)),
            ),
            Reach::KeyServers { key_id, within } => Box::new(
                servers::id
                    .eq_any(
                        api_key_servers::table
                            .filter(api_key_servers::key_id.eq(*key_id))
                            .select(api_key_servers::server_id),
                    )
                    .and(within.bound_expression(chain_indexes)),
            ),
        }
    }
}

/// A reach as a boolean filter on `servers`, for either backend.
pub type ReachFilter = Box<
    dyn BoxableExpression<
        servers::table,
        crate::db::MultiBackend,
        SqlType = diesel::sql_types::Bool,
    >,
>;

#[derive(Clone, Copy)]
enum ChainColumn {
    Owner,
    Reseller,
}

#[cfg(test)]
mod tests {
    use super::Reach;

    #[test]
    fn reaches_compose_into_sql_over_ids_only() {
        let alias = Reach::Assigned {
            alias_id: 7,
            within: Box::new(Reach::Reseller(5)),
        };
        assert_eq!(
            alias.sql_condition(),
            "(servers.id IN (SELECT alias_servers.server_id FROM alias_servers WHERE alias_servers.alias_id = 7) \
             AND (servers.reseller_id = 5 OR servers.owner_id = 5))"
        );
        // Beside a key, owner-chain tests are kept out of the plan.
        assert_eq!(
            Reach::Owner(3).and(alias.clone()).condition(false),
            "(+servers.owner_id = 3 AND (servers.id IN (SELECT alias_servers.server_id FROM alias_servers \
             WHERE alias_servers.alias_id = 7) AND (+servers.reseller_id = 5 OR +servers.owner_id = 5)))"
        );
        assert!(alias.is_assignment() && !Reach::Owner(3).is_assignment());
        assert!(
            Reach::All.includes(&Reach::Owner(3)) && Reach::Owner(3).includes(&Reach::Owner(3))
        );
        assert!(
            !Reach::Owner(3).includes(&Reach::Reseller(2)) && !alias.includes(&Reach::Reseller(5))
        );
        assert_eq!(Reach::All.and(Reach::Owner(3)), Reach::Owner(3));
        assert_eq!(Reach::Owner(3).and(Reach::Owner(3)), Reach::Owner(3));
        assert_eq!(
            Reach::Owner(3).and(Reach::Reseller(2)).sql_condition(),
            "(servers.owner_id = 3 AND (servers.reseller_id = 2 OR servers.owner_id = 2))"
        );
    }
}

/// The two renderings run against each other on one SQLite database of servers with every
/// mix of owner and reseller, two alias users' assignment lists and two keys' lists.
#[cfg(test)]
mod renderings_agree {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use proptest::prelude::*;

    use super::Reach;
    use crate::db::schema::servers;
    use crate::db::DbConn;

    const OWNERS: [i32; 3] = [10, 11, 12];
    const RESELLERS: [i32; 2] = [20, 21];

    fn database() -> (std::path::PathBuf, crate::db::PooledConn) {
        let dir = std::env::temp_dir().join(format!(
            "steward-reach-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let pool = crate::db::connect(&dir.join("t.db").to_string_lossy()).expect("pool");
        let mut c = pool.get().expect("connection");
        crate::db::migrations::run_pending(&mut c).expect("migrations");
        // Only the server tables matter here; the owner chains' accounts need not exist.
        let mut sql = String::from("PRAGMA foreign_keys = OFF;");
        for id in 1..=36 {
            let owner = [None, Some(10), Some(11), Some(12)][id % 4];
            let reseller = [None, Some(20), Some(21)][id % 3];
            let (o, r) = (sql_int(owner), sql_int(reseller));
            let at = "'2026-01-01 00:00:00'";
            sql.push_str(&format!(
                "INSERT INTO servers (id, hostname, name, primary_ip, owner_id, reseller_id, created_at, updated_at) \
                 VALUES ({id}, 's{id}', 's{id}', '10.0.0.{id}', {o}, {r}, {at}, {at});"
            ));
            if id % 2 == 0 {
                sql.push_str(&format!("INSERT INTO alias_servers VALUES (30, {id});"));
            }
            if id % 5 < 2 {
                sql.push_str(&format!("INSERT INTO alias_servers VALUES (31, {id});"));
            }
            if id % 3 == 1 {
                sql.push_str(&format!("INSERT INTO api_key_servers VALUES (40, {id});"));
            }
        }
        c.batch_execute(&sql).expect("rows");
        (dir, c)
    }

    fn sql_int(v: Option<i32>) -> String {
        v.map_or("NULL".into(), |v| v.to_string())
    }

    fn ids_of_text(c: &mut DbConn, reach: &Reach, chain_indexes: bool) -> Vec<i32> {
        servers::table
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &reach.condition(chain_indexes),
            ))
            .select(servers::id)
            .order(servers::id)
            .load(c)
            .expect("text rendering")
    }

    fn ids_of_bound(c: &mut DbConn, reach: &Reach, chain_indexes: bool) -> Vec<i32> {
        servers::table
            .filter(reach.bound_expression(chain_indexes))
            .select(servers::id)
            .order(servers::id)
            .load(c)
            .expect("bound rendering")
    }

    fn leaf() -> impl Strategy<Value = Reach> {
        prop_oneof![
            Just(Reach::All),
            prop::sample::select(&OWNERS[..]).prop_map(Reach::Owner),
            prop::sample::select(&[RESELLERS[0], RESELLERS[1], OWNERS[0]][..])
                .prop_map(Reach::Reseller),
        ]
    }

    fn reach() -> impl Strategy<Value = Reach> {
        leaf().prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                (prop::sample::select(&[30, 31, 32][..]), inner.clone()).prop_map(
                    |(alias_id, within)| Reach::Assigned {
                        alias_id,
                        within: Box::new(within),
                    }
                ),
                (prop::sample::select(&[40, 41][..]), inner.clone()).prop_map(
                    |(key_id, within)| Reach::KeyServers {
                        key_id,
                        within: Box::new(within),
                    }
                ),
                (inner.clone(), inner).prop_map(|(a, b)| Reach::Both(Box::new(a), Box::new(b))),
            ]
        })
    }

    #[test]
    fn the_text_and_the_bound_rendering_of_any_reach_select_the_same_servers() {
        let (dir, c) = database();
        // The runner's closure is `Fn`: the connection and the tally sit in cells.
        let c = std::cell::RefCell::new(c);
        let seen_some = std::cell::Cell::new(0);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(200));
        runner
            .run(&(reach(), any::<bool>()), |(reach, indexed)| {
                let c = &mut *c.borrow_mut();
                let text = ids_of_text(c, &reach, indexed);
                let bound = ids_of_bound(c, &reach, indexed);
                prop_assert_eq!(&text, &bound, "{:?}", reach);
                if !text.is_empty() && text.len() < 36 {
                    seen_some.set(seen_some.get() + 1);
                }
                Ok(())
            })
            .expect("both renderings agree");
        // The data must tell reaches apart, or agreeing would prove nothing.
        let seen_some = seen_some.get();
        assert!(
            seen_some > 20,
            "only {seen_some} reaches picked a proper subset"
        );
        drop(c);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
