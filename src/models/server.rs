//! Servers and the one type every server query is filtered by: `Reach`, the set of servers
//! a login may see, expressed as a query filter so that it costs the same for an account
//! with ten servers as for one with ten thousand.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{alias_servers, servers};
use crate::db::DbConn;

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
}

impl Reach {
    /// The filter as a boxed SQL expression over `servers`.
    pub fn filter(
        &self,
    ) -> Box<
        dyn BoxableExpression<
            servers::table,
            crate::db::MultiBackend,
            SqlType = diesel::sql_types::Bool,
        >,
    > {
        match self {
            Reach::All => Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1=1")),
            Reach::Reseller(id) => Box::new(
                servers::reseller_id
                    .eq(*id)
                    .or(servers::owner_id.eq(*id))
                    .assume_not_null(),
            ),
            Reach::Owner(id) => Box::new(servers::owner_id.eq(*id).assume_not_null()),
            Reach::Assigned { alias_id, within } => {
                let assigned = alias_servers::table
                    .filter(alias_servers::alias_id.eq(*alias_id))
                    .select(alias_servers::server_id);
                Box::new(servers::id.eq_any(assigned).and(within.filter()))
            }
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = servers)]
pub struct Server {
    pub id: i32,
    pub hostname: String,
    pub name: String,
    pub primary_ip: String,
    pub location: String,
    pub tags: String,
    pub os: String,
    pub power_state: String,
    pub status: String,
    pub reseller_id: Option<i32>,
    pub owner_id: Option<i32>,
    pub cpu: String,
    pub memory_gb: i32,
    pub disks: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Server {
    /// A server the reach includes; one outside it is as absent as a missing one.
    pub fn find_within(conn: &mut DbConn, reach: &Reach, id: i32) -> QueryResult<Option<Server>> {
        servers::table
            .filter(servers::id.eq(id))
            .filter(reach.filter())
            .select(Server::as_select())
            .first(conn)
            .optional()
    }

    pub fn count_within(conn: &mut DbConn, reach: &Reach) -> QueryResult<i64> {
        servers::table
            .filter(reach.filter())
            .count()
            .get_result(conn)
    }
}

impl Server {
    /// Servers within `reach`, searched by hostname, name, IP or tag, one page at a time.
    /// Cost follows the page, not the tenant: one COUNT and one LIMITed SELECT.
    pub fn list_within(
        conn: &mut DbConn,
        reach: &Reach,
        q: &str,
        page: i64,
        per_page: i64,
    ) -> QueryResult<super::Page<Server>> {
        let pattern = super::like_pattern(q, false);
        let filtered = || {
            let mut query = servers::table.filter(reach.filter()).into_boxed();
            if !q.trim().is_empty() {
                query = query.filter(
                    servers::hostname
                        .like(pattern.clone())
                        .escape('\\')
                        .or(super::user::lower(servers::name)
                            .like(pattern.clone())
                            .escape('\\'))
                        .or(servers::primary_ip.like(pattern.clone()).escape('\\'))
                        .or(super::user::lower(servers::tags)
                            .like(pattern.clone())
                            .escape('\\')),
                );
            }
            query
        };
        let total = filtered().count().get_result(conn)?;
        let rows = filtered()
            .order(servers::hostname.asc())
            .limit(per_page)
            .offset(super::Page::<Server>::offset(page, per_page))
            .select(Server::as_select())
            .load(conn)?;
        Ok(super::Page {
            rows,
            total,
            page: page.max(1),
            per_page,
        })
    }
}
