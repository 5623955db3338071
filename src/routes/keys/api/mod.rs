//! API keys of a login: the list (name, visible prefix, created, expiry, last use, status),
//! creation with a name (unique among the login's live keys) and optional expiry, and
//! revocation. Creation is Post/Redirect/Get: the POST makes the key and answers 303 to
//! the list, which shows the secret exactly once (`Cache-Control: no-store`), so a reload
//! never makes a second key. Between the two requests the secret waits in the session
//! sealed under the browser's cookie (`security::sealed`); the page that shows it removes
//! it. It is never put in a flash message, a URL, a log line or an audit row, and the
//! database keeps only its SHA-256.
//!
//! `page` shows the list and the form, `create` makes a key, and this file revokes one.

mod create;
mod page;

pub use create::{create, CreateForm};
pub use page::page;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::{load_owner_in, KeyPath};
use crate::access::changes::credentials_change;
use crate::access::keys::KeyKind;
use crate::models::api_key;
use crate::models::now;
use crate::security::sealed::Sealed;
use crate::web::current::audit_entry;
use crate::web::{render, AppError, Visit};

/// What waits in the session between the creating POST and the page that shows the key.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Waiting {
    /// The key page it belongs to (another login's key page leaves it waiting).
    pub(super) page: String,
    pub(super) key_id: i32,
    pub(super) name: String,
    pub(super) sealed: Sealed,
}

/// POST …/api-keys/{kid}/revoke: the session, the key's holder and the revocation in one
/// hand-off and one transaction.
pub async fn revoke(visit: Visit, path: KeyPath) -> Result<HttpResponse, AppError> {
    let client = visit.client();
    let (current, (base, revoked)) = visit
        .change(move |c, actor| {
            let owner = load_owner_in(c, actor, &path, KeyKind::Api)?;
            let kid = path.kid()?;
            let uid = owner.login().id;
            let audit = audit_entry(actor, &client, owner.account.id, "api_key.revoke");
            let label = owner.label();
            let revoked = credentials_change(c, actor, uid, |c| -> Result<_, AppError> {
                let Some(key) = api_key::find_for(c, uid, kid)? else {
                    return Err(AppError::NotFound);
                };
                if key.is_revoked() {
                    return Ok(false);
                }
                api_key::revoke(c, uid, kid, now())?;
                audit
                    .target(format!("API key \"{}\" of {label}", key.name))
                    .details(format!("prefix={}…", key.token_prefix))
                    .insert(c)?;
                Ok(true)
            })?;
            Ok((owner.base_url(), revoked))
        })
        .await?;
    if revoked {
        current.flash("success", "API key revoked. It stops working at once.");
    } else {
        current.flash("success", "This API key was already revoked.");
    }
    Ok(render::see_other(&format!("{base}/api-keys")))
}
