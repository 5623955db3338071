//! Alias roles: named permission sets that belong to one regular account and are given to
//! its alias users. Permission keys are stored as text, one row each; which keys exist is
//! the access catalog's business, not this table's.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{alias_role_permissions, alias_roles};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = alias_roles)]
pub struct Role {
    pub id: i32,
    pub account_id: i32,
    pub name: String,
    pub name_key: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Role {
    /// A role of `account_id`; another account's role id is as absent as a missing one.
    pub fn find_in_account(
        conn: &mut DbConn,
        account_id: i32,
        id: i32,
    ) -> QueryResult<Option<Role>> {
        alias_roles::table
            .filter(alias_roles::id.eq(id))
            .filter(alias_roles::account_id.eq(account_id))
            .select(Role::as_select())
            .first(conn)
            .optional()
    }

    pub fn list_for_account(conn: &mut DbConn, account_id: i32) -> QueryResult<Vec<Role>> {
        alias_roles::table
            .filter(alias_roles::account_id.eq(account_id))
            .order(alias_roles::name_key.asc())
            .select(Role::as_select())
            .load(conn)
    }
}

/// The permission keys a role holds (as stored; unknown keys are dropped by the caller).
pub fn permissions_of(conn: &mut DbConn, role_id: i32) -> QueryResult<Vec<String>> {
    alias_role_permissions::table
        .filter(alias_role_permissions::role_id.eq(role_id))
        .select(alias_role_permissions::permission)
        .load(conn)
}

/// The permission keys of every role of an account, by role id, in one query.
pub fn permissions_by_role(
    conn: &mut DbConn,
    account_id: i32,
) -> QueryResult<std::collections::HashMap<i32, Vec<String>>> {
    let rows: Vec<(i32, String)> = alias_role_permissions::table
        .inner_join(alias_roles::table)
        .filter(alias_roles::account_id.eq(account_id))
        .select((
            alias_role_permissions::role_id,
            alias_role_permissions::permission,
        ))
        .load(conn)?;
    let mut map = std::collections::HashMap::new();
    for (role, key) in rows {
        map.entry(role).or_insert_with(Vec::new).push(key);
    }
    Ok(map)
}
