//! A snapshot of every table a step could change, to prove that a refused step changed
//! nothing. Sessions are compared by whose they are and whom they impersonate (their
//! state blob carries the CSRF token and flash messages, which a refused page may set).

use diesel::sql_types::Text;
use diesel::QueryableByName;

use super::fixtures::rows;
use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    r: String,
}

/// Table name and the columns that make up its rows.
const TABLES: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "id",
            "kind",
            "username",
            "name",
            "email",
            "password_hash",
            "owner_id",
            "parent_id",
            "role_id",
            "all_servers",
            "disabled",
            "expires_on",
        ],
    ),
    ("alias_roles", &["id", "account_id", "name", "description"]),
    ("alias_role_permissions", &["role_id", "permission"]),
    ("alias_servers", &["alias_id", "server_id"]),
    (
        "servers",
        &[
            "id",
            "hostname",
            "name",
            "os",
            "power_state",
            "status",
            "reseller_id",
            "owner_id",
        ],
    ),
    ("server_ips", &["server_id", "ip", "rdns"]),
    ("server_jobs", &["id", "server_id", "kind", "detail"]),
    (
        "api_keys",
        &[
            "id",
            "user_id",
            "name",
            "revoked_at",
            "permissions",
            "all_servers",
            "allowed_ips",
        ],
    ),
    ("api_key_servers", &["key_id", "server_id"]),
    ("ssh_keys", &["id", "user_id", "fingerprint"]),
    ("totp_factors", &["user_id"]),
    ("passkeys", &["id", "user_id"]),
    ("recovery_codes", &["id", "user_id"]),
    ("sessions", &["user_id", "impersonator_id"]),
    ("audit_log", &["id", "action", "target"]),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(Vec<(&'static str, Vec<String>)>);

impl Snapshot {
    pub fn take(app: &TestApp) -> Snapshot {
        let tables = TABLES
            .iter()
            .map(|(table, cols)| {
                let expr = cols
                    .iter()
                    .map(|c| format!("COALESCE(CAST({c} AS TEXT), '~')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let mut got: Vec<String> =
                    rows::<Row>(app, &format!("SELECT {expr} AS r FROM {table}"))
                        .into_iter()
                        .map(|r| r.r)
                        .collect();
                got.sort();
                (*table, got)
            })
            .collect();
        Snapshot(tables)
    }

    /// What differs, table by table (empty when nothing changed).
    pub fn diff(&self, after: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        for ((table, a), (_, b)) in self.0.iter().zip(after.0.iter()) {
            if a != b {
                let gone: Vec<&String> = a.iter().filter(|r| !b.contains(r)).collect();
                let new: Vec<&String> = b.iter().filter(|r| !a.contains(r)).collect();
                out.push(format!("{table}: removed {gone:?}, added {new:?}"));
            }
        }
        out
    }

    /// Whether anything but sessions and the audit log changed.
    pub fn data_changed(&self, after: &Snapshot) -> bool {
        self.0
            .iter()
            .zip(after.0.iter())
            .any(|((t, a), (_, b))| !matches!(*t, "sessions" | "audit_log") && a != b)
    }
}
