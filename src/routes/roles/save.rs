//! POST /users/{id}/roles (create) and POST /users/{id}/roles/{rid} (update). Whatever the
//! form sent: unknown keys and keys the editor may not grant are refused (422, naming
//! them); name and description are checked; a risky permission needs
//! `confirm_dangerous=yes` (422 with the warnings otherwise). The role, its permissions and
//! the audit row are written in one transaction.

use actix_web::{web, HttpResponse};

use super::editor::{self, EditorInput};
use super::{managed_account, RoleForm};
use crate::access::changes::{role_change, ChangeError, Refusal};
use crate::access::roles::{check_permissions, grantable, may_edit_role, risky};
use crate::access::PermissionSet;
use crate::db::{self, DbError};
use crate::domain::{RoleDescription, RoleName};
use crate::models::now;
use crate::models::role::{self, name_key, NewRole, Role};
use crate::models::two_factor;
use crate::models::user::User;
use crate::routes::users::parse_id;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current};
use crate::AppState;

const NAME_TAKEN: &str = "This account already has a role with this name.";

/// A submission that passed every check.
struct Valid {
    name: RoleName,
    description: RoleDescription,
    permissions: PermissionSet,
}

/// Checks the form against the rules; on failure answers the errors and whether only the
/// confirmation was missing.
fn validate(
    current: &Current,
    account: &User,
    form: &RoleForm,
) -> Result<Valid, (FieldErrors, bool)> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", RoleName::parse(&form.name));
    let description = errors.check("description", RoleDescription::parse(&form.description));
    let permissions = match check_permissions(&form.permissions, grantable(&current.actor, account))
    {
        Ok(set) => Some(set),
        Err(problems) => {
            let mut parts = Vec::new();
            if !problems.unknown.is_empty() {
                parts.push(format!(
                    "Unknown permissions: {}.",
                    problems.unknown.join(", ")
                ));
            }
            if !problems.not_grantable.is_empty() {
                parts.push(format!(
                    "You may not grant: {}.",
                    problems.not_grantable.join(", ")
                ));
            }
            errors.add("permissions", parts.join(" "));
            None
        }
    };
    let (Some(name), Some(description), Some(permissions), true) =
        (name, description, permissions, errors.is_empty())
    else {
        return Err((errors, false));
    };
    if !risky(permissions).is_empty() && !form.confirm_dangerous {
        errors.add(
            "confirm_dangerous",
            "This role holds dangerous permissions: read the warnings and confirm to save it.",
        );
        return Err((errors, true));
    }
    Ok(Valid {
        name,
        description,
        permissions,
    })
}

/// Sudo mode (SPEC §7): saving a role with a risky or admin permission needs a recent
/// authentication; the editor is reached again after /reauth.
fn recent_auth_for(current: &Current, valid: &Valid, next: &str) -> Result<(), AppError> {
    let admin = valid
        .permissions
        .iter()
        .any(|p| p.tier == crate::access::Tier::Admin);
    if admin || !risky(valid.permissions).is_empty() {
        current.require_recent_auth(next)?;
    }
    Ok(())
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

enum Saved {
    Ok,
    Taken,
    Forbidden,
}

/// How a role's transaction fails: the database, or a refusal that rolled it back.
enum RoleTx {
    Db(DbError),
    Refused(Refusal),
}

impl From<DbError> for RoleTx {
    fn from(e: DbError) -> Self {
        RoleTx::Db(e)
    }
}

impl From<diesel::result::Error> for RoleTx {
    fn from(e: diesel::result::Error) -> Self {
        RoleTx::Db(e.into())
    }
}

pub async fn create(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let account = managed_account(&state.pool, &current.actor, &path).await?;
    let form = RoleForm::parse(&body)?;
    let valid = match validate(&current, &account, &form) {
        Ok(v) => v,
        Err((errors, confirm_missing)) => {
            return show_again(&current, account, form, None, errors, confirm_missing)
        }
    };
    recent_auth_for(
        &current,
        &valid,
        &format!("/users/{}/roles/new", account.id),
    )?;
    let require_two_factor = form.require_two_factor;
    let account_id = account.id;
    let audit = current
        .audit(account_id, "role.create")
        .target(format!("role {}", valid.name.as_str()))
        .details(format!(
            "permissions={}",
            valid.permissions.keys().join(",")
        ));
    let name = valid.name.clone();
    let description = valid.description.clone();
    let keys = valid.permissions.keys();
    let saved = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            let key = name_key(name.as_str());
            if Role::name_taken(c, account_id, &key, None)? {
                return Ok(Saved::Taken);
            }
            let at = now();
            let id = NewRole {
                account_id,
                name: name.as_str(),
                name_key: &key,
                description: description.as_str(),
                created_at: at,
                updated_at: at,
            }
            .insert(c)?;
            role::set_permissions(c, id, &keys)?;
            two_factor::set_role_requires(c, id, require_two_factor)?;
            audit.insert(c)?;
            Ok::<_, DbError>(Saved::Ok)
        })
    })
    .await
    .map_err(RoleTx::Db);
    finish(&current, account, form, None, saved, &valid, "created")
}

