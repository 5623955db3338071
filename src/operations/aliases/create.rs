//! Creating an alias user (POST /users/{id}/alias-users and POST /api/v1/alias-users):
//! every problem of the input reported at once, the role and "all servers" only within
//! the actor's own rights, the login and its audit row in one transaction. With `invite`
//! the login gets no password but an invitation (`operations::invitations::send`): the
//! link and its queued mail are written in the same transaction, and an address that
//! already belongs to a login is refused. A door that reads in one hand-off calls the
//! parts itself: `check_create_in` (the checks and their reads), the password hashed
//! outside any transaction (`Checked::password_hash`), then `create_in` (the write).

use super::OpError;
use crate::access::aliases::{
    may_grant_role, may_manage_aliases, reaches_all_of_account, role_rights,
};
use crate::access::Actor;
use crate::db::{self, DbConn, DbError};
use crate::domain::{Email, Expiry, FieldErrors, NewPassword, Username};
use crate::mail::Links;
use crate::models::audit::NewAuditEntry;
use crate::models::now;
use crate::models::role::{self, Role};
use crate::models::user::{NewUser, User};
use crate::operations::invitations::{self, new_password, EMAIL_TAKEN};
use crate::operations::notices::{self, By};
use crate::security::password;

/// What a door read for a new alias user, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewAlias {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role_id: String,
    pub all_servers: bool,
    pub expires_at: String,
    /// Invite by e-mail instead of setting a password (the password must be empty).
    pub invite: bool,
}

/// The alias user that was created.
#[derive(Debug, Clone)]
pub struct CreatedAlias {
    pub id: i32,
    pub username: String,
    /// An invitation was queued for it.
    pub invited: bool,
}

const TAKEN: &str = "This username is taken.";

/// A new alias user that passed every check, for `create_in` to write once its password
/// is hashed (outside any transaction: Argon2 takes a while).
pub struct Checked {
    username: Username,
    email: Email,
    /// The password to hash; None for an invitation.
    pass: Option<NewPassword>,
    expires: Option<chrono::NaiveDate>,
    role: Role,
    keys: Vec<String>,
    all_servers: bool,
    invite: bool,
    errors: FieldErrors,
}

impl Checked {
    /// The stored form of its password: an Argon2 hash, or unusable for an invitation.
    pub async fn password_hash(&mut self) -> Result<String, OpError> {
        stored_form(self.pass.take()).await
    }
}

/// The stored form of the password as typed, for a door that hashes before its one
/// transaction (Argon2 must not hold it open): an Argon2 hash when the password would
/// pass the checks, otherwise unusable. `check_create_in` refuses such an input, so an
/// unusable form is only ever written for an invitation.
pub async fn password_hash_of(input: &NewAlias) -> Result<String, OpError> {
    let pass = if input.invite {
        None
    } else {
        NewPassword::parse(&input.password).ok()
    };
    stored_form(pass).await
}

/// An Argon2 hash through the hashing gate, or unusable without a password.
async fn stored_form(pass: Option<NewPassword>) -> Result<String, OpError> {
    Ok(match pass {
        Some(pass) => password::off_thread(move || password::hash(pass.expose())).await??,
        None => password::UNUSABLE.to_string(),
    })
}

