//! POST /users: add an account. Admins create any kind under a chosen owner (customers
//! under an admin or reseller, resellers under an admin); resellers create customers
//! owned by themselves. Invalid input shows the dialog again (422) with the input kept.
//! With `invite=yes` the account gets no password but an invitation mailed to its address
//! (`operations::invitations::send`, in the creating transaction); an address that already
//! belongs to a login is refused. The password is hashed first; then the session, the
//! checks and the write are one hand-off and one transaction (`Visit::change`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::list;
use crate::access::accounts::{account_creation, may_create, NoCreation};
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::{DisplayName, Email, Username};
use crate::models::now;
use crate::models::user::{Kind, NewUser, User};
use crate::operations::invitations::{self, new_password, EMAIL_TAKEN};
use crate::security::password;
use crate::web::current::audit_entry;
use crate::web::error::CreateError;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::{render, AppError, Visit};

#[derive(Debug, Default, Deserialize)]
pub struct AddAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub owner_id: String,
    /// `yes`: invite by e-mail instead of setting a password.
    #[serde(default)]
    pub invite: String,
}

impl AddAccountForm {
    /// The form as shown again: never echo the password.
    fn without_password(mut self) -> Self {
        self.password.clear();
        self
    }
}

/// What the POST did: created the account (its id and username), or refused the input
/// (422) with the list's rows read in the same transaction, or with the list still to read
/// (see `Raced`).
enum Outcome {
    Created(i32, String),
    Invalid(Box<list::Found>, FieldErrors),
    /// The insert itself refused (a username taken meanwhile, PostgreSQL's unique index):
    /// the failed insert leaves the transaction unusable, so the list is read after it, in
    /// a hand-off of its own. Nothing of the request was written.
    Raced(FieldErrors),
}

