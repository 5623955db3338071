//! Daily traffic samples of a server (bytes in and out per UTC day), read for the chart of
//! the last 30 days.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::server_traffic;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = server_traffic)]
pub struct TrafficDay {
    pub server_id: i32,
    pub day: NaiveDate,
    pub rx_bytes: i64,
    pub tx_bytes: i64,
}

/// Samples from `since` (inclusive), oldest first.
pub fn since(conn: &mut DbConn, server_id: i32, since: NaiveDate) -> QueryResult<Vec<TrafficDay>> {
    server_traffic::table
        .filter(server_traffic::server_id.eq(server_id))
        .filter(server_traffic::day.ge(since))
        .order(server_traffic::day.asc())
        .select(TrafficDay::as_select())
        .load(conn)
}

/// Row by row: batch inserts are not available through the multi-backend connection.
pub fn insert_many(conn: &mut DbConn, days: &[TrafficDay]) -> QueryResult<()> {
    for d in days {
        diesel::insert_into(server_traffic::table)
            .values(d)
            .execute(conn)?;
    }
    Ok(())
}
