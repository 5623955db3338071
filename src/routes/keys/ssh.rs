//! SSH keys of a login: the list with each key's type and SHA256 fingerprint, the add form
//! (name and OpenSSH public key, checked by `domain::SshPublicKey`), and deletion. A key
//! already added to the same login is refused next to the field. Adding and deleting read
//! the session, the holder and make the change in one hand-off and one transaction
//! (`Visit::change`).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{load_owner_in, KeyPageFrame, KeyPath, Owner};
use crate::access::keys::KeyKind;
use crate::db::{self};
use crate::domain::{describe_ssh_key, ShortText, SshPublicKey};
use crate::models::ssh_key::{self, NewSshKey, SshKey, MAX_PER_LOGIN};
use crate::models::{now, user::User};
use crate::web::current::audit_entry;
use crate::web::form::FieldErrors;
use crate::web::{render, AppError, Current, Visit};
use crate::AppState;

pub struct Row {
    pub key: SshKey,
    /// "ED25519", "RSA 4096", …
    pub kind: String,
}

#[derive(Template)]
#[template(path = "keys/ssh.html")]
pub struct SshPage {
    pub frame: KeyPageFrame,
    pub rows: Vec<Row>,
    pub at_limit: bool,
    pub name: String,
    pub public_key: String,
    pub errors: FieldErrors,
}

key_page!(SshPage);

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_key: String,
}

/// GET …/ssh-keys
pub async fn page(visit: Visit, path: KeyPath) -> Result<HttpResponse, AppError> {
    let (current, (owner, keys)) = visit
        .read(move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Ssh)?;
            let keys = ssh_key::list_for(c, owner.login().id)?;
            Ok((owner, keys))
        })
        .await?;
    render::page(&assemble(&current, owner, keys, FieldErrors::default()))
}

/// The page for a request whose `Current` and holder are in hand (the add form shown
/// again after a concurrent add): the same read as a page view, in a hand-off of its own.
async fn build(
    current: &Current,
    state: &AppState,
    owner: Owner,
    errors: FieldErrors,
) -> Result<SshPage, AppError> {
    let uid = owner.login().id;
    let keys = state.db(move |c| Ok(ssh_key::list_for(c, uid)?)).await?;
    Ok(assemble(current, owner, keys, errors))
}

fn assemble(current: &Current, owner: Owner, keys: Vec<SshKey>, errors: FieldErrors) -> SshPage {
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|key| Row {
            kind: describe_ssh_key(&key.public_key),
            key,
        })
        .collect();
    SshPage {
        at_limit: rows.len() as i64 >= MAX_PER_LOGIN,
        rows,
        name: String::new(),
        public_key: String::new(),
        errors,
        frame: owner.into_frame(current, "ssh-keys"),
    }
}

/// What the add POST did: added the key, refused the input (422) with the holder's keys
/// read in the same transaction, or refused a key added meanwhile by a concurrent request
/// (see `Raced`).
enum Added {
    Yes(Owner),
    Invalid(Owner, Vec<SshKey>, FieldErrors),
    /// The insert itself refused (PostgreSQL's unique index): the failed insert leaves the
    /// transaction unusable, so the keys are read after it, in a hand-off of their own.
    /// Nothing of the request was written.
    Raced(Owner, FieldErrors),
}

const DUPLICATE: &str = "This key is already added to this login.";

/// POST …/ssh-keys (name, public_key). The session, the holder, the checks and the insert
/// are one hand-off and one transaction (`Visit::change`).
pub async fn add(
    visit: Visit,
    path: KeyPath,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let form = form.into_inner();
    let (raw_name, raw_key) = (form.name.clone(), form.public_key.clone());
    let client = visit.client();
    let (current, added) = visit
        .change(move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Ssh)?;
            let mut errors = FieldErrors::default();
            let name = errors.check("name", ShortText::parse(&raw_name, 100, true));
            let key = errors.check("public_key", SshPublicKey::parse(&raw_key));
            let uid = owner.login().id;
            let (Some(name), Some(key), true) = (name, key, errors.is_empty()) else {
                let keys = ssh_key::list_for(c, uid)?;
                return Ok(Added::Invalid(owner, keys, errors));
            };
            let audit = audit_entry(actor, &client, owner.account.id, "ssh_key.add")
                .target(format!(
                    "SSH key \"{}\" of {}",
                    name.as_str(),
                    owner.label()
                ))
                .details(format!("{} {}", key.description(), key.fingerprint()));
            // Concurrent adds for one login count one after another: the quota holds.
            User::lock_for_update(c, uid)?;
            if ssh_key::count_for(c, uid)? >= MAX_PER_LOGIN {
                errors.add(
                    "public_key",
                    format!("A login holds at most {MAX_PER_LOGIN} SSH keys. Delete one first."),
                );
                let keys = ssh_key::list_for(c, uid)?;
                return Ok(Added::Invalid(owner, keys, errors));
            }
            if ssh_key::fingerprint_taken(c, uid, key.fingerprint())? {
                errors.add("public_key", DUPLICATE);
                let keys = ssh_key::list_for(c, uid)?;
                return Ok(Added::Invalid(owner, keys, errors));
            }
            let inserted = NewSshKey {
                user_id: uid,
                name: name.as_str(),
                public_key: key.as_openssh(),
                fingerprint: key.fingerprint(),
                created_at: now(),
            }
            .insert(c);
            match inserted {
                Ok(_) => {}
                // Added by a concurrent request since the check above.
                Err(e) if db::is_unique_violation(&e) => {
                    errors.add("public_key", DUPLICATE);
                    return Ok(Added::Raced(owner, errors));
                }
                Err(e) => return Err(e.into()),
            }
            audit.insert(c)?;
            Ok(Added::Yes(owner))
        })
        .await?;
    match added {
        Added::Yes(owner) => {
            current.flash("success", "SSH key added.");
            Ok(render::see_other(&format!("{}/ssh-keys", owner.base_url())))
        }
        Added::Invalid(owner, keys, errors) => {
            invalid(assemble(&current, owner, keys, errors), &form)
        }
        Added::Raced(owner, errors) => invalid(build(&current, state, owner, errors).await?, &form),
    }
}

/// The add form shown again (422) with what was typed.
fn invalid(mut page: SshPage, form: &AddForm) -> Result<HttpResponse, AppError> {
    page.name = form.name.clone();
    // A private key pasted by mistake is not sent back (or kept in any cache).
    page.public_key = if form.public_key.contains("PRIVATE KEY") {
        String::new()
    } else {
        form.public_key.clone()
    };
    render::invalid(&page)
}

/// POST …/ssh-keys/{kid}/delete: one hand-off and one transaction, like `add`.
pub async fn delete(visit: Visit, path: KeyPath) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, base_url) = visit
        .change(move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Ssh)?;
            let kid = path.kid()?;
            let uid = owner.login().id;
            let Some(key) = ssh_key::find_for(c, uid, kid)? else {
                return Err(AppError::NotFound);
            };
            ssh_key::delete(c, uid, kid)?;
            audit_entry(actor, &client, owner.account.id, "ssh_key.delete")
                .target(format!("SSH key \"{}\" of {}", key.name, owner.label()))
                .details(key.fingerprint)
                .insert(c)?;
            Ok(owner.base_url())
        })
        .await?;
    current.flash("success", "SSH key deleted.");
    Ok(render::see_other(&format!("{base_url}/ssh-keys")))
}
