//! The actions on one alias user: profile (e-mail, expiry), role, password, disable,
//! enable, delete. Each asks `may_act_on_alias` first (never on oneself, never on a
//! stronger login). Profile, role, disable, enable and delete are doors to
//! `operations::aliases` (the same operations as `PATCH` and `DELETE
//! /api/v1/alias-users/{aid}`): they read the form, call the operation and show its
//! outcome, each reading its session, the target and making the change in one hand-off
//! and one transaction (`Visit::change`). The password reset is the page's own (the API
//! sets no passwords) and stays on `Current` (see `password`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::page::{self, AliasPage};
use super::{acted_on_in, alias_url, change_on_alias, confirmed_on_alias, load_target, tab_url};
use crate::access::aliases::{may_act_on_alias, may_change_own_password};
use crate::access::changes::alias_change;
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::NewPassword;
use crate::models::session;
use crate::operations::aliases::{self, AliasChanges, Target, Updated};
use crate::operations::OpError;
use crate::security::password;
use crate::web::client::ClientInfo;
use crate::web::confirm::Ask;
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

/// What a profile or role change did: saved, or refused with field errors (nothing was
/// written; the page's rows were read in the same transaction to show the form again).
enum Saved {
    Done(Target, Updated),
    Invalid(Target, Box<page::Found>, FieldErrors),
}

/// The change behind the profile and role forms: the target (403 unless the actor may
/// act on it) and `operations::aliases::update_in`, in the caller's transaction.
fn save_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    (id, aid): (&str, &str),
    action: &str,
    changes: AliasChanges,
) -> Result<Saved, AppError> {
    let t = acted_on_in(c, actor, id, aid)?;
    let who = audit_entry(actor, client, t.account.id, action);
    match aliases::update_in(c, actor, who, &t, changes) {
        Ok(done) => Ok(Saved::Done(t, done)),
        Err(OpError::Invalid(errors)) => {
            let found = page::read(c, actor, &t, None)?;
            Ok(Saved::Invalid(t, Box::new(found), errors))
        }
        Err(e) => Err(e.into()),
    }
}

/// The alias user page with the form's problems (422).
fn invalid(current: &Current, t: Target, found: page::Found, errors: FieldErrors) -> AliasPage {
    page::assemble(current, t, found, errors)
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    expires_at: String,
}

