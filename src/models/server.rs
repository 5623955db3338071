//! Servers: the inventory rows, their queries within a `Reach` (models/reach.rs), the
//! inventory edits, and the owner picker's choices.

use super::NthPage as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::reach::{Reach, ReachFilter};
use crate::db::schema::{server_ips, servers, users};
use crate::db::DbConn;

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
            .filter(reach.filter(conn.backend()))
            .select(Server::as_select())
            .first(conn)
            .optional()
    }

    pub fn count_within(conn: &mut DbConn, reach: &Reach) -> QueryResult<i64> {
        servers::table
            .filter(reach.count_filter(conn.backend()))
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
        Server::list_filtered(conn, reach, None, q, page, per_page)
    }

    /// One page of a search within `reach`, without counting every match: answers the
    /// rows and whether another page follows. The query reads index entries in hostname
    /// order and stops once the page (and one row more) is found.
    pub fn search_within(
        conn: &mut DbConn,
        reach: &Reach,
        q: &str,
        page: i64,
        per_page: i64,
    ) -> QueryResult<(Vec<Server>, bool)> {
        let mut rows = Server::filtered(reach.filter(conn.backend()), None, q)
            .order(servers::hostname.asc())
            .limit(per_page + 1)
            .offset(super::Page::<Server>::offset(page, per_page))
            .select(Server::as_select())
            .load(conn)?;
        let has_more = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        Ok((rows, has_more))
    }

    fn list_filtered(
        conn: &mut DbConn,
        reach: &Reach,
        owned_by: Option<i32>,
        q: &str,
        page: i64,
        per_page: i64,
    ) -> QueryResult<super::Page<Server>> {
        // An alias user's servers are counted from its assignment list; the page walks
        // the account's hostname index and stops when it is full.
        let backend = conn.backend();
        let total = Server::filtered(reach.count_filter(backend), owned_by, q)
            .count()
            .get_result(conn)?;
        let rows = Server::filtered(reach.filter(backend), owned_by, q)
            .order(servers::hostname.asc())
            .nth_page(page, per_page)
            .select(Server::as_select())
            .load(conn)?;
        Ok(super::Page::new(rows, total, page, per_page))
    }

    /// Servers within `reach` (and with `owned_by` on their owner chain), matching the
    /// search `q`.
    fn filtered<'a>(
        reach: ReachFilter,
        owned_by: Option<i32>,
        q: &str,
    ) -> servers::BoxedQuery<'a, crate::db::MultiBackend> {
        let mut query = servers::table.filter(reach).into_boxed();
        if let Some(h) = owned_by {
            query = query.filter(
                servers::owner_id
                    .eq(h)
                    .or(servers::reseller_id.eq(h))
                    .assume_not_null(),
            );
        }
        let q = q.trim();
        if q.is_empty() {
            return query;
        }
        let pattern = super::like_pattern(q, false);
        let text = servers::hostname
            .like(pattern.clone())
            .escape('\\')
            .or(super::user::lower(servers::name)
                .like(pattern.clone())
                .escape('\\'))
            .or(super::user::lower(servers::tags)
                .like(pattern.clone())
                .escape('\\'));
        // Addresses hold only hex digits, dots and colons: a search with any other
        // character cannot match one, so the address columns are skipped for it. The
        // addresses are looked up per server of the reach (EXISTS over the server_id
        // index), never by a scan of every address of the installation: a customer with 5
        // servers probes 5 servers' addresses, not the whole table.
        let may_be_address = q
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
        if may_be_address {
            query.filter(
                text.or(servers::primary_ip.like(pattern.clone()).escape('\\'))
                    .or(diesel::dsl::exists(
                        server_ips::table
                            .filter(server_ips::server_id.eq(servers::id))
                            .filter(server_ips::ip.like(pattern).escape('\\')),
                    )),
            )
        } else {
            query.filter(text)
        }
    }
}

/// A server added to the inventory (unassigned, powered off).
#[derive(Debug, Insertable)]
#[diesel(table_name = servers)]
pub struct NewServer<'a> {
    pub hostname: &'a str,
    pub name: &'a str,
    pub primary_ip: &'a str,
    pub location: &'a str,
    pub tags: &'a str,
    pub os: &'a str,
    pub power_state: &'a str,
    pub status: &'a str,
    pub reseller_id: Option<i32>,
    pub owner_id: Option<i32>,
    pub cpu: &'a str,
    pub memory_gb: i32,
    pub disks: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewServer<'_> {
    /// Inserts the server and its primary IP (every IP, the primary included, has a
    /// `server_ips` row, so rDNS and the unique IP index treat them alike).
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        let id = crate::insert_returning_id!(conn, servers::table, self, servers::id)?;
        super::server_ip::add(conn, id, self.primary_ip)?;
        Ok(id)
    }
}

/// The inventory fields an admin edits.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = servers)]
pub struct ServerEdit<'a> {
    pub hostname: &'a str,
    pub name: &'a str,
    pub primary_ip: &'a str,
    pub location: &'a str,
    pub tags: &'a str,
    pub cpu: &'a str,
    pub memory_gb: i32,
    pub disks: &'a str,
    pub updated_at: NaiveDateTime,
}

impl Server {
    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Server>> {
        Server::find_within(conn, &Reach::All, id)
    }

