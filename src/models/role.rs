//! Alias roles: named permission sets that belong to one regular account and are given to
//! its alias users. Permission keys are stored as text, one row each; which keys exist is
//! the access catalog's business, not this table's.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{alias_role_permissions, alias_roles, users};
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

/// A new role row (its permissions are written with `set_permissions`).
#[derive(Debug, Insertable)]
#[diesel(table_name = alias_roles)]
pub struct NewRole<'a> {
    pub account_id: i32,
    pub name: &'a str,
    pub name_key: &'a str,
    pub description: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewRole<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        crate::insert_returning_id!(conn, alias_roles::table, self, alias_roles::id)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = alias_role_permissions)]
struct NewRolePermission<'a> {
    role_id: i32,
    permission: &'a str,
}

/// The lookup key that makes role names unique in an account whatever their case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Role {
    /// Whether the account has another role (not `except`) with this name key.
    pub fn name_taken(
        conn: &mut DbConn,
        account_id: i32,
        key: &str,
        except: Option<i32>,
    ) -> QueryResult<bool> {
        // Ids are positive, so 0 excludes nothing.
        let except = except.unwrap_or(0);
        let query = alias_roles::table
            .filter(alias_roles::account_id.eq(account_id))
            .filter(alias_roles::name_key.eq(key.to_string()))
            .filter(alias_roles::id.ne(except));
        diesel::select(diesel::dsl::exists(query)).get_result(conn)
    }

    /// Renames and re-describes a role.
    pub fn update(
        conn: &mut DbConn,
        id: i32,
        name: &str,
        description: &str,
        updated_at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(alias_roles::table.find(id))
            .set((
                alias_roles::name.eq(name),
                alias_roles::name_key.eq(name_key(name)),
                alias_roles::description.eq(description),
                alias_roles::updated_at.eq(updated_at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Deletes a role and its permission rows. The caller checks first that no alias user
    /// holds it (the users.role_id foreign key refuses it otherwise).
    pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::delete(
            alias_role_permissions::table.filter(alias_role_permissions::role_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(alias_roles::table.find(id))
            .execute(conn)
            .map(|_| ())
    }
}

/// Replaces a role's permission keys with `keys`.
pub fn set_permissions(conn: &mut DbConn, role_id: i32, keys: &[&str]) -> QueryResult<()> {
    diesel::delete(
        alias_role_permissions::table.filter(alias_role_permissions::role_id.eq(role_id)),
    )
    .execute(conn)?;
    // At most one row per catalog entry, so one statement per key stays small.
    for key in keys {
        diesel::insert_into(alias_role_permissions::table)
            .values(NewRolePermission {
                role_id,
                permission: key,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// The permission keys of several roles, in one query (for the Roles tab).
pub fn permissions_of_many(conn: &mut DbConn, role_ids: &[i32]) -> QueryResult<Vec<(i32, String)>> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    alias_role_permissions::table
        .filter(alias_role_permissions::role_id.eq_any(role_ids))
        .select((
            alias_role_permissions::role_id,
            alias_role_permissions::permission,
        ))
        .load(conn)
}

/// How many alias users hold each of the given roles, in one grouped query.
pub fn usage_counts(conn: &mut DbConn, role_ids: &[i32]) -> QueryResult<Vec<(i32, i64)>> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::role_id.eq_any(role_ids))
        .group_by(users::role_id)
        .select((users::role_id.assume_not_null(), diesel::dsl::count_star()))
        .load(conn)
}

/// The usernames of (up to `limit`) alias users holding a role, and how many hold it.
pub fn holders(conn: &mut DbConn, role_id: i32, limit: i64) -> QueryResult<(Vec<String>, i64)> {
    let total = users::table
        .filter(users::role_id.eq(role_id))
        .count()
        .get_result(conn)?;
    let names = users::table
        .filter(users::role_id.eq(role_id))
        .order(users::username_key.asc())
        .limit(limit)
        .select(users::username)
        .load(conn)?;
    Ok((names, total))
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
