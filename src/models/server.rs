//! Servers and the one type every server query is filtered by: `Reach`, the set of servers
//! a login may see, expressed as a query filter so that it costs the same for an account
//! with ten servers as for one with ten thousand.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::servers;
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
    /// Servers both reaches include (e.g. an account's servers that a manager reaches).
    Both(Box<Reach>, Box<Reach>),
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
        match self {
            Reach::All => "1 = 1".into(),
            Reach::Reseller(id) => {
                format!("(servers.reseller_id = {id} OR servers.owner_id = {id})")
            }
            Reach::Owner(id) => format!("servers.owner_id = {id}"),
            Reach::Assigned { alias_id, within } => format!(
                "(servers.id IN (SELECT alias_servers.server_id FROM alias_servers \
                 WHERE alias_servers.alias_id = {alias_id}) AND {})",
                within.sql_condition()
            ),
            Reach::Both(a, b) => format!("({} AND {})", a.sql_condition(), b.sql_condition()),
        }
    }

    /// The reach as a diesel filter expression.
    pub fn filter(&self) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
        diesel::dsl::sql::<diesel::sql_types::Bool>(&self.sql_condition())
    }
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
        assert_eq!(Reach::All.and(Reach::Owner(3)), Reach::Owner(3));
        assert_eq!(Reach::Owner(3).and(Reach::Owner(3)), Reach::Owner(3));
        assert_eq!(
            Reach::Owner(3).and(Reach::Reseller(2)).sql_condition(),
            "(servers.owner_id = 3 AND (servers.reseller_id = 2 OR servers.owner_id = 2))"
        );
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
