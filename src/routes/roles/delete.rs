//! POST /users/{id}/roles/{rid}/delete: deletes a role nobody holds, through
//! `operations::roles::delete`, the same operation as `DELETE /api/v1/roles/{rid}`. A role
//! in use is kept and the Roles tab answers 409 naming its alias users; the login's own
//! role and roles beyond its rights are refused (403).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{editor, list, managed_account};
use crate::access::roles::may_edit_role;
use crate::operations::roles::{self, RoleError};
use crate::web::account::parse_id;
use crate::web::{render, AppError, Current};
use crate::AppState;

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = path.into_inner();
    let account = managed_account(&state.pool, &current.actor, &raw_id).await?;
    let rid = parse_id(&raw_rid)?;
    let (_, perms, _, _) = editor::load_role(&state, account.id, rid).await?;
    may_edit_role(&current.actor, &account, rid, perms).map_err(|_| AppError::Forbidden)?;

    let who = current.audit(account.id, "role.delete");
    match roles::delete(&state.pool, &current.actor, who, &account, rid).await {
        Ok(name) => {
            current.flash("success", format!("Role {name} deleted."));
            Ok(render::see_other(&format!("/users/{}/roles", account.id)))
        }
        Err(RoleError::InUse(message)) => {
            let page = list::build(&current, &state, account, Some(message)).await?;
            render::page_with_status(&page, StatusCode::CONFLICT)
        }
        Err(e) => Err(super::refused(e)),
    }
}