/// The checks of `create_in` and the reads they need, on a connection the caller holds.
pub fn check_create_in(
    c: &mut DbConn,
    actor: &Actor,
    account: &User,
    input: NewAlias,
) -> Result<Checked, OpError> {
    if !may_manage_aliases(actor, account) {
        return Err(OpError::Forbidden("This login may not manage alias users."));
    }
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&input.username));
    let email = errors.check("email", Email::parse(&input.email));
    let invite = input.invite;
    let pass = new_password(&mut errors, &input.password, invite);
    let expires = errors
        .check("expires_at", Expiry::parse(&input.expires_at, now().date()))
        .map(Expiry::date);
    let role_id: Option<i32> = input.role_id.trim().parse().ok();
    let account_id = account.id;
    let role = match role_id {
        Some(rid) => match Role::find_in_account(c, account_id, rid)? {
            Some(r) => {
                let keys = role::permissions_of(c, r.id)?;
                Some((r, keys))
            }
            None => None,
        },
        None => None,
    };
    let taken = match &username {
        Some(u) => User::username_taken(c, &u.key())?,
        None => false,
    };
    let email_taken = match email.as_ref().filter(|_| invite) {
        Some(e) => User::email_taken(c, e.as_str())?,
        None => false,
    };
    if taken {
        errors.add("username", TAKEN);
    }
    if email_taken {
        errors.add("email", EMAIL_TAKEN);
    }
    let Some((role, keys)) = role else {
        errors.add(
            "role_id",
            "Choose one of this account's roles (create one on the Roles tab first).",
        );
        return Err(OpError::Invalid(errors));
    };
    if !may_grant_role(actor, account, &keys) {
        return Err(OpError::Forbidden(
            "This login may not grant a role with rights it does not hold itself.",
        ));
    }
    if input.all_servers && !reaches_all_of_account(actor) {
        return Err(OpError::Forbidden(
            "This login may not grant all servers without reaching them itself.",
        ));
    }
    let (Some(username), Some(email), Some(pass), Some(expires), true) =
        (username, email, pass, expires, errors.is_empty())
    else {
        return Err(OpError::Invalid(errors));
    };
    Ok(Checked {
        username,
        email,
        pass,
        expires,
        role,
        keys,
        all_servers: input.all_servers,
        invite,
        errors,
    })
}

/// Creates an alias user of `account` with one of its roles. Every problem of the input is
/// reported in one round (a taken username with the others); a role or "all servers" the
/// actor does not hold itself is refused (403) — a form never offers it, so such a request
/// was crafted. The audit row `alias.create` (from `who`) is written with the login, and a
/// role with a risky or admin permission tells the account owner.
///
/// Writes what `check_create_in` passed, with `hash` as its password, inside a transaction the
/// caller holds. A username taken meanwhile is the same 422 as one taken before.
pub fn create_in(
    c: &mut DbConn,
    actor: &Actor,
    who: NewAuditEntry,
    account: &User,
    links: &Links,
    checked: Checked,
    hash: String,
) -> Result<CreatedAlias, OpError> {
    let Checked {
        username,
        email,
        expires,
        role,
        keys,
        all_servers,
        invite,
        errors,
        ..
    } = checked;
    let by = By::actor(actor, &who);
    let audit = who
        .target(format!("alias user {}", username.as_str()))
        .details(format!(
            "role={}, all_servers={all_servers}{}{}",
            role.name,
            expires
                .map(|d| format!(", expires={d}"))
                .unwrap_or_default(),
            if invite { ", invited by e-mail" } else { "" }
        ));
    let how = format!("it was created with the role {}", role.name);
    let gained = role_rights(&keys, account);
    let account_id = account.id;
    let mut errors_in = errors.clone();
    let created = (|| {
        if User::username_taken(c, &username.key())? {
            return Ok(None);
        }
        if invite && User::email_taken(c, email.as_str())? {
            errors_in.add("email", EMAIL_TAKEN);
            return Err(OpError::Invalid(errors_in));
        }
        let login = NewUser {
            kind: "alias",
            username: username.as_str(),
            username_key: &username.key(),
            name: username.as_str(),
            email: email.as_str(),
            password_hash: &hash,
            parent_id: Some(account_id),
            role_id: Some(role.id),
            all_servers,
            expires_on: expires,
            created_at: now(),
            ..NewUser::default()
        };
        let invited = invite.then_some(account.username.as_str());
        let id = invitations::insert_login(c, links, actor, login, invited)?;
        audit.insert(c)?;
        let login = username.as_str().to_string();
        notices::risky_grant(c, &by, account_id, how, vec![login], gained)?;
        Ok::<_, OpError>(Some(CreatedAlias {
            id,
            username: username.as_str().to_string(),
            invited: invite,
        }))
    })();
    match created {
        Ok(Some(created)) => Ok(created),
        // Taken between the check and the insert (a race, or the unique index said so).
        Ok(None) => Err(taken_only(errors)),
        Err(OpError::Db(DbError::Query(e))) if db::is_unique_violation(&e) => {
            Err(taken_only(errors))
        }
        Err(e) => Err(e),
    }
}

fn taken_only(mut errors: FieldErrors) -> OpError {
    errors.add("username", TAKEN);
    OpError::Invalid(errors)
}