pub async fn submit(
    visit: Visit,
    form: web::Form<AddAccountForm>,
) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let form = form.into_inner();
    let mut errors = FieldErrors::default();

    // What the form says on its own, before the session is read (the 403 for a login
    // that may create nothing still comes first: nothing is reported before it).
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let invite = matches!(form.invite.as_str(), "yes" | "on" | "true" | "1");
    let pass = new_password(&mut errors, &form.password, invite);
    let name_raw = if form.name.trim().is_empty() {
        form.username.trim()
    } else {
        form.name.as_str()
    };
    let name = errors.check("name", DisplayName::parse(name_raw));
    let kind = match form.kind.trim() {
        "" => Some(Kind::User),
        k => errors.check(
            "kind",
            Kind::parse(k)
                .filter(|k| *k != Kind::Alias)
                .ok_or_else(|| "Choose admin, reseller or customer.".to_string()),
        ),
    };
    let owner_id: Option<i32> = match form.owner_id.trim() {
        "" => None,
        raw => errors.check(
            "owner_id",
            raw.parse::<i32>()
                .map_err(|_| "Choose an owner from the list.".to_string()),
        ),
    };

    // A separate step on purpose, before the one transaction: Argon2 goes through the
    // hashing gate and must not hold a transaction (or SQLite's one writer) open. The
    // hash is only written if every check inside passes.
    let (pass, hash) = match pass {
        Some(Some(pass)) => (
            Some(()),
            password::off_thread(move || password::hash(pass.expose())).await??,
        ),
        Some(None) => (Some(()), password::UNUSABLE.to_string()),
        None => (None, password::UNUSABLE.to_string()),
    };
    let client = visit.client();
    let links = state.links.clone();
    let (current, outcome) = visit
        .change(move |c, actor| {
            let creation = account_creation(actor).ok_or(AppError::Forbidden)?;
            // Who would own the new account: a reseller always owns what it creates.
            let owner_id = match creation {
                crate::access::accounts::AccountCreation::CustomersOf(me) => Some(me),
                crate::access::accounts::AccountCreation::Any => match kind {
                    Some(Kind::Admin) => None,
                    _ => owner_id.or(Some(actor.account_id())),
                },
            };
            let owner = match owner_id {
                Some(id) => User::find(c, id)?,
                None => None,
            };
            if owner_id.is_some() && owner.is_none() {
                errors.add("owner_id", "Choose an owner from the list.");
            }
            if let Some(e) = email.as_ref().filter(|_| invite) {
                if User::email_taken(c, e.as_str())? {
                    errors.add("email", EMAIL_TAKEN);
                }
            }

            // Nobody creates a login with rights beyond their own, whatever the owner.
            if let Some(kind) = kind {
                match may_create(creation, actor, kind, owner.as_ref()) {
                    Ok(()) => {}
                    Err(NoCreation::Forbidden) => return Err(AppError::Forbidden),
                    Err(NoCreation::OwnerDoesNotFit) if errors.get("owner_id").is_none() => {
                        errors.add("owner_id", "This owner cannot own an account of that kind (customers belong to an admin or reseller, resellers to an admin).");
                    }
                    Err(NoCreation::OwnerDoesNotFit) => {}
                }
            }

            let (Some(username), Some(email), Some(()), Some(name), Some(kind), true) =
                (username, email, pass, name, kind, errors.is_empty())
            else {
                return invalid_in(c, actor, errors);
            };
            // Checked before anything is written, so the list can still be read here.
            if User::username_taken(c, &username.key())? {
                errors.add("username", "This username is taken.");
                return invalid_in(c, actor, errors);
            }
            if invite && User::email_taken(c, email.as_str())? {
                errors.add("email", EMAIL_TAKEN);
                return invalid_in(c, actor, errors);
            }
            let audit = audit_entry(actor, &client, actor.account_id(), "account.create");
            let written = (|| {
                let login = NewUser {
                    kind: kind.as_str(),
                    username: username.as_str(),
                    username_key: &username.key(),
                    name: name.as_str(),
                    email: email.as_str(),
                    password_hash: &hash,
                    owner_id,
                    created_at: now(),
                    ..NewUser::default()
                };
                let invited = invite.then_some(username.as_str());
                let id = invitations::insert_login(c, &links, actor, login, invited)?;
                let entry = audit
                    .target(format!("account {}", username.as_str()))
                    .details(format!(
                        "kind={}{}",
                        kind.as_str(),
                        if invite { ", invited by e-mail" } else { "" }
                    ));
                entry.insert(c)?;
                entry.for_account(id).insert(c)?;
                Ok::<_, CreateError>(id)
            })();
            match written {
                Ok(id) => Ok(Outcome::Created(id, username.as_str().to_string())),
                Err(CreateError::Taken) => {
                    errors.add("username", "This username is taken.");
                    Ok(Outcome::Raced(errors))
                }
                Err(CreateError::App(e)) => Err(e),
            }
        })
        .await?;
    match outcome {
        Outcome::Created(id, username) => {
            current.flash(
                "success",
                if invite {
                    format!("Account {username} invited: a link to choose its password is on its way to {}. It works once, within 72 hours.", form.email.trim())
                } else {
                    format!("Account {username} created.")
                },
            );
            Ok(render::see_other(&format!("/users/{id}")))
        }
        Outcome::Invalid(found, errors) => {
            let query = ListQuery::default();
            let page = list::assemble(&current, &query, *found, form.without_password(), errors);
            render::invalid(&page)
        }
        Outcome::Raced(errors) => {
            let page = list::build(
                &current,
                state,
                &ListQuery::default(),
                form.without_password(),
                errors,
            )
            .await?;
            render::invalid(&page)
        }
    }
}

/// The 422 with the list's rows, read in the transaction that refused the input (nothing
/// was written).
fn invalid_in(c: &mut DbConn, actor: &Actor, errors: FieldErrors) -> Result<Outcome, AppError> {
    let query = ListQuery::default();
    let found = list::read(c, actor, &query.q, query.page())?;
    Ok(Outcome::Invalid(Box::new(found), errors))
}
