//! Whether the account owner is told, and the telling: each trigger site calls
//! one function here inside the transaction of its change, and the notice is queued in
//! that transaction (`models::outbox::enqueue`), so a change that rolls back tells nobody
//! and one that stands is never left untold. The owner is the account: the parent of an
//! alias user, or the account login itself. Nothing is queued when the account turned
//! notices off (`users.notify_owner`) or has no e-mail address.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::access::roles::worth_telling;
use crate::access::{Actor, PermissionSet};
use crate::db::DbConn;
use crate::mail::notice::{FactorsRemoved, Granted, NewAddress, Offboarded, RiskyGrant};
use crate::models::audit::NewAuditEntry;
use crate::models::outbox::{enqueue, NewMail};
use crate::models::user::{self, Kind, User};
use crate::models::{login_attempt, now};

/// Who did it, when and from where, as a notice says it.
#[derive(Debug, Clone)]
pub struct By {
    /// "admin alice", "customer acme, acting as dev", "the console (steward reset-2fa)".
    pub actor: String,
    pub at: NaiveDateTime,
    pub address: String,
}

impl By {
    /// The acting login of a request, with the impersonator behind it, and the time and
    /// address its audit row records.
    pub fn actor(actor: &Actor, audit: &NewAuditEntry) -> By {
        let named = |u: &User| format!("{} {}", kind_word(u.kind()), u.username);
        let mut phrase = match &actor.impersonator {
            Some(real) => format!("{}, acting as {}", named(real), actor.login.username),
            None => named(&actor.login),
        };
        if audit.via_api {
            phrase.push_str(" (through an API key)");
        }
        By {
            actor: phrase,
            at: audit.created_at,
            address: audit.ip.clone(),
        }
    }

    /// Someone at the server's console (the CLI), where there is no login nor address.
    pub fn console(command: &str) -> By {
        By {
            actor: format!("an operator at the server's console ({command})"),
            at: now(),
            address: String::new(),
        }
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Admin => "admin",
        Kind::Reseller => "reseller",
        Kind::User => "customer",
        Kind::Alias => "alias user",
    }
}

fn when(at: NaiveDateTime) -> String {
    format!("{} UTC", at.format("%Y-%m-%d %H:%M:%S"))
}

/// Queues the rendered mail. A template that fails to render is a bug of ours: logged,
/// and the change goes on without its notice rather than being refused.
fn queue(c: &mut DbConn, kind: &str, mail: Result<NewMail, askama::Error>) -> QueryResult<()> {
    match mail {
        Ok(m) => enqueue(c, &m).map(|_| ()),
        Err(e) => {
            log::error!("the {kind} notice could not be rendered: {e}");
            Ok(())
        }
    }
}

/// Risky or admin permissions among `gained` now reach `logins` of the account: tells
/// the owner once, naming the permissions and the logins. Nothing when none of the gained
/// permissions is risky or admin, or no login holds them.
pub fn risky_grant(
    c: &mut DbConn,
    by: &By,
    account_id: i32,
    how: String,
    logins: Vec<String>,
    gained: PermissionSet,
) -> QueryResult<()> {
    let told = worth_telling(gained);
    if told.is_empty() || logins.is_empty() {
        return Ok(());
    }
    let Some((account, email)) = user::notice_recipient(c, account_id)? else {
        return Ok(());
    };
    let n = RiskyGrant {
        account,
        actor: by.actor.clone(),
        how,
        logins,
        permissions: told
            .iter()
            .map(|p| Granted {
                key: p.key,
                label: p.label,
                risk: crate::access::roles::risk_of(p).unwrap_or(""),
            })
            .collect(),
        when: when(by.at),
        address: by.address.clone(),
    };
    queue(c, "risky_grant", n.mail(&email))
}

/// What a notice says a reset (by a manager or at the console) did.
pub const FACTORS_RESET: &str =
    "every second factor was reset: its authenticator app, passkeys and recovery codes were removed";

/// Second factors of `login` were removed (`what`: how), by someone or by the login
/// itself: tells the owner of its account.
pub fn factors_removed(c: &mut DbConn, by: &By, login: &User, what: &str) -> QueryResult<()> {
    let account_id = login.parent_id.unwrap_or(login.id);
    let Some((account, email)) = user::notice_recipient(c, account_id)? else {
        return Ok(());
    };
    let n = FactorsRemoved {
        account,
        actor: by.actor.clone(),
        login: login.username.clone(),
        what: what.to_string(),
        when: when(by.at),
        address: by.address.clone(),
    };
    queue(c, "two_factor_removed", n.mail(&email))
}

/// `login` got past its password from `ip`: tells the owner when the login had got that
/// far before, but never from this address. Call it before the attempt is recorded (the
/// first sign-in ever tells nobody, and the next one from the same address neither).
pub fn signed_in(c: &mut DbConn, login: &User, ip: &str, user_agent: &str) -> QueryResult<()> {
    let (before, known) = login_attempt::known_addresses(c, login.id, &login.username_key, ip)?;
    if !before || known {
        return Ok(());
    }
    let account_id = login.parent_id.unwrap_or(login.id);
    let Some((account, email)) = user::notice_recipient(c, account_id)? else {
        return Ok(());
    };
    let n = NewAddress {
        account,
        login: login.username.clone(),
        when: when(now()),
        address: ip.to_string(),
        user_agent: user_agent.chars().take(200).collect(),
    };
    queue(c, "new_address", n.mail(&email))
}

/// What an offboarding did to an alias user, for its owner's notice.
#[derive(Debug, Clone, Copy, Default)]
pub struct OffboardCounts {
    pub sessions: usize,
    pub api_keys: usize,
    pub ssh_keys: usize,
    /// Servers where its SSH keys were installed, whoever's reach they are in.
    pub servers_with_keys: i64,
}

/// The alias user `login` was offboarded: tells the owner of its account what was done
/// and how many servers still carry its SSH keys.
pub fn offboarded(c: &mut DbConn, by: &By, login: &User, done: OffboardCounts) -> QueryResult<()> {
    let account_id = login.parent_id.unwrap_or(login.id);
    let Some((account, email)) = user::notice_recipient(c, account_id)? else {
        return Ok(());
    };
    let n = Offboarded {
        account,
        actor: by.actor.clone(),
        login: login.username.clone(),
        sessions: done.sessions,
        api_keys: done.api_keys,
        ssh_keys: done.ssh_keys,
        servers_with_keys: done.servers_with_keys,
        when: when(by.at),
        address: by.address.clone(),
    };
    queue(c, "offboarded", n.mail(&email))
}
