//! POST /users/{id}/alias-users: create an alias user (username, email, password, role_id,
//! all_servers=on, expires_at). The role and "all servers" may be granted only by a
//! manager who holds them; a crafted form asking for more is refused with 403.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::tab::{self, CreateForm};
use super::tab_url;
use crate::access::aliases::{may_grant_role, may_manage_aliases, reaches_all_of_account};
use crate::access::changes::new_login;
use crate::db::{self, DbError};
use crate::domain::{Email, Expiry, NewPassword, Username};
use crate::models::now;
use crate::models::role::{self, Role};
use crate::models::user::{NewUser, User};
use crate::routes::users::{parse_id, visible_account};
use crate::security::password;
use crate::web::error::CreateError;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct CreateAliasForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    all_servers: Option<String>,
    #[serde(default)]
    expires_at: String,
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CreateAliasForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let account = visible_account(&state.pool, &current.actor, id).await?;
    if !may_manage_aliases(&current.actor, &account) {
        return Err(AppError::Forbidden);
    }
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let pass = errors.check("password", NewPassword::parse(&form.password));
    let all_servers = matches!(
        form.all_servers.as_deref(),
        Some("on" | "yes" | "true" | "1")
    );
    let expires = errors
        .check("expires_at", Expiry::parse(&form.expires_at, now().date()))
        .map(Expiry::date);
    let role_id: Option<i32> = form.role_id.trim().parse().ok();
    let account_id = account.id;
    // All problems in one round: a taken username is reported with the others, not after
    // they are fixed (the insert checks again, for a race).
    let username_key = username.as_ref().map(|u| u.key());
    let (role, taken) = db::run(&state.pool, move |c| {
        let role = match role_id {
            Some(rid) => {
                let role = Role::find_in_account(c, account_id, rid)?;
                let keys = match &role {
                    Some(r) => role::permissions_of(c, r.id)?,
                    None => Vec::new(),
                };
                role.map(|r| (r, keys))
            }
            None => None,
        };
        let taken = match username_key {
            Some(key) => User::username_taken(c, &key)?,
            None => false,
        };
        Ok::<_, DbError>((role, taken))
    })
    .await?;
    if taken {
        errors.add("username", "This username is taken.");
    }
    if role.is_none() {
        errors.add(
            "role_id",
            "Choose one of this account's roles (create one on the Roles tab first).",
        );
    }

    // Escalation: only what the creator holds. The dialog never offers more, so a request
    // asking for more was crafted: refuse it outright.
    if let Some((_, keys)) = &role {
        if !may_grant_role(&current.actor, &account, keys) {
            return Err(AppError::Forbidden);
        }
    }
    if all_servers && !reaches_all_of_account(&current.actor) {
        return Err(AppError::Forbidden);
    }

    let kept = CreateForm {
        username: form.username.clone(),
        email: form.email.clone(),
        role_id: form.role_id.clone(),
        all_servers,
        expires_at: form.expires_at.clone(),
    };
    let (Some(username), Some(email), Some(pass), Some((role, _)), Some(expires), true) =
        (username, email, pass, role, expires, errors.is_empty())
    else {
        return show_again(&current, &state, account, kept, errors).await;
    };

    let hash = password::off_thread(move || password::hash(pass.expose())).await??;
    let audit = current
        .audit(account.id, "alias.create")
        .target(format!("alias user {}", username.as_str()))
        .details(format!(
            "role={}, all_servers={all_servers}{}",
            role.name,
            expires
                .map(|d| format!(", expires={d}"))
                .unwrap_or_default()
        ));
    let actor = current.actor.clone();
    let result = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            if User::username_taken(c, &username.key())? {
                return Err(CreateError::Taken);
            }
            let id = NewUser {
                kind: "alias",
                username: username.as_str(),
                username_key: &username.key(),
                name: username.as_str(),
                email: email.as_str(),
                password_hash: &hash,
                owner_id: None,
                parent_id: Some(account_id),
                role_id: Some(role.id),
                all_servers,
                disabled: false,
                expires_on: expires,
                created_at: now(),
            }
            .insert(c)?;
            new_login(c, &actor, id)?;
            audit.insert(c)?;
            Ok::<_, CreateError>((id, username.as_str().to_string()))
        })
    })
    .await;
    match result {
        Ok((_, name)) => {
            current.flash(
                "success",
                format!("Alias user {name} created. Assign servers to it, then impersonate it to check its access."),
            );
            Ok(render::see_other(&tab_url(account_id)))
        }
        Err(CreateError::Taken) => {
            errors.add("username", "This username is taken.");
            show_again(&current, &state, account, kept, errors).await
        }
        Err(CreateError::App(e)) => Err(e),
    }
}

async fn show_again(
    current: &Current,
    state: &AppState,
    account: User,
    form: CreateForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = tab::build(current, state, account, &ListQuery::default(), form, errors).await?;
    render::invalid(&page)
}
