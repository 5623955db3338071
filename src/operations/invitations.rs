//! Invitations: a login created with `invite=yes` (an alias user or an account) gets no
//! password; a link mailed to it lets it choose one, once, within 72 hours. This module
//! sends the link (`send`, inside the creating transaction: the token, the invited mark
//! and the queued mail are one write with the login), resends it (a new token; the old
//! one stops working) or cancels it (the still-invited login is removed), and accepts it
//! (`accept`: the password set, the link used, the login no longer invited). Resend and
//! cancel follow the same rules as other changes to that login (`may_act` for an alias
//! user, `account_edit` for an account, and `access::changes` inside the transaction);
//! accepting needs no session: the link is the credential.

use super::aliases::{entry, may_act, remove_in, Target};
use super::OpError;
use crate::access::accounts::account_edit;
use crate::access::changes::{account_change, account_removal, alias_change, new_login};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError, DbPool};
use crate::domain::{FieldErrors, NewPassword};
use crate::mail::invitation::Invitation as InvitationMail;
use crate::mail::Links;
use crate::models::audit::NewAuditEntry;
use crate::models::invitation::{self, Invitation};
use crate::models::user::{NewUser, User};
use crate::models::{now, outbox};
use crate::security::password;

/// The 422 on `email` when inviting an address some login already has.
pub const EMAIL_TAKEN: &str = "This address already belongs to a login.";
pub const NO_PASSWORD_WHEN_INVITED: &str =
    "Leave the password empty when inviting by e-mail: the invited login chooses its own.";

/// The password of a new login, as typed: parsed, or (inviting) required to be empty.
pub fn new_password(
    errors: &mut FieldErrors,
    raw: &str,
    invite: bool,
) -> Option<Option<NewPassword>> {
    if invite {
        if raw.is_empty() {
            Some(None)
        } else {
            errors.add("password", NO_PASSWORD_WHEN_INVITED);
            None
        }
    } else {
        errors.check("password", NewPassword::parse(raw)).map(Some)
    }
}

/// Who is invited, as the mail names it.
pub struct Invitee<'a> {
    pub id: i32,
    pub username: &'a str,
    pub email: &'a str,
    /// The account it is a login of (its own username for an account).
    pub account: &'a str,
}

/// Marks the login invited with a new link and queues the mail that carries it. Call it
/// inside the transaction of the change (creation or resend).
pub fn send(c: &mut DbConn, links: &Links, actor: &Actor, who: &Invitee) -> Result<(), OpError> {
    let token = invitation::issue(c, who.id, Some(actor.login.id))?;
    let invited_by = match &actor.impersonator {
        Some(i) => format!("{} (acting as {})", i.username, actor.login.username),
        None => actor.login.username.clone(),
    };
    let mail = InvitationMail {
        recipient: who.email,
        username: who.username,
        account: who.account,
        invited_by: &invited_by,
        token: &token,
        links,
    }
    .render()
    .map_err(|e| OpError::Unexpected(anyhow::anyhow!("invitation mail: {e}")))?;
    outbox::enqueue(c, &mail)?;
    Ok(())
}

/// Writes a new login and asks that the actor covers it (`access::changes::new_login`).
/// Invited (`invite` names the account it is a login of), it also gets its link: the
/// login, its token and the queued mail are one write. Both creations, an account and an
/// alias user, write their logins through this, inside their transaction.
pub fn insert_login(
    c: &mut DbConn,
    links: &Links,
    actor: &Actor,
    login: NewUser,
    invite: Option<&str>,
) -> Result<i32, OpError> {
    let id = login.insert(c)?;
    new_login(c, actor, id)?;
    if let Some(account) = invite {
        let invitee = Invitee {
            id,
            username: login.username,
            email: login.email,
            account,
        };
        send(c, links, actor, &invitee)?;
    }
    Ok(id)
}

const NOT_INVITED: &str =
    "This login has already set its password: there is no invitation to resend or cancel.";

