//! Start-up tasks outside any request: the first admin account and the demo data set.

pub mod demo;

use anyhow::{bail, Context};

use crate::db::DbConn;
use crate::domain::{Email, NewPassword, Username};
use crate::models::now;
use crate::models::user::{NewUser, User};
use crate::security::{password, token};

/// Creates an admin account after validating its fields; answers its id.
pub fn create_admin(
    conn: &mut DbConn,
    username: &str,
    email: &str,
    pass: &str,
) -> anyhow::Result<i32> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("username: {e}"))?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let pass = NewPassword::parse(pass).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    if User::username_taken(conn, &username.key())? {
        bail!("the username {} is taken", username.as_str());
    }
    let hash = password::hash(pass.expose())?;
    let id = NewUser {
        kind: "admin",
        username: username.as_str(),
        username_key: &username.key(),
        name: username.as_str(),
        email: email.as_str(),
        password_hash: &hash,
        created_at: now(),
        ..NewUser::default()
    }
    .insert(conn)
    .context("inserting the admin account")?;
    Ok(id)
}

/// On a database without any admin, creates `admin` with a random password and answers
/// the password (to be printed once); otherwise answers None.
pub fn ensure_first_admin(conn: &mut DbConn) -> anyhow::Result<Option<String>> {
    if User::any_admin(conn)? {
        return Ok(None);
    }
    let pass = token::random_password(20);
    create_admin(conn, "admin", "admin@localhost.localdomain", &pass)?;
    Ok(Some(pass))
}
