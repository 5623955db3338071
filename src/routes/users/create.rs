//! POST /users: add an account. Admins create any kind under a chosen owner (customers
//! under an admin or reseller, resellers under an admin); resellers create customers
//! owned by themselves. Invalid input shows the dialog again (422) with the input kept.
//! With `invite=yes` the account gets no password but an invitation mailed to its address
//! (`operations::invitations::send`, in the creating transaction); an address that already
//! belongs to a login is refused.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::list;
use crate::access::accounts::{account_creation, may_create, NoCreation};
use crate::access::changes::new_login;
use crate::db::{self};
use crate::domain::{DisplayName, Email, Username};
use crate::models::now;
use crate::models::user::{Kind, NewUser, User};
use crate::operations::invitations::{self, new_password, Invitee, EMAIL_TAKEN};
use crate::security::password;
use crate::web::error::CreateError;
use crate::web::form::FieldErrors;
use crate::web::pagination::ListQuery;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AddAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub owner_id: String,
    /// `yes`: invite by e-mail instead of setting a password.
    #[serde(default)]
    pub invite: String,
}

impl AddAccountForm {
    /// The form as shown again: never echo the password.
    fn without_password(mut self) -> Self {
        self.password.clear();
        self
    }
}

pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<AddAccountForm>,
) -> Result<HttpResponse, AppError> {
    let creation = account_creation(&current.actor).ok_or(AppError::Forbidden)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();

    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let invite = matches!(form.invite.as_str(), "yes" | "on" | "true" | "1");
    let pass = new_password(&mut errors, &form.password, invite);
    let name_raw = if form.name.trim().is_empty() {
        form.username.trim()
    } else {
        form.name.as_str()
    };
    let name = errors.check("name", DisplayName::parse(name_raw));
    let kind = match form.kind.trim() {
        "" => Some(Kind::User),
        k => errors.check(
            "kind",
            Kind::parse(k)
                .filter(|k| *k != Kind::Alias)
                .ok_or_else(|| "Choose admin, reseller or customer.".to_string()),
        ),
    };
    let owner_id: Option<i32> = match form.owner_id.trim() {
        "" => None,
        raw => errors.check(
            "owner_id",
            raw.parse::<i32>()
                .map_err(|_| "Choose an owner from the list.".to_string()),
        ),
    };

    // Who would own the new account: a reseller always owns what it creates.
    let owner_id = match creation {
        crate::access::accounts::AccountCreation::CustomersOf(me) => Some(me),
        crate::access::accounts::AccountCreation::Any => match kind {
            Some(Kind::Admin) => None,
            _ => owner_id.or(Some(current.actor.account_id())),
        },
    };
    let owner = match owner_id {
        Some(id) => state.db(move |c| Ok(User::find(c, id)?)).await?,
        None => None,
    };
    if owner_id.is_some() && owner.is_none() {
        errors.add("owner_id", "Choose an owner from the list.");
    }
    if let Some(e) = email.as_ref().filter(|_| invite) {
        let e = e.as_str().to_string();
        if state.db(move |c| Ok(User::email_taken(c, &e)?)).await? {
            errors.add("email", EMAIL_TAKEN);
        }
    }

    // Nobody creates a login with rights beyond their own, whatever the owner.
    if let Some(kind) = kind {
        match may_create(creation, &current.actor, kind, owner.as_ref()) {
            Ok(()) => {}
            Err(NoCreation::Forbidden) => return Err(AppError::Forbidden),
            Err(NoCreation::OwnerDoesNotFit) if errors.get("owner_id").is_none() => {
                errors.add("owner_id", "This owner cannot own an account of that kind (customers belong to an admin or reseller, resellers to an admin).");
            }
            Err(NoCreation::OwnerDoesNotFit) => {}
        }
    }

    let (Some(username), Some(email), Some(pass), Some(name), Some(kind), true) =
        (username, email, pass, name, kind, errors.is_empty())
    else {
        return show_again(&current, &state, form, errors).await;
    };

    let hash = match pass {
        Some(pass) => password::off_thread(move || password::hash(pass.expose())).await??,
        None => password::UNUSABLE.to_string(),
    };
    let audit = current.audit(current.actor.account_id(), "account.create");
    let actor = current.actor.clone();
    let links = state.links.clone();
    let created = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            if User::username_taken(c, &username.key())? {
                return Err(CreateError::Taken);
            }
            if invite && User::email_taken(c, email.as_str())? {
                return Err(CreateError::EmailTaken);
            }
            let id = NewUser {
                kind: kind.as_str(),
                username: username.as_str(),
                username_key: &username.key(),
                name: name.as_str(),
                email: email.as_str(),
                password_hash: &hash,
                owner_id,
                parent_id: None,
                role_id: None,
                all_servers: false,
                disabled: false,
                expires_on: None,
                created_at: now(),
            }
            .insert(c)?;
            new_login(c, &actor, id)?;
            if invite {
                let invitee = Invitee {
                    id,
                    username: username.as_str(),
                    email: email.as_str(),
                    account: username.as_str(),
                };
                invitations::send(c, &links, &actor, &invitee)?;
            }
            let entry = audit
                .target(format!("account {}", username.as_str()))
                .details(format!(
                    "kind={}{}",
                    kind.as_str(),
                    if invite { ", invited by e-mail" } else { "" }
                ));
            entry.insert(c)?;
            entry.for_account(id).insert(c)?;
            Ok::<_, CreateError>((id, username.as_str().to_string()))
        })
    })
    .await;
    match created {
        Ok((id, username)) => {
            current.flash(
                "success",
                if invite {
                    format!("Account {username} invited: a link to choose its password is on its way to {}. It works once, within 72 hours.", form.email.trim())
                } else {
                    format!("Account {username} created.")
                },
            );
            Ok(render::see_other(&format!("/users/{id}")))
        }
        Err(CreateError::Taken) => {
            errors.add("username", "This username is taken.");
            show_again(&current, &state, form, errors).await
        }
        Err(CreateError::EmailTaken) => {
            errors.add("email", EMAIL_TAKEN);
            show_again(&current, &state, form, errors).await
        }
        Err(CreateError::App(e)) => Err(e),
    }
}

async fn show_again(
    current: &Current,
    state: &AppState,
    form: AddAccountForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = list::build(
        current,
        state,
        &ListQuery::default(),
        form.without_password(),
        errors,
    )
    .await?;
    render::invalid(&page)
}