/// Refuses (409) a resend or a cancel once the login has set its password.
fn invited(login: &User) -> Result<(), OpError> {
    match login.invited_at {
        Some(_) => Ok(()),
        None => Err(OpError::Busy(NOT_INVITED.into())),
    }
}

/// Sends the still-invited login `id` a new link (the old one stops working). `account`
/// names the account it is a login of; `None` for an account itself.
fn send_again(
    c: &mut DbConn,
    links: &Links,
    actor: &Actor,
    id: i32,
    account: Option<&str>,
) -> Result<(), OpError> {
    let login = still_invited(c, id)?;
    let invitee = Invitee {
        id,
        username: &login.username,
        email: &login.email,
        account: account.unwrap_or(&login.username),
    };
    send(c, links, actor, &invitee)
}

/// The login as the database holds it now, if it is still invited (a resend and an accept
/// may race; the transaction reads again).
fn still_invited(c: &mut DbConn, id: i32) -> Result<User, OpError> {
    User::find(c, id)?
        .filter(|u| u.invited_at.is_some())
        .ok_or(OpError::Busy(NOT_INVITED.into()))
}

/// What every resend and cancel of an alias user's invitation asks first: the actor may
/// act on it (403) and it is still invited (409). Answers the audit row for `action`.
fn invited_alias(
    actor: &Actor,
    who: &NewAuditEntry,
    action: &str,
    t: &Target,
) -> Result<NewAuditEntry, OpError> {
    may_act(actor, t)?;
    invited(&t.alias)?;
    Ok(entry(who, action, t, format!("sent to {}", t.alias.email)))
}

/// A new link for the invited alias user `t`, inside the request's transaction: the old
/// one stops working (409 when it is no longer invited). The new token and its queued
/// mail are written with the audit row.
pub fn resend_alias_in(
    c: &mut DbConn,
    links: &Links,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
) -> Result<(), OpError> {
    let audit = invited_alias(actor, &who, "alias.invitation_resend", t)?;
    let aid = t.alias.id;
    alias_change(c, actor, aid, |c| {
        send_again(c, links, actor, aid, Some(&t.account.username))?;
        audit.insert(c)?;
        Ok::<_, OpError>(())
    })
}

/// Removes the still-invited alias user `t`, inside the request's transaction (409 when
/// it has set its password: delete it like any other instead).
pub fn cancel_alias_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    t: &Target,
) -> Result<(), OpError> {
    let audit = invited_alias(actor, &who, "alias.invitation_cancel", t)?;
    let aid = t.alias.id;
    remove_in(c, actor, aid, audit, move |c| {
        still_invited(c, aid).map(|_| ())
    })
}

/// What every resend and cancel of an account's invitation asks first: the actor manages
/// the account as one whose status it may change (admins, or the reseller of a customer)
/// and it is not the actor itself (403), and the account is still invited (409). Answers
/// the audit row for `action`.
fn invited_account(
    actor: &Actor,
    who: &NewAuditEntry,
    action: &str,
    account: &User,
) -> Result<NewAuditEntry, OpError> {
    if account.id == actor.login.id || !account_edit(actor, account).status {
        return Err(OpError::Forbidden(
            "This login may not manage this account.",
        ));
    }
    invited(account)?;
    let mut e = who.clone();
    e.action = action.to_string();
    Ok(e.target(format!("account {}", account.username))
        .details(format!("sent to {}", account.email)))
}

/// A new link for the invited account, inside the request's transaction (409 when it is
/// no longer invited). The entry goes to the actor's log and to the account's.
pub fn resend_account_in(
    c: &mut DbConn,
    links: &Links,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
) -> Result<(), OpError> {
    let audit = invited_account(actor, &who, "account.invitation_resend", account)?;
    let id = account.id;
    account_change(c, actor, id, false, |c| {
        send_again(c, links, actor, id, None)?;
        audit.insert(c)?;
        audit.for_account(id).insert(c)?;
        Ok::<_, OpError>(())
    })
}

