//! GET /api/v1/keys/current: what the calling key may do right now — its grants as made,
//! and what they come to against its login's current rights (the intersection the
//! `ApiCall` applied), so a script can check its scope before it acts.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::{permission_keys, timestamp, ApiCall, ApiError, ErrorBody};
use crate::models::server::Server;

/// How many reachable servers of a key limited to chosen servers are listed.
const LISTED: i64 = 100;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "name": "Backup script", "prefix": "stw_AbCd1234", "login": "acme-ops",
    "created_at": "2026-11-30T12:00:00Z", "expires_on": null, "last_used_at": null,
    "granted_permissions": ["servers.view"], "permissions": ["servers.view"],
    "server_scope": "chosen", "server_ids": [12], "allowed_ips": ["203.0.113.0/24"]
}))]
pub struct CurrentKey {
    pub id: i32,
    pub name: String,
    /// The visible start of the key.
    pub prefix: String,
    /// The login the key belongs to.
    pub login: String,
    pub created_at: String,
    /// The day (UTC) from which the key no longer works, if any.
    pub expires_on: Option<String>,
    pub last_used_at: Option<String>,
    /// What the key was granted when it was made; null for "all of its login's".
    pub granted_permissions: Option<Vec<String>>,
    /// What it may do now: its grants ∩ its login's current permissions.
    pub permissions: Vec<String>,
    /// "all" (every server its login reaches) or "chosen".
    pub server_scope: String,
    /// For "chosen": the chosen servers its login still reaches (at most 100).
    pub server_ids: Option<Vec<i32>>,
    /// The networks it may be used from; empty for anywhere.
    pub allowed_ips: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/keys/current",
    tag = "account",
    responses(
        (status = 200, description = "What the calling key may do now", body = CurrentKey),
        (status = 403, description = "Called from outside the key's allowed addresses", body = ErrorBody),
    ),
)]
pub async fn current(call: ApiCall) -> Result<HttpResponse, ApiError> {
    let body = call
        .read(|c, caller| {
            let key = &caller.key;
            let server_ids = if key.all_servers {
                None
            } else {
                let page = Server::list_within(c, &caller.actor.reach, "", 1, LISTED)?;
                Some(page.rows.into_iter().map(|s| s.id).collect())
            };
            Ok(CurrentKey {
                id: key.id,
                name: key.name.clone(),
                prefix: key.token_prefix.clone(),
                login: caller.actor.login.username.clone(),
                created_at: timestamp(key.created_at),
                expires_on: key.expires_on.map(|d| d.to_string()),
                last_used_at: key.last_used_at.map(timestamp),
                granted_permissions: key
                    .permissions
                    .as_deref()
                    .map(|p| p.split_whitespace().map(str::to_string).collect()),
                permissions: permission_keys(caller.actor.permissions),
                server_scope: if key.all_servers { "all" } else { "chosen" }.into(),
                server_ids,
                allowed_ips: key.allowed_ips().networks(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
