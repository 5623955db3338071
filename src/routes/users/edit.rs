//! POST /users/{id}: the Account Details forms. `form=profile` changes name and e-mail
//! (and, for admins, kind, owner and status; for resellers, their customers' status);
//! `form=password` changes the login's own password with the current one and ends its
//! other sessions. Fields the editor may not change are refused with 403, not ignored.
//! The profile form reads its session, the account and makes its change in one hand-off
//! and one transaction (`Visit::change`); the password form needs more (see
//! `change_password`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::detail;
use crate::access::accounts::account_edit;
use crate::access::changes::account_change;
use crate::access::Actor;
use crate::db::DbConn;
use crate::domain::{DisplayName, Email, NewPassword};
use crate::models::server::Server;
use crate::models::session;
use crate::models::user::{AccountChanges, Kind, User};
use crate::security::password;
use crate::web::client::ClientInfo;
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Visit};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    owner_id: Option<String>,
    #[serde(default)]
    disabled: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// What the profile form did: saved, or refused the input (422) with the page's rows read
/// in the same transaction and the status asked for.
enum Saved {
    Done(i32),
    Invalid(Box<(User, detail::Found)>, FieldErrors, Option<bool>),
}

pub async fn submit(visit: Visit, form: web::Form<EditForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if form.form == "password" {
        return change_password(visit, form).await;
    }
    let client = visit.client();
    let sent = form.clone();
    let (current, saved) = visit
        .change_account(move |c, actor, account| save_in(c, actor, &client, account, sent))
        .await?;
    match saved {
        Saved::Done(target_id) => {
            current.flash("success", "Account saved.");
            Ok(render::see_other(&format!("/users/{target_id}")))
        }
        Saved::Invalid(read, errors, wants_disabled) => {
            let (account, found) = *read;
            let mut page =
                detail::assemble(&current, account, found, errors, FieldErrors::default());
            page.name = form.name.unwrap_or_default();
            page.email = form.email.unwrap_or_default();
            if let Some(k) = form.kind {
                page.kind = k;
            }
            if let Some(o) = form.owner_id {
                page.owner_id = o;
            }
            page.disabled = wants_disabled.unwrap_or(page.disabled);
            render::invalid(&page)
        }
    }
}

