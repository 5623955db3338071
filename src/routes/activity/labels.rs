//! How the logs read: each stored action code ("alias.servers.all") becomes a label a
//! person understands ("Gave all servers"), permission keys in the details become their
//! catalog labels, and the copy of a two-account event (an impersonation, written once
//! for each account's Activity tab) is shown once in the installation-wide log. Only the
//! display changes: stored rows, filters and the API keep the codes.

use crate::access::catalog;
use crate::models::audit::{AuditEntry, NewAuditEntry};

/// An audit entry as a log page shows it.
pub struct LogRow {
    pub e: NewAuditEntry,
    /// What happened, in words.
    pub label: String,
    /// The details, with permission keys named by their labels.
    pub details: String,
}

impl LogRow {
    pub fn of(e: NewAuditEntry) -> LogRow {
        let (label, details) = describe(&e.action, &e.details);
        LogRow { e, label, details }
    }
}

/// The rows of a page; with `merge_copies`, an entry written twice by one event (the same
/// action by the same logins at the same moment, for two accounts' logs) shows once.
pub fn rows(entries: Vec<AuditEntry>, merge_copies: bool) -> Vec<LogRow> {
    let mut out: Vec<LogRow> = Vec::with_capacity(entries.len());
    for e in entries.into_iter().map(|e| e.written) {
        if merge_copies {
            if let Some(prev) = out.last() {
                if same_event(&prev.e, &e) {
                    continue;
                }
            }
        }
        out.push(LogRow::of(e));
    }
    out
}

fn same_event(a: &NewAuditEntry, b: &NewAuditEntry) -> bool {
    a.account_id != b.account_id
        && a.action == b.action
        && a.actor_id == b.actor_id
        && a.impersonator_id == b.impersonator_id
        && a.target == b.target
        && a.details == b.details
        && a.created_at == b.created_at
}

/// (label, details) for an action code and its stored details.
pub fn describe(action: &str, details: &str) -> (String, String) {
    let fixed = |label: &str| (label.to_string(), permission_labels(details));
    match action {
        "alias.servers.assign" => (format!("Assigned {details}"), String::new()),
        "alias.servers.unassign" => (format!("Unassigned {details}"), String::new()),
        "alias.servers.all" => ("Gave all servers".into(), String::new()),
        "alias.servers.assigned" => (
            "Turned “all servers” off".into(),
            "reaches only its assigned servers; the list is kept".into(),
        ),
        "alias.servers.none" => ("Removed every server".into(), String::new()),
        "server.power" => (
            match details {
                "on" => "Powered on",
                "off" => "Powered off",
                "reset" => "Reset",
                _ => "Power action",
            }
            .into(),
            String::new(),
        ),
        "account.create" => fixed("Created account"),
        "account.update" => fixed("Edited account"),
        "account.password" => fixed("Changed password"),
        "alias.create" => fixed("Added alias user"),
        "alias.update" => fixed("Edited alias user"),
        "alias.role" => fixed("Changed role"),
        "alias.password" => fixed("Changed own password"),
        "alias.password_reset" => fixed("Reset password"),
        "alias.disable" => fixed("Disabled"),
        "alias.enable" => fixed("Enabled"),
        "alias.delete" => fixed("Deleted alias user"),
        "api_key.create" => fixed("Created API key"),
        "api_key.revoke" => fixed("Revoked API key"),
        "api_key.refused_address" => {
            fixed("API key refused: used from an address it is not allowed from")
        }
        "impersonation.start" => fixed("Started impersonating"),
        "impersonation.stop" => fixed("Stopped impersonating"),
        "role.create" => fixed("Created role"),
        "role.update" => fixed("Edited role"),
        "role.delete" => fixed("Deleted role"),
        "server.create" => fixed("Added server"),
        "server.update" => fixed("Edited server"),
        "server.delete" => fixed("Deleted server"),
        "server.owner" => fixed("Gave server to another account"),
        "server.rdns" => fixed("Set reverse DNS"),
        "server.reinstall" => fixed("Started reinstall"),
        "server.rename" => fixed("Renamed server"),
        "server.rescue" => fixed("Booted rescue system"),
        "server.rescue_exit" => fixed("Booted installed OS"),
        "ssh_key.add" => fixed("Added SSH key"),
        "ssh_key.delete" => fixed("Deleted SSH key"),
        other => (other.to_string(), permission_labels(details)),
    }
}

/// Replaces each permission key in `text` by its label ("servers.view" → "View
/// servers"); everything else is kept as written.
pub fn permission_labels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match catalog::find(word) {
            Some(p) => out.push_str(p.label),
            None => out.push_str(word),
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_lowercase() || ch == '_' || ch == '.' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    // "permissions=View servers,Power" reads better with a space after each comma.
    out.replace(",", ", ").replace(",  ", ", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_assignments_read_as_sentences() {
        assert_eq!(
            describe("alias.servers.assign", "2 servers: web04, web05").0,
            "Assigned 2 servers: web04, web05"
        );
        assert_eq!(describe("alias.servers.all", "").0, "Gave all servers");
        assert_eq!(describe("server.power", "off").0, "Powered off");
        assert_eq!(describe("something.new", "x").0, "something.new");
    }

    #[test]
    fn permission_keys_become_their_labels() {
        let view = catalog::find("servers.view").unwrap().label;
        let power = catalog::find("servers.power").unwrap().label;
        assert_eq!(
            permission_labels("permissions=servers.view,servers.power"),
            format!("permissions={view}, {power}")
        );
        assert_eq!(permission_labels("kind=user"), "kind=user");
        assert_eq!(permission_labels("web1.example.net"), "web1.example.net");
    }
}
