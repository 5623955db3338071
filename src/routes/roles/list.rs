//! GET /users/{id}/roles: the Roles tab. Each role with its description, how many
//! permissions it holds (and how many of them are risky), and how many alias users hold
//! it (`operations::roles::summaries_in`, which the API lists too).

use actix_web::HttpResponse;
use askama::Template;

use super::managed_account_in;
use crate::access::roles::{risky, RoleRefusal};
use crate::models::role::Role;
use crate::models::user::User;
use crate::operations::roles;
use crate::routes::users::tabs::AccountTab;
use crate::web::{render, AppError, Current, Visit};

pub struct Row {
    pub role: Role,
    pub permission_count: usize,
    pub risky_count: usize,
    pub users: i64,
    /// Why this login may not open the role, if it may not.
    pub locked: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "roles/list.html")]
pub struct ListPage {
    pub frame: AccountTab,
    pub rows: Vec<Row>,
    /// A refusal to show above the table (a role in use that was to be deleted).
    pub problem: Option<String>,
}

crate::account_tab_page!(ListPage);

pub async fn page(visit: Visit) -> Result<HttpResponse, AppError> {
    let id = visit.param("id");
    let (current, (account, summaries)) = visit
        .read(move |c, actor| {
            let account = managed_account_in(c, actor, &id)?;
            let summaries = roles::summaries_in(c, actor, &account, None)?;
            Ok((account, summaries))
        })
        .await?;
    render::page(&assemble(&current, account, summaries, None))
}

/// The tab from rows read already (the page view, or a deletion refused in its own
/// transaction, shown above the table).
pub fn assemble(
    current: &Current,
    account: User,
    summaries: Vec<roles::RoleSummary>,
    problem: Option<String>,
) -> ListPage {
    let rows = summaries
        .into_iter()
        .map(|r| Row {
            permission_count: r.permissions.len(),
            risky_count: risky(r.permissions).len(),
            users: r.holders,
            locked: r.locked.map(|why| match why {
                RoleRefusal::OwnRole => "your role",
                RoleRefusal::BeyondEditor => "beyond your rights",
            }),
            role: r.role,
        })
        .collect();
    ListPage {
        frame: AccountTab::of_login(current, account, "roles"),
        rows,
        problem,
    }
}
