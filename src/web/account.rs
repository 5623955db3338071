//! `VisibleAccount`: the extractor every page under `/users/{id}/…` takes instead of
//! `Current`. It is the logged-in `Current` plus the regular account the path names, loaded
//! only when the actor may see it; a missing id, an alias user's id, another tenant's
//! account or a path segment that is not a positive number are all 404, so ids reveal
//! nothing. `parse_id` and `visible_account` are the same rule for handlers that name an
//! account some other way (a JSON body, a second path segment).

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use super::current::Current;
use super::error::AppError;
use crate::access::accounts::may_view_account;
use crate::access::Actor;
use crate::db::{DbConn, DbPool};
use crate::models::user::User;
use crate::AppState;

/// The acting login and the account of the path's `{id}`, which it may see.
pub struct VisibleAccount {
    pub current: Current,
    pub account: User,
}

impl FromRequest for VisibleAccount {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<VisibleAccount, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let current = Current::from_request(req, payload);
        let raw = req.match_info().get("id").unwrap_or_default().to_owned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            // The login comes first: an anonymous visitor is sent to log in, not told 404.
            let current = current.await?;
            let state =
                state.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no app state")))?;
            let account = visible_account(&state.pool, &current.actor, parse_id(&raw)?).await?;
            Ok(VisibleAccount { current, account })
        })
    }
}

/// The regular account a path segment names, when `actor` may see it; anything else is
/// 404. For a closure that reads on a connection already (`Visit::read`).
pub fn visible_account_in(c: &mut DbConn, actor: &Actor, raw_id: &str) -> Result<User, AppError> {
    match User::find(c, parse_id(raw_id)?)? {
        Some(t) if may_view_account(actor, &t) => Ok(t),
        _ => Err(AppError::NotFound),
    }
}

/// Loads a regular account the actor may see; anything else is 404.
pub async fn visible_account(pool: &DbPool, actor: &Actor, id: i32) -> Result<User, AppError> {
    match pool.db(move |c| Ok(User::find(c, id)?)).await? {
        Some(t) if may_view_account(actor, &t) => Ok(t),
        _ => Err(AppError::NotFound),
    }
}

/// Parses an id from a path segment; anything that is not a positive number is 404.
pub fn parse_id(raw: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}
