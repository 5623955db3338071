//! PATCH /api/v1/alias-users/{aid} (role, disabled, expiry) and DELETE
//! /api/v1/alias-users/{aid}: doors to `operations::aliases::{update_in, delete_in}`, the
//! operations behind the alias user's page (its role, profile, disable, enable and delete
//! forms), so the API refuses what the page refuses and writes the rows the page writes.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::{one, target, AliasUserOut, NoSuchAlias};
use crate::operations::aliases::{self, AliasChanges};
use crate::routes::api::{ApiCall, ApiError, ErrorBody};

/// What to change; a field left out (or, for `role_id` and `disabled`, null) stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role_id": 4, "disabled": false, "expires_at": "2027-12-31"}))]
pub struct UpdateAliasRequest {
    /// One of the account's roles, holding no right the caller does not hold itself.
    #[serde(default)]
    pub role_id: Option<i32>,
    /// true disables it (its sessions end at once), false enables it.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// The last day it may log in (YYYY-MM-DD, after today); "" or null for never.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, nullable = true)]
    pub expires_at: Option<Option<String>>,
}

/// Tells a field sent as null (Some(None): "never") from one left out (None: "as it is").
fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(
    patch,
    path = "/api/v1/alias-users/{aid}",
    operation_id = "update_alias_user",
    tag = "alias users",
    params(("aid" = i32, Path, description = "Alias user id")),
    request_body = UpdateAliasRequest,
    responses(
        (status = 200, description = "Every field sent was applied (in one transaction, each audited as its page action is); the alias user as it is now", body = AliasUserOut),
        (status = 400, description = "The body is not JSON of this shape (an unknown field, a value of the wrong kind)", body = ErrorBody),
        (status = 403, description = "The login may not manage alias users, or not this one (itself, or one holding rights it does not hold), or may not grant that role", body = ErrorBody,
            example = json!({"error": "This login may not grant a role with rights it does not hold itself."})),
        NoSuchAlias,
        (status = 422, description = "Problems with the input, by field (the page's messages); nothing was changed", body = ErrorBody,
            example = json!({"error": "the input has problems; see fields", "fields": {"role_id": "Choose one of this account's roles."}})),
    ),
)]
pub async fn update(
    call: ApiCall,
    aid: web::Path<String>,
    body: web::Json<UpdateAliasRequest>,
) -> Result<HttpResponse, ApiError> {
    let out = call
        .change(move |c, caller| {
            let (t, who) = target(c, caller, &aid, "alias.update")?;
            let body = body.into_inner();
            let changes = AliasChanges {
                email: None,
                expires_at: body.expires_at.map(Option::unwrap_or_default),
                role_id: body.role_id.map(|r| r.to_string()),
                disabled: body.disabled,
            };
            aliases::update_in(c, &caller.actor, who, &t, changes)?;
            one(c, &t.account, t.alias.id)?.ok_or_else(ApiError::not_found)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[utoipa::path(
    delete,
    path = "/api/v1/alias-users/{aid}",
    operation_id = "delete_alias_user",
    tag = "alias users",
    params(("aid" = i32, Path, description = "Alias user id")),
    responses(
        (status = 204, description = "Deleted: its sessions ended, its API and SSH keys and server assignments went with it"),
        (status = 403, description = "The login may not manage alias users, or not this one (itself, or one holding rights it does not hold)", body = ErrorBody,
            example = json!({"error": "This login holds, or would hold, rights beyond your own (permissions or servers)."})),
        NoSuchAlias,
    ),
)]
pub async fn delete(call: ApiCall, aid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    call.change(move |c, caller| {
        let (t, who) = target(c, caller, &aid, "alias.delete")?;
        Ok(aliases::delete_in(c, &caller.actor, who, &t)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
