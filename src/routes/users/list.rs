//! GET /users: Manage Users. Admins list every account, resellers their customers (with
//! each one's alias user count); search by name, username or e-mail; pages of 25.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::create::AddAccountForm;
use crate::access::accounts::{account_creation, account_list, AccountCreation, AccountList};
use crate::models::user::User;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current};
use crate::AppState;

pub const PER_PAGE: i64 = 25;

pub struct Row {
    pub impersonable: bool,
    pub user: User,
    pub owner_name: String,
    pub alias_count: i64,
    pub two_factor: bool,
}

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct ListPage {
    pub chrome: Option<Chrome>,
    pub rows: Vec<Row>,
    pub q: String,
    pub pager: Pager,
    pub can_create: bool,
    pub can_pick_owner: bool,
    pub owners: Vec<User>,
    pub form: AddAccountForm,
    pub errors: FieldErrors,
    pub open_dialog: bool,
}

pub async fn page(
    current: Current,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let list = build(
        &current,
        &state,
        &query,
        AddAccountForm::default(),
        FieldErrors::default(),
    )
    .await?;
    render::page(&list)
}

/// Builds the page; the create handler reuses it to show the add dialog with errors.
pub async fn build(
    current: &Current,
    state: &AppState,
    query: &ListQuery,
    form: AddAccountForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    let scope = account_list(&current.actor).ok_or(AppError::Forbidden)?;
    let creation = account_creation(&current.actor);
    let owner = match scope {
        AccountList::Everyone => None,
        AccountList::CustomersOf(id) => Some(id),
    };
    let (q, page_no) = (query.q.clone(), query.page());
    let pick_owner = creation == Some(AccountCreation::Any);
    let (page, owners_by_id, alias_counts, owners, factors) = state
        .db(move |c| {
            let page = User::list_accounts(c, owner, &q, page_no, PER_PAGE)?;
            let ids: Vec<i32> = page.rows.iter().map(|u| u.id).collect();
            let owner_ids: Vec<i32> = page.rows.iter().filter_map(|u| u.owner_id).collect();
            let owners_by_id: HashMap<i32, String> = User::find_many(c, &owner_ids)?
                .into_iter()
                .map(|u| (u.id, u.username))
                .collect();
            let counts: HashMap<i32, i64> = User::alias_counts(c, &ids)?.into_iter().collect();
            let owners = if pick_owner {
                User::possible_owners(c)?
            } else {
                Vec::new()
            };
            let factors = crate::models::two_factor::with_factor_among(c, &ids)?;
            Ok((page, owners_by_id, counts, owners, factors))
        })
        .await?;
    let pager = Pager::new("/users", &query.q, page.page, page.pages(), page.total);
    let rows = page
        .rows
        .into_iter()
        .map(|u| Row {
            impersonable: crate::access::impersonation::may_impersonate_account(
                &current.actor,
                &u,
                !u.disabled,
            )
            .is_ok(),
            owner_name: u
                .owner_id
                .and_then(|o| owners_by_id.get(&o).cloned())
                .unwrap_or_default(),
            alias_count: alias_counts.get(&u.id).copied().unwrap_or(0),
            two_factor: factors.contains(&u.id),
            user: u,
        })
        .collect();
    let open_dialog = !errors.is_empty() || query.add.is_some();
    Ok(ListPage {
        chrome: Some(current.chrome("users")),
        rows,
        q: query.q.clone(),
        pager,
        can_create: creation.is_some(),
        can_pick_owner: pick_owner,
        owners,
        form,
        errors,
        open_dialog,
    })
}
