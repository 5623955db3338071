//! GET /users/{id}: the account detail page with its Account Details tab.

use actix_web::HttpResponse;
use askama::Template;

use super::tabs::AccountTab;
use crate::access::accounts::{account_edit, AccountEdit};
use crate::access::keys::Holder;
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::models::user::User;
use crate::routes::sessions::{managed_in, ManagedSessions};
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};
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

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let (current, (account, found)) = visit
        .read_account(move |c, actor, account| {
            let found = read(c, actor, &account)?;
            Ok((account, found))
        })
        .await?;
    let page = assemble(
        &current,
        account,
        found,
        FieldErrors::default(),
        FieldErrors::default(),
    );
    render::page(&page)
}

/// Builds the page from the saved account for a request whose `Current` is in hand: the
/// edit handler shows the forms again with their errors and overrides the values.
pub async fn build(
    current: &Current,
    state: &AppState,
    account: User,
    errors: FieldErrors,
    password_errors: FieldErrors,
) -> Result<DetailPage, AppError> {
    let actor = current.actor.clone();
    let (account, found) = db::run(&state.pool, move |c| {
        db::read_snapshot(c, |c| {
            let found = read(c, &actor, &account)?;
            Ok::<_, AppError>((account, found))
        })
    })
    .await?;
    Ok(assemble(current, account, found, errors, password_errors))
}

/// What the page shows besides the account itself.
pub(super) struct Found {
    owner: Option<User>,
    owners: Vec<User>,
    two_factor: bool,
    managed_sessions: Option<ManagedSessions>,
}

/// The account's owner, the owners the form offers (to a login that may move it), its
/// second factor, and its sessions for a manager who may end them.
pub(super) fn read(c: &mut DbConn, actor: &Actor, account: &User) -> Result<Found, AppError> {
    let owner = match account.owner_id {
        Some(o) => User::find(c, o)?,
        None => None,
    };
    let owners = if account_edit(actor, account).kind_and_owner {
        User::possible_owners(c)?
    } else {
        Vec::new()
    };
    let two_factor = crate::models::two_factor::has_factor(c, account.id)?;
    let managed_sessions = managed_in(
        c,
        actor,
        Holder::Account(account),
        account.id,
        &format!("/users/{}", account.id),
    )?;
    Ok(Found {
        owner,
        owners,
        two_factor,
        managed_sessions,
    })
}

pub(super) fn assemble(
    current: &Current,
    account: User,
    found: Found,
    errors: FieldErrors,
    password_errors: FieldErrors,
) -> DetailPage {
    let Found {
        owner,
        owners,
        two_factor,
        managed_sessions,
    } = found;
    DetailPage {
        is_self: current.actor.login.id == account.id,
        managed_sessions,
        edit: account_edit(&current.actor, &account),
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
    }
}