/// Removes the still-invited account with its alias users and roles, inside the
/// request's transaction (409 when it has set its password, or already owns servers or
/// accounts).
pub fn cancel_account_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
) -> Result<(), OpError> {
    let audit = invited_account(actor, &who, "account.invitation_cancel", account)?;
    let id = account.id;
    account_removal(c, actor, id, |c| {
        still_invited(c, id)?;
        if User::owns_anything(c, id)? {
            return Err(OpError::Busy(
                "This account already owns servers or accounts: disable it instead.".into(),
            ));
        }
        User::delete_account(c, id)?;
        audit.insert(c)?;
        Ok::<_, OpError>(())
    })
}

/// What an invitation link leads to.
#[derive(Debug)]
pub enum Link {
    /// A link that works: the invited login's username.
    Open { username: String },
    /// The link's time is up (410).
    Expired,
    /// Unknown, used, replaced or its login gone (404).
    Unknown,
}

fn link_state(c: &mut DbConn, token: &str) -> Result<(Link, Option<(Invitation, User)>), DbError> {
    let Some(inv) = invitation::find_by_token(c, token)? else {
        return Ok((Link::Unknown, None));
    };
    let Some(user) = User::find(c, inv.user_id)? else {
        return Ok((Link::Unknown, None));
    };
    if inv.used_at.is_some() || user.invited_at.is_none() {
        return Ok((Link::Unknown, None));
    }
    if inv.is_expired(now()) {
        return Ok((Link::Expired, None));
    }
    let username = user.username.clone();
    Ok((Link::Open { username }, Some((inv, user))))
}

/// Where a link stands, read only (the page for an anonymous visitor writes nothing).
pub async fn look(pool: &DbPool, token: &str) -> Result<Link, OpError> {
    let token = token.to_string();
    Ok(db::run(pool, move |c| link_state(c, &token).map(|(l, _)| l)).await?)
}

/// Why an accept did not happen.
#[derive(Debug)]
pub enum NotAccepted {
    /// The link leads nowhere (404) or has expired (410).
    Link(Link),
    /// The password does not do (422 next to the field); the link still works.
    Invalid(FieldErrors),
    Op(OpError),
}

impl From<OpError> for NotAccepted {
    fn from(e: OpError) -> Self {
        NotAccepted::Op(e)
    }
}

/// Sets the invited login's password through its link: the link is marked used (once,
/// even when two requests race), the login is no longer invited, and `audit` (filled by
/// the door with the client's address) is written as the login's own `invitation.accept`.
/// Answers the username.
pub async fn accept(
    pool: &DbPool,
    token: &str,
    new_password: &str,
    mut audit: NewAuditEntry,
) -> Result<String, NotAccepted> {
    match look(pool, token).await? {
        Link::Open { .. } => {}
        other => return Err(NotAccepted::Link(other)),
    }
    let mut errors = FieldErrors::default();
    let Some(pass) = errors.check("password", NewPassword::parse(new_password)) else {
        return Err(NotAccepted::Invalid(errors));
    };
    let hash = password::off_thread(move || password::hash(pass.expose()))
        .await
        .and_then(|h| h)
        .map_err(OpError::from)?;
    let token = token.to_string();
    let done = db::run(pool, move |c| {
        db::transaction(c, |c| {
            let (link, found) = link_state(c, &token)?;
            let Some((inv, user)) = found else {
                return Ok::<_, OpError>(Err(link));
            };
            if !invitation::mark_used(c, inv.id)? {
                return Ok(Err(Link::Unknown));
            }
            invitation::accepted(c, user.id, &hash)?;
            audit.account_id = Some(user.parent_id.unwrap_or(user.id));
            audit.actor_id = Some(user.id);
            audit.actor_name = user.username.clone();
            audit.action = "invitation.accept".into();
            audit.target = if user.is_alias() {
                format!("alias user {}", user.username)
            } else {
                format!("account {}", user.username)
            };
            audit.details = "password set through the invitation link".into();
            audit.insert(c)?;
            Ok(Ok(user.username))
        })
    })
    .await?;
    done.map_err(NotAccepted::Link)
}
