//! `steward serve --demo`: on an empty installation, a small but complete data set to
//! explore the panel with: a reseller with customers. Later features add their part here.

use anyhow::Context;

use crate::access::PermissionSet;
use crate::db::DbConn;
use crate::domain::SshPublicKey;
use crate::models::now;
use crate::models::role::{self, NewRole};
use crate::models::ssh_key::NewSshKey;
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

/// Alias roles of a demo account: one with the common permissions, one for operations
/// staff with risky ones, and a read-only one.
fn demo_roles(conn: &mut DbConn, account_id: i32) -> anyhow::Result<()> {
    let common = PermissionSet::common().keys();
    let mut operations = common.clone();
    operations.extend(["servers.console", "servers.rescue", "servers.reinstall"]);
    let roles: [(&str, &str, Vec<&str>); 3] = [
        (
            "Support",
            "Day-to-day support staff: view, power and name servers, manage their SSH keys.",
            common,
        ),
        (
            "Operations",
            "On-call operators: everything Support does, plus console, rescue and reinstall.",
            operations,
        ),
        (
            "Read only",
            "Sees servers and nothing else.",
            vec!["servers.view"],
        ),
    ];
    for (name, description, keys) in roles {
        let at = now();
        let id = NewRole {
            account_id,
            name,
            name_key: &role::name_key(name),
            description,
            created_at: at,
            updated_at: at,
        }
        .insert(conn)
        .with_context(|| format!("creating demo role {name}"))?;
        role::set_permissions(conn, id, &keys)?;
    }
    Ok(())
}

/// A public key for acme (its private half was never kept: it only has to look real).
const ACME_SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMNfJEwpJ4vBxJ55pm1ElbUdYRhGmJsUqVNfFp6RpaHk demo@acme";

fn demo_ssh_key(conn: &mut DbConn, user_id: i32) -> anyhow::Result<()> {
    let key =
        SshPublicKey::parse(ACME_SSH_KEY).map_err(|e| anyhow::anyhow!("demo SSH key: {e}"))?;
    NewSshKey {
        user_id,
        name: "Office laptop",
        public_key: key.as_openssh(),
        fingerprint: key.fingerprint(),
        created_at: now(),
    }
    .insert(conn)
    .context("creating the demo SSH key")?;
    Ok(())
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
        demo_roles(c, acme)?;
        demo_ssh_key(c, acme)?;
        let _ = globex;
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
            what: "a customer of the reseller, with alias roles and an SSH key".into(),
        },
        DemoLogin {
            username: "initech".into(),
            password: DEMO_PASSWORD.into(),
            what: "a customer of the admin".into(),
        },
    ])
}
