//! GET /api/v1/me: who the key acts as, in which account, with which permissions now.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::{permission_keys, timestamp, ApiCall, ApiError};

/// A regular account, as named in answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRef {
    pub id: i32,
    pub username: String,
    pub name: String,
}

/// The key that made the call.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub id: i32,
    pub name: String,
    /// The visible start of the key, e.g. `stw_AbCd1234`.
    pub prefix: String,
    /// The day (UTC) from which the key no longer works, if any.
    pub expires_on: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 41, "username": "ops-anna", "name": "ops-anna", "email": "anna@example.net", "kind": "alias", "account": {"id": 7, "username": "acme", "name": "Acme Hosting"}, "permissions": ["servers.view", "servers.power"], "key": {"id": 3, "name": "monitoring", "prefix": "stw_AbCd1234", "expires_on": "2027-06-30", "created_at": "2026-11-02T09:14:00Z"}}))]
pub struct Me {
    pub id: i32,
    pub username: String,
    pub name: String,
    pub email: String,
    /// admin, reseller, user or alias.
    pub kind: String,
    /// The account whose environment the login acts in (itself, or an alias user's parent).
    pub account: AccountRef,
    /// The login's effective permissions right now.
    pub permissions: Vec<String>,
    pub key: KeyOut,
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "account",
    responses(
        (status = 200, description = "The login the key acts as", body = Me),
    ),
)]
pub async fn me(call: ApiCall) -> Result<HttpResponse, ApiError> {
    let body = call
        .read(|_, caller| {
            let a = &caller.actor;
            let key = &caller.key;
            let account = a.account();
            Ok(Me {
                id: a.login.id,
                username: a.login.username.clone(),
                name: a.login.name.clone(),
                email: a.login.email.clone(),
                kind: a.login.kind.clone(),
                account: AccountRef {
                    id: account.id,
                    username: account.username.clone(),
                    name: account.name.clone(),
                },
                permissions: permission_keys(a.permissions),
                key: KeyOut {
                    id: key.id,
                    name: key.name.clone(),
                    prefix: key.token_prefix.clone(),
                    expires_on: key.expires_on.map(|d| d.to_string()),
                    created_at: timestamp(key.created_at),
                },
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
