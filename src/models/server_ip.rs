//! A server's IP addresses and their reverse DNS names. The primary IP has a row here too;
//! the unique index on `ip` is what keeps an address on one server only.

use diesel::prelude::*;

use crate::db::schema::server_ips;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = server_ips)]
pub struct ServerIp {
    pub id: i32,
    pub server_id: i32,
    pub ip: String,
    pub rdns: String,
}

pub fn add(conn: &mut DbConn, server_id: i32, ip: &str) -> QueryResult<()> {
    add_with_rdns(conn, server_id, ip, "")
}

pub fn add_with_rdns(conn: &mut DbConn, server_id: i32, ip: &str, rdns: &str) -> QueryResult<()> {
    diesel::insert_into(server_ips::table)
        .values((
            server_ips::server_id.eq(server_id),
            server_ips::ip.eq(ip),
            server_ips::rdns.eq(rdns),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Moves the server's `old` address to `new`, clearing its rDNS.
pub fn replace(conn: &mut DbConn, server_id: i32, old: &str, new: &str) -> QueryResult<()> {
    let moved = diesel::update(
        server_ips::table
            .filter(server_ips::server_id.eq(server_id))
            .filter(server_ips::ip.eq(old)),
    )
    .set((server_ips::ip.eq(new), server_ips::rdns.eq("")))
    .execute(conn)?;
    if moved == 0 {
        add(conn, server_id, new)?;
    }
    Ok(())
}

/// The server's addresses, primary first as stored order allows (by id).
pub fn of_server(conn: &mut DbConn, server_id: i32) -> QueryResult<Vec<ServerIp>> {
    server_ips::table
        .filter(server_ips::server_id.eq(server_id))
        .order(server_ips::id.asc())
        .select(ServerIp::as_select())
        .load(conn)
}

/// Whether an address is in use by a server other than `except`.
pub fn taken(conn: &mut DbConn, ip: &str, except: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        server_ips::table
            .filter(server_ips::ip.eq(ip))
            .filter(server_ips::server_id.ne(except)),
    ))
    .get_result(conn)
}

/// Sets the rDNS name of one of the server's addresses; false when the address is not
/// the server's.
pub fn set_rdns(conn: &mut DbConn, server_id: i32, ip: &str, rdns: &str) -> QueryResult<bool> {
    diesel::update(
        server_ips::table
            .filter(server_ips::server_id.eq(server_id))
            .filter(server_ips::ip.eq(ip)),
    )
    .set(server_ips::rdns.eq(rdns))
    .execute(conn)
    .map(|n| n > 0)
}
