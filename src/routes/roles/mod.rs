//! Alias roles of an account: the Roles tab (list with usage), the role editor (new and
//! existing roles, grouped permissions with live risk warnings), saving with the server-side
//! rules (`operations::roles`), and deletion of roles nobody uses. Every decision is asked of
//! `access::roles` first; the changes themselves are `operations::roles` (shared with the
//! JSON API); this module only gathers rows, parses forms and renders.

mod delete;
mod editor;
mod list;
mod save;

use crate::access::roles::may_manage_roles;
use crate::access::Actor;
use crate::db::DbConn;
use crate::models::user::User;
use crate::operations::roles::RoleError;
use crate::operations::OpError;
use crate::routes::table::Routes;
use crate::web::account::visible_account_in;
use crate::web::AppError;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/users/{id}/roles", list::page)
        .post("/users/{id}/roles", save::create)
        .reads_fields(RoleForm::FIELDS)
        .get("/users/{id}/roles/new", editor::new_role)
        .get("/users/{id}/roles/{rid}", editor::existing_role)
        .post("/users/{id}/roles/{rid}", save::update)
        .reads_fields(RoleForm::FIELDS)
        .post("/users/{id}/roles/{rid}/delete", delete::submit);
}

/// The account whose roles are asked for, on the request's connection: 404 unless the
/// login may see it, 403 unless it may manage its roles.
fn managed_account_in(c: &mut DbConn, actor: &Actor, raw_id: &str) -> Result<User, AppError> {
    may_manage(actor, visible_account_in(c, actor, raw_id)?)
}

fn may_manage(actor: &Actor, account: User) -> Result<User, AppError> {
    if !may_manage_roles(actor, &account) {
        return Err(AppError::Forbidden);
    }
    Ok(account)
}

/// A role operation's refusal as the pages answer it. A locked role is the plain 403 the
/// tab's lock stands for; the outcomes a door renders itself (field errors, the missing
/// confirmation, a role in use, sudo mode) only reach here from a door that forgot them.
fn refused(e: RoleError) -> AppError {
    match e {
        RoleError::NotFound => AppError::NotFound,
        RoleError::Locked(_) => AppError::Forbidden,
        RoleError::Op(e) => e.into(),
        RoleError::Unconfirmed(errors) => OpError::Invalid(errors).into(),
        other => AppError::BadRequest(other.to_string()),
    }
}

/// The role editor's form. `permissions` is repeated, which `web::Form` cannot collect,
/// so the body is read as a list of pairs.
#[derive(Debug, Default, Clone)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub confirm_dangerous: bool,
    pub require_two_factor: bool,
}

impl RoleForm {
    /// The fields `parse` reads (the route table lists them for the hostile-input test).
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "permissions",
        "confirm_dangerous",
        "require_two_factor",
    ];

    pub fn parse(body: &[u8]) -> Result<RoleForm, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
        let mut form = RoleForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => form.name = v,
                "description" => form.description = v,
                "permissions" => form.permissions.push(v),
                "confirm_dangerous" => form.confirm_dangerous = v == "yes",
                "require_two_factor" => form.require_two_factor = v == "yes",
                _ => {}
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::RoleForm;

    #[test]
    fn repeated_permissions_are_all_kept() {
        let f = RoleForm::parse(
            b"name=Ops&permissions=servers.view&permissions=servers.fly&confirm_dangerous=yes",
        )
        .unwrap();
        assert_eq!(f.name, "Ops");
        assert_eq!(f.permissions, ["servers.view", "servers.fly"]);
        assert!(f.confirm_dangerous);
        assert!(
            !RoleForm::parse(b"confirm_dangerous=on")
                .unwrap()
                .confirm_dangerous
        );
    }
}
