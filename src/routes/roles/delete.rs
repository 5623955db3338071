//! POST /users/{id}/roles/{rid}/delete: deletes a role nobody holds, through
//! `operations::roles::delete_in`, the same operation as `DELETE /api/v1/roles/{rid}`. A
//! role in use is kept and the Roles tab answers 409 naming its alias users; the login's
//! own role and roles beyond its rights are refused (403). The session, the role and the
//! change are one hand-off and one transaction (`Visit::change`).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::{editor, list, managed_account_in};
use crate::access::roles::may_edit_role;
use crate::models::user::User;
use crate::operations::roles::{self, RoleError, RoleSummary};
use crate::web::account::parse_id;
use crate::web::current::audit_entry;
use crate::web::{render, AppError, Visit};

/// What the POST did: deleted the role (its name), or kept it because it is in use (the
/// tab's rows, read in the same transaction, and the refusal).
enum Outcome {
    Deleted(i32, String),
    InUse(Box<User>, Vec<RoleSummary>, String),
}

pub async fn submit(visit: Visit) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = (visit.param("id"), visit.param("rid"));
    let client = visit.client();
    let (current, outcome) = visit
        .change(move |c, actor| {
            let account = managed_account_in(c, actor, &raw_id)?;
            let rid = parse_id(&raw_rid)?;
            let (_, perms, _, _) = editor::load_role_in(c, account.id, rid)?;
            may_edit_role(actor, &account, rid, perms).map_err(|_| AppError::Forbidden)?;

            let who = audit_entry(actor, &client, account.id, "role.delete");
            match roles::delete_in(c, actor, who, &account, rid) {
                Ok(name) => Ok(Outcome::Deleted(account.id, name)),
                // Nothing was written: the tab's rows are read on the same connection.
                Err(RoleError::InUse(message)) => {
                    let summaries = roles::summaries_in(c, actor, &account, None)?;
                    Ok(Outcome::InUse(Box::new(account), summaries, message))
                }
                Err(e) => Err(super::refused(e)),
            }
        })
        .await?;
    match outcome {
        Outcome::Deleted(account_id, name) => {
            current.flash("success", format!("Role {name} deleted."));
            Ok(render::see_other(&format!("/users/{account_id}/roles")))
        }
        Outcome::InUse(account, summaries, message) => {
            let page = list::assemble(&current, *account, summaries, Some(message));
            render::page_with_status(&page, StatusCode::CONFLICT)
        }
    }
}