/// The profile form's checks and change, in the caller's transaction.
fn save_in(
    c: &mut DbConn,
    actor: &Actor,
    client: &ClientInfo,
    account: User,
    form: EditForm,
) -> Result<Saved, AppError> {
    let edit = account_edit(actor, &account);
    if !edit.any() || !edit.profile {
        return Err(AppError::Forbidden);
    }

    let mut errors = FieldErrors::default();
    let name = errors.check(
        "name",
        DisplayName::parse(form.name.as_deref().unwrap_or(&account.name)),
    );
    let email = errors.check(
        "email",
        Email::parse(form.email.as_deref().unwrap_or(&account.email)),
    );

    // Status: `status=disabled|active` (or a `disabled` checkbox) when the editor may.
    let wants_disabled = match (form.status.as_deref(), form.disabled.as_deref()) {
        (Some("disabled"), _) | (None, Some("on" | "yes" | "true")) => Some(true),
        (Some("active"), _) => Some(false),
        (None, None) => None,
        (Some(_), _) | (None, Some(_)) => {
            errors.add("status", "Choose active or disabled.");
            None
        }
    };
    if wants_disabled.is_some_and(|d| d != account.disabled) && !edit.status {
        return Err(AppError::Forbidden);
    }

    let kind = match form.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => errors.check(
            "kind",
            Kind::parse(k)
                .filter(|k| *k != Kind::Alias)
                .ok_or_else(|| "Choose admin, reseller or customer.".to_string()),
        ),
    };
    let owner_id: Option<Option<i32>> = match form.owner_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(raw) => errors
            .check(
                "owner_id",
                raw.parse::<i32>()
                    .map_err(|_| "Choose an owner from the list.".to_string()),
            )
            .map(Some),
    };
    let changes_kind = kind.is_some_and(|k| k.as_str() != account.kind);
    let changes_owner = owner_id.is_some_and(|o| o != account.owner_id);
    if (changes_kind || changes_owner) && !edit.kind_and_owner {
        return Err(AppError::Forbidden);
    }
    let new_kind = kind.unwrap_or(account.kind());
    let new_owner = owner_id.unwrap_or(account.owner_id);
    let mut owner_is_reseller = false;
    if changes_kind || changes_owner {
        let owner = match new_owner {
            Some(o) => User::find(c, o)?,
            None => None,
        };
        let fits = match new_kind {
            Kind::Admin => new_owner.is_none(),
            Kind::Reseller => owner.as_ref().is_some_and(|o| o.kind() == Kind::Admin),
            Kind::User => owner
                .as_ref()
                .is_some_and(|o| matches!(o.kind(), Kind::Admin | Kind::Reseller)),
            Kind::Alias => false,
        };
        owner_is_reseller = owner.as_ref().is_some_and(|o| o.kind() == Kind::Reseller);
        if !fits || new_owner == Some(account.id) {
            errors.add("owner_id", "Customers belong to an admin or reseller, resellers to an admin, admins to nobody.");
        }
    }
    if wants_disabled == Some(true) && account.id == actor.login.id {
        errors.add("status", "You cannot disable your own account.");
    }

    let (Some(name), Some(email), true) = (name, email, errors.is_empty()) else {
        // Nothing was written: the page's rows are read in the same transaction.
        let found = detail::read(c, actor, &account)?;
        return Ok(Saved::Invalid(
            Box::new((account, found)),
            errors,
            wants_disabled,
        ));
    };

    let disabled_now = wants_disabled.filter(|d| *d != account.disabled);
    let mut changed = Vec::new();
    if name.as_str() != account.name {
        changed.push("name".to_string());
    }
    if email.as_str() != account.email {
        changed.push("email".to_string());
    }
    if changes_kind {
        changed.push(format!("kind={}", new_kind.as_str()));
    }
    if changes_owner {
        changed.push(format!(
            "owner={}",
            new_owner.map(|o| o.to_string()).unwrap_or_default()
        ));
    }
    if let Some(d) = disabled_now {
        changed.push(if d {
            "disabled".into()
        } else {
            "enabled".into()
        });
    }
    let audit = audit_entry(actor, client, account.id, "account.update")
        .target(format!("account {}", account.username))
        .details(changed.join(", "));
    let target_id = account.id;
    // Only a name and e-mail of one's own account change nothing one may do.
    let own_profile = !changes_kind && !changes_owner && disabled_now.is_none();
    let new_reseller = new_owner.filter(|_| owner_is_reseller);
    let follow = (changes_owner || changes_kind) && new_kind == Kind::User;
    account_change(c, actor, target_id, own_profile, |c| {
        AccountChanges {
            name: name.as_str(),
            email: email.as_str(),
            kind: changes_kind.then_some(new_kind.as_str()),
            owner_id: changes_owner.then_some(new_owner),
            disabled: disabled_now,
        }
        .apply(c, target_id)?;
        if follow {
            // A customer's servers carry its reseller (or none under an admin),
            // so its new owner reaches them and its old one no longer does.
            Server::follow_customer(c, target_id, new_reseller)?;
        }
        if disabled_now == Some(true) {
            // A disabled login keeps no working session, on any instance.
            session::end_all_of(c, target_id, None)?;
        }
        audit.insert(c)?;
        Ok::<_, AppError>(())
    })?;
    Ok(Saved::Done(target_id))
}

/// `form=password`: not one hand-off on purpose. The current password is checked against
/// the stored hash (read first) and the new one hashed, both through the Argon2 gate, before
/// the write; then this session is renewed (the session's save writes it after the
/// response). The session and the account are read together (`Visit::read_account`).
async fn change_password(visit: Visit, form: EditForm) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, account) = visit
        .read_account(move |_, actor, account| {
            let edit = account_edit(actor, &account);
            if !edit.any() || !edit.own_password {
                return Err(AppError::Forbidden);
            }
            Ok(account)
        })
        .await?;
    let mut errors = FieldErrors::default();
    let new = errors.check("new_password", NewPassword::parse(&form.new_password));
    let stored = account.password_hash.clone();
    let current_ok = {
        let given = form.current_password.clone();
        password::off_thread(move || password::verify(&given, &stored)).await?
    };
    if !current_ok {
        errors.add("current_password", "This is not your current password.");
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        let page = detail::build(&current, state, account, FieldErrors::default(), errors).await?;
        return render::invalid(&page);
    };
    let hash = password::off_thread(move || password::hash(new.expose())).await??;
    let id = account.id;
    let audit = current
        .audit(id, "account.password")
        .target(format!("account {}", account.username));
    state
        .tx(move |c| {
            User::set_password_hash(c, id, &hash)?;
            // Every session of this login ends, on every instance; this one is renewed below.
            session::end_all_of(c, id, None)?;
            audit.insert(c)?;
            Ok(())
        })
        .await?;
    current.session.renew();
    current.flash(
        "success",
        "Password changed. Your other sessions have been logged out.",
    );
    Ok(render::see_other(&format!("/users/{id}")))
}
