//! POST /users/{id}/alias-users: create an alias user (username, email, password, role_id,
//! all_servers=on, expires_at, invite=yes) through `operations::aliases::create`, the same operation
//! as `POST /api/v1/alias-users`: this door reads the form and shows the tab again with the
//! problems next to their fields, or redirects to it with a message.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::tab::{self, CreateForm};
use super::tab_url;
use crate::models::user::User;
use crate::operations::aliases::{self, NewAlias};
use crate::operations::OpError;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::VisibleAccount;
use crate::web::{render, AppError, Current};
use crate::AppState;

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

pub async fn submit(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
    form: web::Form<CreateAliasForm>,
) -> Result<HttpResponse, AppError> {
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
    let who = current.audit(account.id, "alias.create");
    match aliases::create(
        &state.pool,
        &current.actor,
        who,
        &account,
        &state.links,
        input,
    )
    .await
    {
        Ok(created) => {
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
            Ok(render::see_other(&tab_url(account.id)))
        }
        Err(OpError::Invalid(errors)) => {
            let kept = CreateForm {
                username: form.username,
                email: form.email,
                role_id: form.role_id,
                all_servers,
                expires_at: form.expires_at,
                invite,
            };
            show_again(&current, &state, account, kept, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_again(
    current: &Current,
    state: &AppState,
    account: User,
    form: CreateForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = tab::build(current, state, account, &ListQuery::default(), form, errors).await?;
    render::invalid(&page)
}
