//! PUT /api/v1/alias-users/{aid}/servers: states which servers an alias user reaches,
//! through `operations::aliases::set_servers_in`, the operation the Assign Servers dialog's
//! actions run too (the same reach checks, the same `alias.servers.*` audit rows).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{one, target, AliasUserOut};
use crate::operations::aliases;
use crate::routes::api::{ApiCall, ApiError, ErrorBody};

/// The servers the alias user is to reach.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"all": true, "server_ids": [12, 15]}))]
pub struct AliasServersRequest {
    /// Reach every server of the account, now and later (only for a caller that reaches
    /// them all itself). The assigned list is kept beside it.
    pub all: bool,
    /// Exactly these servers assigned (each one the account's, within the caller's
    /// reach); left out, the assigned list stays as it is. `{"all": false, "server_ids":
    /// []}` leaves it no server at all.
    #[serde(default)]
    pub server_ids: Option<Vec<i32>>,
}

/// The alias user and the servers assigned to it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"alias": {"id": 41, "username": "ops-anna", "email": "anna@example.net", "role": {"id": 3, "name": "Operators"}, "status": "active", "all_servers": false, "assigned_servers": 2, "expires_on": null, "last_login_at": null}, "server_ids": [12, 15]}))]
pub struct AliasServersOut {
    pub alias: AliasUserOut,
    /// Its assigned servers, by id (kept while `all_servers` is on).
    pub server_ids: Vec<i32>,
}

#[utoipa::path(
    put,
    path = "/api/v1/alias-users/{aid}/servers",
    operation_id = "set_alias_user_servers",
    tag = "alias users",
    params(("aid" = i32, Path, description = "Alias user id")),
    request_body = AliasServersRequest,
    responses(
        (status = 200, description = "Its servers are as stated (each change audited as the Assign Servers dialog's action)", body = AliasServersOut),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 403, description = "The login may not manage alias users, or not this one, or may not grant all servers without reaching them itself", body = ErrorBody,
            example = json!({"error": "This login may not grant all servers without reaching them itself."})),
        (status = 404, description = "No such alias user in the key's account, or a server id that is not one the caller may assign (nothing was changed)", body = ErrorBody,
            example = json!({"error": "no such server among those this login may assign"})),
    ),
)]
pub async fn set_servers(
    call: ApiCall,
    aid: web::Path<String>,
    body: web::Json<AliasServersRequest>,
) -> Result<HttpResponse, ApiError> {
    let out = call
        .change(move |c, caller| {
            let (t, who) = target(c, caller, &aid, "alias.servers")?;
            let AliasServersRequest { all, server_ids } = body.into_inner();
            let now = aliases::set_servers_in(c, &caller.actor, who, &t, all, server_ids)?;
            let alias = one(c, &t.account, t.alias.id)?.ok_or_else(ApiError::not_found)?;
            Ok(AliasServersOut {
                alias,
                server_ids: now.server_ids,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}
