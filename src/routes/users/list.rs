//! GET /users: Manage Users. Admins list every account, resellers their customers (with
//! each one's alias user count); search by name, username or e-mail; pages of 25.

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use askama::Template;

use super::create::AddAccountForm;
use crate::access::accounts::{account_creation, account_list, AccountCreation, AccountList};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::models::user::User;
use crate::models::Page;
use crate::web::chrome::Chrome;
use crate::web::form::FieldErrors;
use crate::web::pagination::{ListQuery, Pager};
use crate::web::{render, AppError, Current, Visit};
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

pub async fn page(visit: Visit, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let (q, page_no) = (query.q.clone(), query.page());
    let (current, found) = visit
        .read(move |c, actor| read(c, actor, &q, page_no))
        .await?;
    let list = assemble(
        &current,
        &query,
        found,
        AddAccountForm::default(),
        FieldErrors::default(),
    );
    render::page(&list)
}

/// Builds the page for a request whose `Current` is in hand: the create handler shows the
/// add dialog again with its errors. The same reads as a page view, in a hand-off of
/// their own.
pub async fn build(
    current: &Current,
    state: &AppState,
    query: &ListQuery,
    form: AddAccountForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    let actor = current.actor.clone();
    let (q, page_no) = (query.q.clone(), query.page());
    let found = db::run(&state.pool, move |c| {
        db::read_snapshot(c, |c| read(c, &actor, &q, page_no))
    })
    .await?;
    Ok(assemble(current, query, found, form, errors))
}

/// What the page shows, read for one page of the list.
pub(super) struct Found {
    page: Page<User>,
    owners_by_id: HashMap<i32, String>,
    alias_counts: HashMap<i32, i64>,
    owners: Vec<User>,
    factors: HashSet<i32>,
}

/// The accounts `actor` may list (403 when it may list none), with what each row shows,
/// and the owners the add dialog offers to a login that may pick one.
pub(super) fn read(
    c: &mut DbConn,
    actor: &Actor,
    q: &str,
    page_no: i64,
) -> Result<Found, AppError> {
    let owner = match account_list(actor).ok_or(AppError::Forbidden)? {
        AccountList::Everyone => None,
        AccountList::CustomersOf(id) => Some(id),
    };
    let page = User::list_accounts(c, owner, q, page_no, PER_PAGE)?;
    let ids: Vec<i32> = page.rows.iter().map(|u| u.id).collect();
    let owner_ids: Vec<i32> = page.rows.iter().filter_map(|u| u.owner_id).collect();
    let owners_by_id = User::find_many(c, &owner_ids)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let alias_counts = User::alias_counts(c, &ids)?.into_iter().collect();
    let owners = if picks_owner(actor) {
        User::possible_owners(c)?
    } else {
        Vec::new()
    };
    let factors = crate::models::two_factor::with_factor_among(c, &ids)?;
    Ok(Found {
        page,
        owners_by_id,
        alias_counts,
        owners,
        factors,
    })
}

/// Whether the add dialog lets `actor` choose the new account's owner.
fn picks_owner(actor: &Actor) -> bool {
    account_creation(actor) == Some(AccountCreation::Any)
}

pub(super) fn assemble(
    current: &Current,
    query: &ListQuery,
    found: Found,
    form: AddAccountForm,
    errors: FieldErrors,
) -> ListPage {
    let Found {
        page,
        owners_by_id,
        alias_counts,
        owners,
        factors,
    } = found;
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
    ListPage {
        chrome: Some(current.chrome("users")),
        rows,
        q: query.q.clone(),
        pager,
        can_create: account_creation(&current.actor).is_some(),
        can_pick_owner: picks_owner(&current.actor),
        owners,
        form,
        errors,
        open_dialog,
    }
}
