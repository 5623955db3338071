//! POST /users/{id}/alias-users/{aid}/offboard (confirm=yes): a contractor leaves. In one
//! transaction, under the same rule as every change to a login (`alias_change`): the login
//! is disabled, its sessions end, its API keys are revoked and its SSH keys removed. Keys
//! already put on servers stay there, so the answer lists the servers where reinstall or
//! rescue jobs installed them (found by fingerprint in the job records), the ones outside
//! the actor's reach only as a count. The account owner is told by mail (with the count
//! of those servers), in the same transaction.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{alias_url, confirmed_on_alias, Target};
use crate::access::changes::alias_change;
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::{alias, api_key, now, server_job, session, ssh_key};
use crate::operations::notices::{self, By, OffboardCounts};
use crate::web::client::ClientInfo;
use crate::web::confirm::Ask;
use crate::web::current::audit_entry;
use crate::web::session::OFFBOARDED;
use crate::web::{render, AppError, Visit};

/// How many hostnames the answer carries (in the session, to the page after the redirect);
/// the rest are counted.
const HOSTNAMES_SHOWN: usize = 200;

/// What an offboarding did, shown once on the alias user's page after the redirect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Offboarded {
    pub alias_id: i32,
    pub sessions: usize,
    pub api_keys: usize,
    pub ssh_keys: usize,
    /// Servers within the actor's reach where its SSH keys were installed.
    pub hostnames: Vec<String>,
    /// Those beyond `hostnames`: past the cap, or outside the actor's reach.
    pub more: i64,
}

/// What the offboard POST asks first.
fn offboard_question(t: &Target) -> Ask {
    Ask {
        title: format!("Offboard the alias user {}?", t.alias.username),
        message: format!(
            "{} is disabled and logged out at once, its API keys are revoked and its SSH keys removed from the panel. Keys already installed on servers stay there: the next page lists those servers.",
            t.alias.username
        ),
        action: format!("{}/offboard", alias_url(t.account.id, t.alias.id)),
        button: "Offboard".into(),
        back: alias_url(t.account.id, t.alias.id),
        ..Ask::default()
    }
}

/// POST .../{aid}/offboard (confirm=yes). The session, the target and the change are one
/// hand-off and one transaction (`Visit::change`); what it did is then kept in the
/// session for the page after the redirect, which the session's save writes after the
/// response, as before.
pub async fn offboard(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, outcome) =
        confirmed_on_alias(&visit, body, offboard_question, move |c, actor, t| {
            let done = offboard_in(c, actor, &client, &t)?;
            Ok((t, done))
        })
        .await?;
    let (t, result) = match outcome {
        Err(asking) => return asking.page(&current, "users"),
        Ok(done) => done,
    };
    let _ = current.session.insert(OFFBOARDED, &result);
    current.flash(
        "success",
        format!(
            "{} offboarded: disabled, {} session(s) ended, {} API key(s) revoked, {} SSH key(s) removed.",
            t.alias.username, result.sessions, result.api_keys, result.ssh_keys
        ),
    );
    Ok(render::see_other(&alias_url(t.account.id, t.alias.id)))
}

/// The offboarding itself, in the caller's transaction.
fn offboard_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    t: &Target,
) -> Result<Offboarded, AppError> {
    let (account_id, aid) = (t.account.id, t.alias.id);
    let audit = audit_entry(actor, client, account_id, "alias.offboard")
        .target(format!("alias user {}", t.alias.username));
    let by = By::actor(actor, &audit);
    let alias_login = &t.alias;
    let reach = &actor.reach;
    alias_change(c, actor, aid, |c| {
        let keys = ssh_key::list_for(c, aid)?;
        let fingerprints: Vec<String> = keys.iter().map(|k| k.fingerprint.clone()).collect();
        let (hostnames, outside) = server_job::servers_with_keys(c, &fingerprints, reach)?;
        alias::set_disabled(c, aid, true)?;
        let sessions = session::end_all_of(c, aid, None)?;
        let api_keys = api_key::revoke_all_of(c, aid, now())?;
        let ssh_keys = ssh_key::delete_all_of(c, aid)?;
        let mut audit = audit;
        audit.details = format!(
            "disabled; sessions ended: {sessions}; API keys revoked: {api_keys}; SSH keys removed: {ssh_keys} ({}); installed on: {}{}",
            if fingerprints.is_empty() { "none".into() } else { fingerprints.join(", ") },
            if hostnames.is_empty() { "no server in reach".into() } else { hostnames.join(", ") },
            if outside > 0 { format!(" and {outside} outside the actor's reach") } else { String::new() },
        );
        audit.insert(c)?;
        let done = OffboardCounts {
            sessions,
            api_keys,
            ssh_keys,
            servers_with_keys: hostnames.len() as i64 + outside,
        };
        notices::offboarded(c, &by, alias_login, done)?;
        let shown = hostnames.len().min(HOSTNAMES_SHOWN);
        let more = outside + (hostnames.len() - shown) as i64;
        Ok(Offboarded {
            alias_id: aid,
            sessions,
            api_keys,
            ssh_keys,
            hostnames: hostnames.into_iter().take(shown).collect(),
            more,
        })
    })
}
