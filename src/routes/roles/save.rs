//! POST /users/{id}/roles (create) and POST /users/{id}/roles/{rid} (update), through
//! `operations::roles::{create_in, update_in}`, the same operations as `POST` and
//! `PATCH /api/v1/roles…`. This door reads the form and renders the answer: the editor
//! again (422) with the input kept and each problem next to its field — with the risk
//! warnings and the confirm box when only `confirm_dangerous=yes` was missing — a trip
//! to /reauth when a risky or admin role needs a recent authentication, or the Roles tab
//! with a message.

use actix_web::{web, HttpResponse};

use super::editor::{self, load_role_in, EditorInput};
use super::{managed_account_in, RoleForm};
use crate::access::roles::may_edit_role;
use crate::access::PermissionSet;
use crate::db;
use crate::models::role::Role;
use crate::models::user::User;
use crate::operations::roles::{self, RecentAuth, RoleError, RoleInput, SavedRole};
use crate::operations::OpError;
use crate::web::account::parse_id;
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};

fn input(form: &RoleForm) -> RoleInput {
    RoleInput {
        name: form.name.clone(),
        description: form.description.clone(),
        permissions: form.permissions.clone(),
        confirm_dangerous: form.confirm_dangerous,
        // The editor always sends the box: unticked means off.
        require_two_factor: Some(form.require_two_factor),
    }
}

fn recent(recently_authenticated: bool) -> RecentAuth {
    if recently_authenticated {
        RecentAuth::Yes
    } else {
        RecentAuth::No
    }
}

fn show_again(
    current: &Current,
    account: User,
    form: RoleForm,
    existing: Option<(&Role, Vec<String>, i64)>,
    errors: FieldErrors,
    confirm_missing: bool,
) -> Result<HttpResponse, AppError> {
    let (role_id, saved_name, holders, holder_count) = match existing {
        Some((r, h, n)) => (Some(r.id), Some(r.name.clone()), h, n),
        None => (None, None, Vec::new(), 0),
    };
    let page = editor::build(
        current,
        account,
        EditorInput {
            role_id,
            saved_name,
            checked: PermissionSet::from_known_keys(&form.permissions),
            name: form.name,
            description: form.description,
            confirm_missing,
            confirmed: form.confirm_dangerous && !confirm_missing,
            // Offered ticked when the editor asks to confirm risky permissions.
            require_two_factor: form.require_two_factor || confirm_missing,
            holders,
            holder_count,
        },
        errors,
    );
    render::invalid(&page)
}

/// The session, the account, the role's rows and the save: one hand-off and one
/// transaction (`Visit::change_sudo`); a refused save is undone by its own savepoint
/// (`db::attempt`) and rendered.
pub async fn create(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let raw_id = visit.param("id");
    let form = RoleForm::parse(&body)?;
    let sent = input(&form);
    let client = visit.client();
    let (current, (account, saved)) = visit
        .change_sudo(move |c, actor, recently| {
            let account = managed_account_in(c, actor, &raw_id)?;
            let who = audit_entry(actor, &client, account.id, "role.create");
            let saved = db::attempt(c, |c| {
                roles::create_in(c, actor, who, &account, sent, recent(recently))
            });
            Ok((account, saved))
        })
        .await?;
    let reauth = format!("/users/{}/roles/new", account.id);
    finish(&current, account, form, None, saved, &reauth, "created")
}

pub async fn update(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = (visit.param("id"), visit.param("rid"));
    let form = RoleForm::parse(&body)?;
    let sent = input(&form);
    let client = visit.client();
    let (current, (account, rid, stored, saved)) = visit
        .change_sudo(move |c, actor, recently| {
            let account = managed_account_in(c, actor, &raw_id)?;
            let rid = parse_id(&raw_rid)?;
            let stored = load_role_in(c, account.id, rid)?;
            may_edit_role(actor, &account, rid, stored.1).map_err(|_| AppError::Forbidden)?;
            let who = audit_entry(actor, &client, account.id, "role.update");
            let saved = db::attempt(c, |c| {
                roles::update_in(c, actor, who, &account, rid, sent, recent(recently))
            });
            Ok((account, rid, stored, saved))
        })
        .await?;
    let (role, _, holders, holder_count) = stored;
    let reauth = format!("/users/{}/roles/{rid}", account.id);
    let existing = Some((&role, holders, holder_count));
    finish(&current, account, form, existing, saved, &reauth, "saved")
}

fn finish(
    current: &Current,
    account: User,
    form: RoleForm,
    existing: Option<(&Role, Vec<String>, i64)>,
    saved: Result<SavedRole, RoleError>,
    reauth: &str,
    verb: &str,
) -> Result<HttpResponse, AppError> {
    match saved {
        Ok(saved) => {
            let mut message = format!("Role {} {verb}.", saved.name);
            if saved.holders > 0 {
                message.push_str(" Its alias users have the new rights from their next request.");
            }
            current.flash("success", message);
            Ok(render::see_other(&format!("/users/{}/roles", account.id)))
        }
        Err(RoleError::Op(OpError::Invalid(errors))) => {
            show_again(current, account, form, existing, errors, false)
        }
        Err(RoleError::Unconfirmed(errors)) => {
            show_again(current, account, form, existing, errors, true)
        }
        Err(RoleError::RecentAuthRequired) => Err(AppError::ReauthRequired(reauth.to_string())),
        Err(e) => Err(super::refused(e)),
    }
}
