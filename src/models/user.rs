//! Logins: admin, reseller and user accounts, and alias users, all rows of `users`.
//! A regular account may have an owner (the admin or reseller who manages it); an alias
//! user has a parent account, an alias role, an "all servers" flag and an optional expiry.

use super::NthPage as _;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{like_pattern, now, Page};
use crate::db::schema::users;
use crate::db::{DbConn, MultiBackend};

diesel::define_sql_function!(fn lower(x: Text) -> Text);

/// One page of the logins `filtered` selects, by username, and how many it selects in
/// all. `filtered` builds the query afresh for each of the two statements.
pub(super) fn page_by_username<'a>(
    conn: &mut DbConn,
    filtered: impl Fn() -> users::BoxedQuery<'a, MultiBackend>,
    page: i64,
    per_page: i64,
) -> QueryResult<Page<User>> {
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(users::username_key.asc())
        .nth_page(page, per_page)
        .select(User::as_select())
        .load(conn)?;
    Ok(Page::new(rows, total, page, per_page))
}

/// What kind of login a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Admin,
    Reseller,
    User,
    Alias,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "admin" => Some(Kind::Admin),
            "reseller" => Some(Kind::Reseller),
            "user" => Some(Kind::User),
            "alias" => Some(Kind::Alias),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::Reseller => "reseller",
            Kind::User => "user",
            Kind::Alias => "alias",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Admin => "Admin",
            Kind::Reseller => "Reseller",
            Kind::User => "Customer",
            Kind::Alias => "Alias user",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub kind: String,
    pub username: String,
    pub username_key: String,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub owner_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub role_id: Option<i32>,
    pub all_servers: bool,
    pub disabled: bool,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    /// Set while the login is invited (no password of its own yet): when the current
    /// invitation was sent.
    pub invited_at: Option<NaiveDateTime>,
}

impl User {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::User)
    }
    pub fn is_alias(&self) -> bool {
        self.kind() == Kind::Alias
    }
    /// Expired on or after its expiry date (UTC).
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires_on.is_some_and(|d| today >= d)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username_key.eq(username.trim().to_ascii_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Inside a transaction, holds the login's row until it ends, so that a check-then-
    /// insert on what the login owns (its key quotas) runs one transaction at a time. On
    /// PostgreSQL two READ COMMITTED transactions would otherwise both count 99 and both
    /// insert; SQLite's `BEGIN IMMEDIATE` (see `db::transaction`) already serializes writers.
    pub fn lock_for_update(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        match conn {
            DbConn::Postgres(c) => users::table
                .find(id)
                .select(users::id)
                .for_update()
                .first::<i32>(c)
                .optional()
                .map(|_| ()),
            DbConn::Sqlite(_) => Ok(()),
        }
    }

    pub fn username_taken(conn: &mut DbConn, key: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::username_key.eq(key)),
        ))
        .get_result(conn)
    }

    pub fn any_admin(conn: &mut DbConn) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::kind.eq("admin")),
        ))
        .get_result(conn)
    }

    /// Regular accounts (not alias users), optionally only those owned by `owner`,
    /// filtered by name, username or e-mail, one page at a time.
    pub fn list_accounts(
        conn: &mut DbConn,
        owner: Option<i32>,
        q: &str,
        page: i64,
        per_page: i64,
    ) -> QueryResult<Page<User>> {
        let pattern = like_pattern(q, false);
        let filtered = || {
            let mut query = users::table.filter(users::kind.ne("alias")).into_boxed();
            if let Some(owner) = owner {
                query = query.filter(users::owner_id.eq(owner));
            }
            if !q.trim().is_empty() {
                query = query.filter(
                    users::username_key
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(users::name).like(pattern.clone()).escape('\\'))
                        .or(lower(users::email).like(pattern.clone()).escape('\\')),
                );
            }
            query
        };
        page_by_username(conn, filtered, page, per_page)
    }

    /// Alias users per account, for the Manage Users list, in one query.
    pub fn alias_counts(conn: &mut DbConn, parents: &[i32]) -> QueryResult<Vec<(i32, i64)>> {
        users::table
            .filter(users::parent_id.eq_any(parents))
            .group_by(users::parent_id)
            .select((
                users::parent_id.assume_not_null(),
                diesel::dsl::count_star(),
            ))
            .load(conn)
    }

    /// Accounts that may own customers (admins and resellers), for the owner picker.
    pub fn possible_owners(conn: &mut DbConn) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::kind.eq_any(["admin", "reseller"]))
            .order(users::username_key.asc())
            .limit(500)
            .select(User::as_select())
            .load(conn)
    }

    pub fn record_login(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::last_login_at.eq(now()))
            .execute(conn)
            .map(|_| ())
    }

    /// Sets the password. A login with a password of its own is no longer invited: its
    /// invitation link, if any, stops working in the same write.
    pub fn set_password_hash(conn: &mut DbConn, id: i32, hash: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::invited_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        super::invitation::forget(conn, id)
    }

    /// Whether an account owns servers or other accounts (then it is not simply removed).
    pub fn owns_anything(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
        use crate::db::schema::servers;
        let servers: bool = diesel::select(diesel::dsl::exists(
            servers::table.filter(servers::owner_id.eq(id).or(servers::reseller_id.eq(id))),
        ))
        .get_result(conn)?;
        let accounts: bool = diesel::select(diesel::dsl::exists(
            users::table.filter(users::owner_id.eq(id)),
        ))
        .get_result(conn)?;
        Ok(servers || accounts)
    }

    /// Removes an account; its alias users, roles, sessions and keys go with it (the
    /// foreign keys cascade).
    pub fn delete_account(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::delete(users::table.find(id).filter(users::kind.ne("alias")))
            .execute(conn)
            .map(|_| ())
    }

    /// Whether any login already has this address (compared without case).
    pub fn email_taken(conn: &mut DbConn, email: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(lower(users::email).eq(email.trim().to_lowercase())),
        ))
        .get_result(conn)
    }
}

