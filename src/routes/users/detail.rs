//! GET /users/{id}: the account detail page with its Account Details tab.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::tabs::AccountTab;
use crate::access::accounts::{account_edit, AccountEdit};
use crate::access::keys::Holder;
use crate::models::user::User;
use crate::routes::sessions::{managed, ManagedSessions};
use crate::web::form::FieldErrors;
use crate::web::VisibleAccount;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Template)]
#[template(path = "users/detail.html")]
pub struct DetailPage {
    pub frame: AccountTab,
    pub owner: Option<User>,
    pub edit: AccountEdit,
    pub owners: Vec<User>,
    /// The profile form's values (the saved ones, or the submitted ones on 422).
    pub name: String,
    pub email: String,
    pub kind: String,
    pub owner_id: String,
    pub disabled: bool,
    pub errors: FieldErrors,
    pub password_errors: FieldErrors,
    /// Whether the account holds a second factor, and whether the viewer may reset it.
    pub two_factor: bool,
    pub may_reset_two_factor: bool,
    /// Its sessions, for a manager who may end them.
    pub managed_sessions: Option<ManagedSessions>,
    /// The page is the viewer's own account.
    pub is_self: bool,
}

crate::account_tab_page!(DetailPage);

pub async fn page(
    VisibleAccount { current, account }: VisibleAccount,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = build(
        &current,
        &state,
        account,
        FieldErrors::default(),
        FieldErrors::default(),
    )
    .await?;
    render::page(&page)
}

/// Builds the page from the saved account; the edit handler overrides the form values.
pub async fn build(
    current: &Current,
    state: &AppState,
    account: User,
    errors: FieldErrors,
    password_errors: FieldErrors,
) -> Result<DetailPage, AppError> {
    let edit = account_edit(&current.actor, &account);
    let owner_id = account.owner_id;
    let wants_owners = edit.kind_and_owner;
    let account_id = account.id;
    let (owner, owners, two_factor) = state
        .db(move |c| {
            let owner = match owner_id {
                Some(o) => User::find(c, o)?,
                None => None,
            };
            let owners = if wants_owners {
                User::possible_owners(c)?
            } else {
                Vec::new()
            };
            let two_factor = crate::models::two_factor::has_factor(c, account_id)?;
            Ok((owner, owners, two_factor))
        })
        .await?;
    let is_self = current.actor.login.id == account.id;
    let managed_sessions = managed(
        state,
        &current.actor,
        Holder::Account(&account),
        account.id,
        &format!("/users/{}", account.id),
    )
    .await?;
    Ok(DetailPage {
        is_self,
        managed_sessions,
        edit,
        owners,
        name: account.name.clone(),
        email: account.email.clone(),
        kind: account.kind.clone(),
        owner_id: account.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        disabled: account.disabled,
        owner,
        two_factor,
        may_reset_two_factor: two_factor
            && !current.actor.is_impersonating()
            && crate::access::two_factor::may_reset_account(&current.actor, &account),
        frame: AccountTab::of_login(current, account, "details"),
        errors,
        password_errors,
    })
}
