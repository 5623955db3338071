//! The actions on one alias user: profile (e-mail, expiry), role, password, disable,
//! enable, delete. Each asks `may_act_on_alias` first (never on oneself, never on a
//! stronger login), changes one thing in one transaction with its audit row, and ends the
//! alias user's sessions where its access shrank in a way a session must not survive.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::page;
use super::{acted_on, alias_url, load_target, tab_url, AliasPath};
use crate::access::aliases::{
    may_act_on_alias, may_change_own_password, may_grant_role, role_rights,
};
use crate::access::changes::{alias_change, alias_removal};
use crate::db::{self, DbError};
use crate::domain::{Email, Expiry, NewPassword};
use crate::models::now;
use crate::models::role::{self, Role};
use crate::models::{alias, session};
use crate::security::password;
use crate::web::confirm::{confirmation, Ask};
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    expires_at: String,
}

/// POST /users/{id}/alias-users/{aid}: e-mail and expiry date.
pub async fn profile(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let t = acted_on(&current, &state, &path).await?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let expires = errors
        .check("expires_at", Expiry::parse(&form.expires_at, now().date()))
        .map(Expiry::date);
    let (Some(email), Some(expires), true) = (email, expires, errors.is_empty()) else {
        let mut p = page::build(&current, &state, t, None, errors).await?;
        p.email = form.email.clone();
        p.expires_at = form.expires_at.clone();
        return render::invalid(&p);
    };
    let (account_id, aid) = (t.account.id, t.alias.id);
    let audit = current
        .audit(account_id, "alias.update")
        .target(format!("alias user {}", t.alias.username))
        .details(format!(
            "expires={}",
            expires
                .map(|d| d.to_string())
                .unwrap_or_else(|| "never".into())
        ));
    let actor = current.actor.clone();
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            alias_change(c, &actor, aid, |c| {
                alias::set_profile(c, aid, email.as_str(), expires)?;
                audit.insert(c)?;
                Ok::<_, AppError>(())
            })
        })
    })
    .await?;
    current.flash("success", "Alias user saved.");
    Ok(render::see_other(&alias_url(account_id, aid)))
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role_id: String,
}

/// POST .../{aid}/role: give the alias user another of the account's roles.
pub async fn role(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let t = acted_on(&current, &state, &path).await?;
    let account_id = t.account.id;
    let Some(rid) = form.role_id.trim().parse::<i32>().ok() else {
        let mut errors = FieldErrors::default();
        errors.add("role_id", "Choose one of this account's roles.");
        return render::invalid(&page::build(&current, &state, t, None, errors).await?);
    };
    let found = db::run(&state.pool, move |c| {
        let r = Role::find_in_account(c, account_id, rid)?;
        let keys = match &r {
            Some(r) => role::permissions_of(c, r.id)?,
            None => Vec::new(),
        };
        Ok::<_, DbError>(r.map(|r| (r, keys)))
    })
    .await?;
    let Some((new_role, keys)) = found else {
        let mut errors = FieldErrors::default();
        errors.add("role_id", "Choose one of this account's roles.");
        return render::invalid(&page::build(&current, &state, t, None, errors).await?);
    };
    if !may_grant_role(&current.actor, &t.account, &keys) {
        return Err(AppError::Forbidden);
    }
    let next = role_rights(&keys, &t.account);
    let gains = next.minus(t.rights.permissions).keys().join(", ");
    let losses = t.rights.permissions.minus(next).keys().join(", ");
    let aid = t.alias.id;
    let role_name = new_role.name.clone();
    let audit = current
        .audit(account_id, "alias.role")
        .target(format!("alias user {}", t.alias.username))
        .details(format!(
            "role {} -> {}; gains: {}; loses: {}",
            t.role.as_ref().map_or("none", |r| r.name.as_str()),
            new_role.name,
            if gains.is_empty() { "nothing" } else { &gains },
            if losses.is_empty() {
                "nothing"
            } else {
                &losses
            },
        ));
    let actor = current.actor.clone();
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            alias_change(c, &actor, aid, |c| {
                alias::set_role(c, aid, new_role.id)?;
                audit.insert(c)?;
                Ok::<_, AppError>(())
            })
        })
    })
    .await?;
    current.flash(
        "success",
        format!("Role changed to {role_name}. It applies from the alias user's next request."),
    );
    Ok(render::see_other(&alias_url(account_id, aid)))
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
pub async fn password(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
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
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            let reset = |c: &mut crate::db::DbConn| {
                crate::models::user::User::set_password_hash(c, aid, &hash)?;
                session::end_all_of(c, aid, None)?;
                audit.insert(c)?;
                Ok::<_, AppError>(())
            };
            if is_self {
                reset(c)
            } else {
                alias_change(c, &actor, aid, reset)
            }
        })
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
pub async fn disable(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    set_disabled(current, state, path, body, true).await
}

/// POST .../{aid}/enable (optional q, page)
pub async fn enable(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    set_disabled(current, state, path, body, false).await
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
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    body: web::Bytes,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let t = acted_on(&current, &state, &path).await?;
    let fields = crate::web::form::pairs(&body)?;
    let (account_id, aid) = (t.account.id, t.alias.id);
    let audit = current
        .audit(
            account_id,
            if disabled {
                "alias.disable"
            } else {
                "alias.enable"
            },
        )
        .target(format!("alias user {}", t.alias.username));
    let actor = current.actor.clone();
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            alias_change(c, &actor, aid, |c| {
                alias::set_disabled(c, aid, disabled)?;
                if disabled {
                    session::end_all_of(c, aid, None)?;
                }
                audit.insert(c)?;
                Ok::<_, AppError>(())
            })
        })
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
    Ok(render::see_other(&back_to_row(account_id, aid, &fields)))
}

/// POST .../{aid}/delete (confirm=yes)
pub async fn delete(
    current: Current,
    state: web::Data<AppState>,
    path: AliasPath,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let t = acted_on(&current, &state, &path).await?;
    let fields = crate::web::form::pairs(&body)?;
    let ask = Ask {
        title: format!("Delete the alias user {}?", t.alias.username),
        message: format!(
            "{} is logged out at once, its API keys and SSH keys stop working, and it cannot be brought back. To stop it only for a while, disable it instead.",
            t.alias.username
        ),
        action: format!("{}/delete", alias_url(t.account.id, t.alias.id)),
        fields: Vec::new(),
        button: "Delete alias user".into(),
        back: tab_url(t.account.id),
        typed: None,
    };
    let sent = crate::web::form::first(&fields, "confirm");
    if let Some(res) = confirmation(&current, "users", sent, ask) {
        return res;
    }
    let (account_id, aid) = (t.account.id, t.alias.id);
    let audit = current
        .audit(account_id, "alias.delete")
        .target(format!("alias user {}", t.alias.username));
    let actor = current.actor.clone();
    db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            alias_removal(c, &actor, aid, |c| {
                session::end_all_of(c, aid, None)?;
                alias::delete(c, aid)?;
                audit.insert(c)?;
                Ok::<_, AppError>(())
            })
        })
    })
    .await?;
    current.flash(
        "success",
        format!("Alias user {} deleted.", t.alias.username),
    );
    Ok(render::see_other(&tab_url(account_id)))
}