    /// The hostnames of `ids`, in the order of `ids` (for audit summaries).
    pub fn hostnames(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<String>> {
        let found: std::collections::HashMap<i32, String> = servers::table
            .filter(servers::id.eq_any(ids))
            .select((servers::id, servers::hostname))
            .load::<(i32, String)>(conn)?
            .into_iter()
            .collect();
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    /// Whether another server already has this hostname.
    pub fn hostname_taken(conn: &mut DbConn, hostname: &str, except: i32) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            servers::table
                .filter(servers::hostname.eq(hostname))
                .filter(servers::id.ne(except)),
        ))
        .get_result(conn)
    }

    /// Applies an edit; a changed primary IP moves its `server_ips` row (its rDNS is reset,
    /// as it named the old address).
    pub fn apply_edit(conn: &mut DbConn, server: &Server, edit: &ServerEdit) -> QueryResult<()> {
        diesel::update(servers::table.find(server.id))
            .set(edit)
            .execute(conn)?;
        if edit.primary_ip != server.primary_ip {
            super::server_ip::replace(conn, server.id, &server.primary_ip, edit.primary_ip)?;
        }
        Ok(())
    }

    pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        // Child rows (IPs, traffic, jobs, alias assignments) go by ON DELETE CASCADE.
        diesel::delete(servers::table.find(id))
            .execute(conn)
            .map(|_| ())
    }

    pub fn rename(conn: &mut DbConn, id: i32, name: &str) -> QueryResult<()> {
        diesel::update(servers::table.find(id))
            .set((servers::name.eq(name), servers::updated_at.eq(super::now())))
            .execute(conn)
            .map(|_| ())
    }

    /// Marks the server "reinstalling" unless it already is; answers whether it did. One
    /// statement, so of two racing reinstalls exactly one marks it.
    pub fn start_reinstalling(
        conn: &mut DbConn,
        id: i32,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            servers::table
                .find(id)
                .filter(servers::status.ne("reinstalling")),
        )
        .set((
            servers::status.eq("reinstalling"),
            servers::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Whether a reinstall is queued or runs on the server, as committed now.
    pub fn is_reinstalling(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
        servers::table
            .find(id)
            .select(servers::status)
            .first::<String>(conn)
            .optional()
            .map(|s| s.as_deref() == Some("reinstalling"))
    }

    /// Records a server's new owner chain (its reseller and its owner). Alias users of the
    /// accounts that were on the chain and no longer are lose their assignment, so moving
    /// it back later does not silently restore their access (other aliases, e.g. an
    /// admin's, keep theirs). The database does that part: the `servers_holders_changed`
    /// trigger (migration 3) runs on every change of the chain, whoever makes it.
    pub fn set_owner_chain(
        conn: &mut DbConn,
        server: &Server,
        reseller_id: Option<i32>,
        owner_id: Option<i32>,
    ) -> QueryResult<()> {
        diesel::update(servers::table.find(server.id))
            .set((
                servers::reseller_id.eq(reseller_id),
                servers::owner_id.eq(owner_id),
                servers::updated_at.eq(super::now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// A customer moved to another owner (or made a customer): its servers carry its new
    /// reseller, or none under an admin, as `access::servers::new_owner_chain` would have
    /// given them. The `servers_holders_changed` trigger drops the assignments of alias
    /// users of the reseller that no longer holds them.
    pub fn follow_customer(
        conn: &mut DbConn,
        customer_id: i32,
        reseller_id: Option<i32>,
    ) -> QueryResult<usize> {
        diesel::update(servers::table.filter(servers::owner_id.eq(customer_id)))
            .set((
                servers::reseller_id.eq(reseller_id),
                servers::updated_at.eq(super::now()),
            ))
            .execute(conn)
    }

    /// Servers with `account` on their owner chain (owned by it, or assigned to it as
    /// reseller) within `reach`, a page at a time, for the account page's Servers tab.
    pub fn list_owned_within(
        conn: &mut DbConn,
        reach: &Reach,
        account: i32,
        q: &str,
        page: i64,
        per_page: i64,
    ) -> QueryResult<super::Page<Server>> {
        Server::list_filtered(conn, reach, Some(account), q, page, per_page)
    }
}

/// Accounts a server may be given to, for the owner picker: every reseller and customer
/// (`within: None`, admins), or one reseller and its customers. Capped like other pickers.
pub fn account_choices(
    conn: &mut DbConn,
    within: Option<i32>,
) -> QueryResult<Vec<super::user::User>> {
    use super::user::User;
    let mut q = users::table
        .filter(users::kind.eq_any(["reseller", "user"]))
        .into_boxed();
    if let Some(r) = within {
        q = q.filter(
            users::id
                .eq(r)
                .or(users::owner_id.eq(r).and(users::kind.eq("user"))),
        );
    }
    q.order((users::kind.asc(), users::username_key.asc()))
        .limit(500)
        .select(User::as_select())
        .load(conn)
}

/// A server the reach includes, found by its hostname or one of its addresses.
pub fn find_by_name_within(
    conn: &mut DbConn,
    reach: &Reach,
    hostname_or_ip: &str,
) -> QueryResult<Option<Server>> {
    let key = hostname_or_ip.trim().to_ascii_lowercase();
    servers::table
        .filter(reach.filter_beside_keys(conn.backend()))
        .filter(
            servers::hostname.eq(key.clone()).or(servers::id.eq_any(
                server_ips::table
                    .filter(server_ips::ip.eq(key))
                    .select(server_ips::server_id),
            )),
        )
        .select(Server::as_select())
        .first(conn)
        .optional()
}
