//! POST /users/{id}/roles/{rid}/delete: deletes a role nobody holds. A role in use is kept
//! and the Roles tab answers 409 naming its alias users; the login's own role and roles
//! beyond its rights are refused (403).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::editor::{self, HOLDERS_SHOWN};
use super::{list, managed_account};
use crate::access::changes::role_change;
use crate::access::roles::may_edit_role;
use crate::access::PermissionSet;
use crate::db;
use crate::models::role::{self, Role};
use crate::routes::users::parse_id;
use crate::web::{render, AppError, Current};
use crate::AppState;

enum Deleted {
    Ok,
    InUse(Vec<String>, i64),
    Forbidden,
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = path.into_inner();
    let account = managed_account(&state.pool, &current.actor, &raw_id).await?;
    let rid = parse_id(&raw_rid)?;
    let (role, perms, _, _) = editor::load_role(&state, account.id, rid).await?;
    may_edit_role(&current.actor, &account, rid, perms).map_err(|_| AppError::Forbidden)?;

    let audit = current
        .audit(account.id, "role.delete")
        .target(format!("role {}", role.name))
        .details(format!("permissions={}", perms.keys().join(",")));
    let actor = current.actor.clone();
    let account_row = account.clone();
    let deleted = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            let held = PermissionSet::from_known_keys(&role::permissions_of(c, rid)?);
            if may_edit_role(&actor, &account_row, rid, held).is_err() {
                return Ok(Deleted::Forbidden);
            }
            let (holders, count) = role::holders(c, rid, HOLDERS_SHOWN)?;
            if count > 0 {
                return Ok(Deleted::InUse(holders, count));
            }
            // Nobody holds it, so nobody's rights change; asked all the same so that
            // every role change passes the one rule.
            role_change(c, &actor, rid, |c| {
                Role::delete(c, rid)?;
                audit.insert(c)?;
                Ok::<_, AppError>(Deleted::Ok)
            })
        })
    })
    .await?;
    match deleted {
        Deleted::Ok => {
            current.flash("success", format!("Role {} deleted.", role.name));
            Ok(render::see_other(&format!("/users/{}/roles", account.id)))
        }
        Deleted::Forbidden => Err(AppError::Forbidden),
        Deleted::InUse(holders, count) => {
            let mut names = holders.join(", ");
            if count > holders.len() as i64 {
                names.push_str(&format!(" and {} more", count - holders.len() as i64));
            }
            let message = format!(
                "Role {} is in use by {names}. Give these alias users another role before deleting it.",
                role.name
            );
            let page = list::build(&current, &state, account, Some(message)).await?;
            render::page_with_status(&page, StatusCode::CONFLICT)
        }
    }
}