/// A new regular account or alias user. A creation states what it sets and takes the
/// rest from `Default` (enabled, no expiry, owner, parent, role or servers):
/// `NewUser { kind, username, .., created_at: now(), ..NewUser::default() }`.
#[derive(Debug, Default, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub kind: &'a str,
    pub username: &'a str,
    pub username_key: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub owner_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub role_id: Option<i32>,
    pub all_servers: bool,
    pub disabled: bool,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

impl NewUser<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        crate::insert_returning_id!(conn, users::table, self, users::id)
    }
}

/// The fields an account edit may change.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users)]
pub struct AccountChanges<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub kind: Option<&'a str>,
    pub owner_id: Option<Option<i32>>,
    pub disabled: Option<bool>,
}

impl AccountChanges<'_> {
    pub fn apply(&self, conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(self)
            .execute(conn)
            .map(|_| ())
    }
}

impl User {
    /// Several logins by id, in one query (for names shown beside rows).
    pub fn find_many(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        users::table
            .filter(users::id.eq_any(ids))
            .select(User::as_select())
            .load(conn)
    }
}

/// Where notices about an account go: its username and e-mail, when the account wants
/// them (`notify_owner`) and has an address; None otherwise (or when it is gone).
pub fn notice_recipient(
    conn: &mut DbConn,
    account_id: i32,
) -> QueryResult<Option<(String, String)>> {
    let row: Option<(String, String, bool)> = users::table
        .find(account_id)
        .select((users::username, users::email, users::notify_owner))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(username, email, wanted)| {
        (wanted && !email.trim().is_empty()).then(|| (username, email.trim().to_string()))
    }))
}

/// Whether the account wants notices by mail (the form on its Alias Users tab).
pub fn notifies_owner(conn: &mut DbConn, account_id: i32) -> QueryResult<bool> {
    Ok(users::table
        .find(account_id)
        .select(users::notify_owner)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn set_notify_owner(conn: &mut DbConn, account_id: i32, wanted: bool) -> QueryResult<()> {
    diesel::update(users::table.find(account_id))
        .set(users::notify_owner.eq(wanted))
        .execute(conn)
        .map(|_| ())
}
