//! POST /users/{id}/alias-users: create an alias user (username, email, password, role_id,
//! all_servers=on, expires_at, invite=yes) through `operations::aliases` (`check_create_in`
//! and `create_in`), the same operation as `POST /api/v1/alias-users`: this door reads the
//! form and shows the tab again with the problems next to their fields, or redirects to it
//! with a message. The password is hashed first; then the session, the account, the
//! checks and the write (with an invitation's queued mail) are one hand-off and one
//! transaction (`Visit::change`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::tab::{self, CreateForm};
use super::tab_url;
use crate::models::user::User;
use crate::operations::aliases::{self, CreatedAlias, NewAlias};
use crate::operations::OpError;
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::{render, AppError, Visit};

#[derive(Debug, Default, Deserialize)]
pub struct CreateAliasForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    all_servers: Option<String>,
    #[serde(default)]
    expires_at: String,
    /// `yes`: invite by e-mail instead of setting a password.
    #[serde(default)]
    invite: Option<String>,
}

/// What the POST did: created the alias user, or refused the input (422) with the tab's
/// rows read in the same transaction, or with the tab still to read (see `Raced`).
enum Outcome {
    Created(i32, CreatedAlias),
    Invalid(User, Box<tab::Found>, FieldErrors),
    /// The write itself refused (a username or address taken meanwhile): on PostgreSQL a
    /// failed insert leaves the transaction unusable, so the tab is read after it, in a
    /// hand-off of its own. Nothing of the request was written.
    Raced(User, FieldErrors),
}

pub async fn submit(
    visit: Visit,
    form: web::Form<CreateAliasForm>,
) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let form = form.into_inner();
    let all_servers = matches!(
        form.all_servers.as_deref(),
        Some("on" | "yes" | "true" | "1")
    );
    let invite = matches!(form.invite.as_deref(), Some("yes" | "on" | "true" | "1"));
    let input = NewAlias {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password,
        role_id: form.role_id.clone(),
        all_servers,
        expires_at: form.expires_at.clone(),
        invite,
    };
    // A separate step on purpose, before the one transaction: Argon2 goes through the
    // hashing gate and must not hold a transaction (or SQLite's one writer) open. The
    // hash is only written if every check inside passes.
    let hash = aliases::password_hash_of(&input).await?;
    let client = visit.client();
    let links = state.links.clone();
    let (current, outcome) = visit
        .change_account(move |c, actor, account| {
            let checked = match aliases::check_create_in(c, actor, &account, input) {
                Ok(checked) => checked,
                Err(OpError::Invalid(errors)) => {
                    let query = ListQuery::default();
                    let found = tab::read(c, actor, &account, &query.q, query.page())?;
                    return Ok(Outcome::Invalid(account, Box::new(found), errors));
                }
                Err(e) => return Err(e.into()),
            };
            let who = audit_entry(actor, &client, account.id, "alias.create");
            match aliases::create_in(c, actor, who, &account, &links, checked, hash) {
                Ok(created) => Ok(Outcome::Created(account.id, created)),
                Err(OpError::Invalid(errors)) => Ok(Outcome::Raced(account, errors)),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let kept = CreateForm {
        username: form.username,
        email: form.email.clone(),
        role_id: form.role_id,
        all_servers,
        expires_at: form.expires_at,
        invite,
    };
    match outcome {
        Outcome::Created(account_id, created) => {
            current.flash(
                "success",
                if created.invited {
                    format!(
                        "Alias user {} invited: a link to choose its password is on its way to {}. It works once, within 72 hours.",
                        created.username, form.email.trim()
                    )
                } else {
                    format!(
                        "Alias user {} created. Assign servers to it, then impersonate it to check its access.",
                        created.username
                    )
                },
            );
            Ok(render::see_other(&tab_url(account_id)))
        }
        Outcome::Invalid(account, found, errors) => {
            let query = ListQuery::default();
            render::invalid(&tab::assemble(
                &current, account, &query, *found, kept, errors,
            ))
        }
        Outcome::Raced(account, errors) => {
            let query = ListQuery::default();
            let page = tab::build(&current, state, account, &query, kept, errors).await?;
            render::invalid(&page)
        }
    }
}