/// POST /users/{id}/alias-users/{aid}: e-mail and expiry date.
pub async fn profile(visit: Visit, form: web::Form<ProfileForm>) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let form = form.into_inner();
    let changes = AliasChanges {
        email: Some(form.email.clone()),
        expires_at: Some(form.expires_at.clone()),
        ..AliasChanges::default()
    };
    let client = visit.client();
    let (current, saved) = visit
        .change(move |c, actor| save_in(c, actor, &client, (&id, &aid), "alias.update", changes))
        .await?;
    match saved {
        Saved::Done(t, _) => {
            current.flash("success", "Alias user saved.");
            Ok(render::see_other(&alias_url(t.account.id, t.alias.id)))
        }
        Saved::Invalid(t, found, errors) => {
            let mut p = invalid(&current, t, *found, errors);
            p.email = form.email;
            p.expires_at = form.expires_at;
            render::invalid(&p)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role_id: String,
}

/// POST .../{aid}/role: give the alias user another of the account's roles.
pub async fn role(visit: Visit, form: web::Form<RoleForm>) -> Result<HttpResponse, AppError> {
    let (id, aid) = (visit.param("id"), visit.param("aid"));
    let changes = AliasChanges {
        role_id: Some(form.into_inner().role_id),
        ..AliasChanges::default()
    };
    let client = visit.client();
    let (current, saved) = visit
        .change(move |c, actor| save_in(c, actor, &client, (&id, &aid), "alias.role", changes))
        .await?;
    match saved {
        Saved::Done(t, done) => {
            current.flash(
                "success",
                format!(
                    "Role changed to {}. It applies from the alias user's next request.",
                    done.role_name.unwrap_or_default()
                ),
            );
            Ok(render::see_other(&alias_url(t.account.id, t.alias.id)))
        }
        Saved::Invalid(t, found, errors) => render::invalid(&invalid(&current, t, *found, errors)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    current_password: String,
}

/// POST .../{aid}/password: a manager resets the password (ending the alias user's
/// sessions), or the alias user changes its own with its current one.
///
/// Stays on `Current`, not `Visit::change`: the alias user's own change checks its
/// current password against the stored hash (read first) and renews its own session
/// afterwards, and the new password's Argon2 hash goes through the hashing gate between
/// the read and the write, so it is several hand-offs on purpose.
pub async fn password(
    current: Current,
    state: web::Data<AppState>,
    path: super::AliasPath,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let t = load_target(&state.pool, &current.actor, &path.0, &path.1).await?;
    let is_self = current.actor.login.id == t.alias.id;
    if is_self {
        // Its own password, like any login's: needs the current one, never while someone
        // impersonates it.
        if !may_change_own_password(&current.actor, &t.alias) {
            return Err(AppError::Forbidden);
        }
    } else {
        may_act_on_alias(&current.actor, &t.account, &t.alias, t.rights)
            .map_err(|_| AppError::Forbidden)?;
    }
    let mut errors = FieldErrors::default();
    let new = errors.check("password", NewPassword::parse(&form.password));
    if is_self {
        let (given, stored) = (form.current_password.clone(), t.alias.password_hash.clone());
        let ok = password::off_thread(move || password::verify(&given, &stored)).await?;
        if !ok {
            errors.add("current_password", "This is not your current password.");
        }
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return render::invalid(&page::build(&current, &state, t, None, errors).await?);
    };
    let hash = password::off_thread(move || password::hash(new.expose())).await??;
    let (account_id, aid) = (t.account.id, t.alias.id);
    let audit = current
        .audit(
            account_id,
            if is_self {
                "alias.password"
            } else {
                "alias.password_reset"
            },
        )
        .target(format!("alias user {}", t.alias.username));
    let actor = current.actor.clone();
    state
        .change(move |c| {
            let reset = |c: &mut crate::db::DbConn| {
                crate::models::user::User::set_password_hash(c, aid, &hash)?;
                session::end_all_of(c, aid, None)?;
                audit.insert(c)?;
                Ok(())
            };
            if is_self {
                reset(c)
            } else {
                alias_change(c, &actor, aid, reset)
            }
        })
        .await?;
    if is_self {
        current.session.renew();
        current.flash(
            "success",
            "Password changed. Your other sessions have been logged out.",
        );
    } else {
        current.flash(
            "success",
            format!(
                "Password of {} reset; its sessions have been logged out.",
                t.alias.username
            ),
        );
    }
    Ok(render::see_other(&alias_url(account_id, aid)))
}

/// POST .../{aid}/disable (optional q, page: the list position to come back to)
pub async fn disable(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    set_disabled(visit, body, true).await
}

/// POST .../{aid}/enable (optional q, page)
pub async fn enable(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    set_disabled(visit, body, false).await
}

/// The Alias Users tab at the page and search the row action came from, scrolled to the
/// row (`#alias-<id>`), so a long list keeps its place.
fn back_to_row(account_id: i32, alias_id: i32, fields: &[(String, String)]) -> String {
    let q = crate::web::form::first(fields, "q").trim();
    let page = crate::web::form::first(fields, "page")
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let mut url = tab_url(account_id);
    if page > 1 || !q.is_empty() {
        url.push_str(&format!("?page={page}"));
        if !q.is_empty() {
            url.push_str("&q=");
            url.push_str(&crate::web::pagination::encode(q));
        }
    }
    format!("{url}#alias-{alias_id}")
}

async fn set_disabled(
    visit: Visit,
    body: web::Bytes,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, (t, fields)) = change_on_alias(&visit, move |c, actor, t| {
        // Read after the target, as before: a refused request is refused first.
        let fields = crate::web::form::pairs(&body)?;
        let changes = AliasChanges {
            disabled: Some(disabled),
            ..AliasChanges::default()
        };
        let action = if disabled {
            "alias.disable"
        } else {
            "alias.enable"
        };
        let who = audit_entry(actor, &client, t.account.id, action);
        aliases::update_in(c, actor, who, &t, changes)?;
        Ok((t, fields))
    })
    .await?;
    let verb = if disabled {
        "disabled: it is logged out and cannot log in"
    } else {
        "enabled"
    };
    current.flash(
        "success",
        format!("Alias user {} {verb}.", t.alias.username),
    );
    Ok(render::see_other(&back_to_row(
        t.account.id,
        t.alias.id,
        &fields,
    )))
}

/// What the delete POST asks first.
fn delete_question(t: &Target) -> Ask {
    Ask {
        title: format!("Delete the alias user {}?", t.alias.username),
        message: format!(
            "{} is logged out at once, its API keys and SSH keys stop working, and it cannot be brought back. To stop it only for a while, disable it instead.",
            t.alias.username
        ),
        action: format!("{}/delete", alias_url(t.account.id, t.alias.id)),
        button: "Delete alias user".into(),
        back: tab_url(t.account.id),
        ..Ask::default()
    }
}

/// POST .../{aid}/delete (confirm=yes)
pub async fn delete(visit: Visit, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, outcome) =
        confirmed_on_alias(&visit, body, delete_question, move |c, actor, t| {
            let who = audit_entry(actor, &client, t.account.id, "alias.delete");
            aliases::delete_in(c, actor, who, &t)?;
            Ok(t)
        })
        .await?;
    let t = match outcome {
        Err(asking) => return asking.page(&current, "users"),
        Ok(t) => t,
    };
    current.flash(
        "success",
        format!("Alias user {} deleted.", t.alias.username),
    );
    Ok(render::see_other(&tab_url(t.account.id)))
}
