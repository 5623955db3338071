//! `steward serve --demo`: on an empty installation, a small but complete data set to
//! explore the panel with: a reseller with customers. Later features add their part here.

use anyhow::Context;

use crate::db::DbConn;
use crate::models::now;
use crate::models::user::{NewUser, User};
use crate::security::password;

/// A demo login and its password, printed at start.
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub what: String,
}

pub const DEMO_PASSWORD: &str = "demo-password";

fn account(
    conn: &mut DbConn,
    kind: &str,
    username: &str,
    name: &str,
    owner: Option<i32>,
    hash: &str,
) -> anyhow::Result<i32> {
    NewUser {
        kind,
        username,
        username_key: &username.to_ascii_lowercase(),
        name,
        email: &format!("{username}@example.com"),
        password_hash: hash,
        owner_id: owner,
        parent_id: None,
        role_id: None,
        all_servers: false,
        disabled: false,
        expires_on: None,
        created_at: now(),
    }
    .insert(conn)
    .with_context(|| format!("creating demo account {username}"))
}

/// Loads the demo data unless the installation already has more than its admin.
pub fn load(conn: &mut DbConn, admin_id: i32) -> anyhow::Result<Vec<DemoLogin>> {
    let existing = User::list_accounts(conn, None, "", 1, 2)?.total;
    if existing > 1 {
        return Ok(Vec::new());
    }
    let hash = password::hash(DEMO_PASSWORD)?;
    crate::db::transaction(conn, |c| {
        let reseller = account(
            c,
            "reseller",
            "reseller",
            "Northwind Hosting",
            Some(admin_id),
            &hash,
        )?;
        let acme = account(c, "user", "acme", "Acme Corp", Some(reseller), &hash)?;
        let globex = account(c, "user", "globex", "Globex Ltd", Some(reseller), &hash)?;
        let _initech = account(c, "user", "initech", "Initech", Some(admin_id), &hash)?;
        let _ = (acme, globex);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(vec![
        DemoLogin {
            username: "reseller".into(),
            password: DEMO_PASSWORD.into(),
            what: "a reseller with two customers".into(),
        },
        DemoLogin {
            username: "acme".into(),
            password: DEMO_PASSWORD.into(),
            what: "a customer of the reseller".into(),
        },
        DemoLogin {
            username: "initech".into(),
            password: DEMO_PASSWORD.into(),
            what: "a customer of the admin".into(),
        },
    ])
}