pub async fn update(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_rid) = path.into_inner();
    let account = managed_account(&state.pool, &current.actor, &raw_id).await?;
    let rid = parse_id(&raw_rid)?;
    let (role, before, holders, holder_count) = editor::load_role(&state, account.id, rid).await?;
    may_edit_role(&current.actor, &account, rid, before).map_err(|_| AppError::Forbidden)?;
    let form = RoleForm::parse(&body)?;
    let valid = match validate(&current, &account, &form) {
        Ok(v) => v,
        Err((errors, confirm_missing)) => {
            return show_again(
                &current,
                account,
                form,
                Some((&role, holders, holder_count)),
                errors,
                confirm_missing,
            )
        }
    };
    recent_auth_for(
        &current,
        &valid,
        &format!("/users/{}/roles/{rid}", account.id),
    )?;
    let require_two_factor = form.require_two_factor;

    let mut changes = Vec::new();
    if valid.name.as_str() != role.name {
        changes.push(format!("renamed from {}", role.name));
    }
    if valid.description.as_str() != role.description {
        changes.push("description".to_string());
    }
    let added = valid.permissions.minus(before).keys();
    let removed = before.minus(valid.permissions).keys();
    if !added.is_empty() {
        changes.push(format!("added={}", added.join(",")));
    }
    if !removed.is_empty() {
        changes.push(format!("removed={}", removed.join(",")));
    }
    let audit = current
        .audit(account.id, "role.update")
        .target(format!("role {}", valid.name.as_str()))
        .details(changes.join("; "));
    let account_id = account.id;
    let actor = current.actor.clone();
    let account_row = account.clone();
    let name = valid.name.clone();
    let description = valid.description.clone();
    let keys = valid.permissions.keys();
    let saved = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            // Checked again under the write lock: the role may have changed meanwhile.
            let now_held = PermissionSet::from_known_keys(&role::permissions_of(c, rid)?);
            if may_edit_role(&actor, &account_row, rid, now_held).is_err() {
                return Ok(Saved::Forbidden);
            }
            if Role::name_taken(c, account_id, &name_key(name.as_str()), Some(rid))? {
                return Ok(Saved::Taken);
            }
            // The edit changes every holder's rights: it stands only if the editor covers
            // each of them afterwards (SPEC §2.1), else it is rolled back.
            let edited = role_change(c, &actor, rid, |c| {
                Role::update(c, rid, name.as_str(), description.as_str(), now())?;
                role::set_permissions(c, rid, &keys)?;
                two_factor::set_role_requires(c, rid, require_two_factor)?;
                audit.insert(c)?;
                Ok::<_, ChangeError>(())
            });
            match edited {
                Ok(()) => Ok(Saved::Ok),
                Err(ChangeError::Refused(r)) => Err(RoleTx::Refused(r)),
                Err(ChangeError::Query(e)) => Err(e.into()),
            }
        })
    })
    .await;
    let existing = Some((&role, holders, holder_count));
    finish(&current, account, form, existing, saved, &valid, "saved")
}

fn finish(
    current: &Current,
    account: User,
    form: RoleForm,
    existing: Option<(&Role, Vec<String>, i64)>,
    saved: Result<Saved, RoleTx>,
    valid: &Valid,
    verb: &str,
) -> Result<HttpResponse, AppError> {
    let account_id = account.id;
    let taken = |form, existing| {
        let mut errors = FieldErrors::default();
        errors.add("name", NAME_TAKEN);
        show_again(current, account, form, existing, errors, false)
    };
    match saved {
        Ok(Saved::Ok) => {
            let mut message = format!("Role {} {verb}.", valid.name.as_str());
            if existing.is_some_and(|(_, _, n)| n > 0) {
                message.push_str(" Its alias users have the new rights from their next request.");
            }
            current.flash("success", message);
            Ok(render::see_other(&format!("/users/{account_id}/roles")))
        }
        Ok(Saved::Forbidden) => Err(AppError::Forbidden),
        Ok(Saved::Taken) => taken(form, existing),
        Err(RoleTx::Refused(r)) => Err(AppError::ForbiddenBecause(r.message().to_string())),
        Err(RoleTx::Db(DbError::Query(e))) if db::is_unique_violation(&e) => taken(form, existing),
        Err(RoleTx::Db(e)) => Err(e.into()),
    }
}
