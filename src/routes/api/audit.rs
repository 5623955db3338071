//! GET /api/v1/audit: the key's account's audit log, newest first, 50 a page — the same
//! entries and the same rule as the Activity tab (`access::activity::may_view_activity`):
//! an alias user with activity.view sees the entries but not other logins' addresses.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{list_page, timestamp, ApiCall, ApiError, ErrorBody, PER_PAGE};
use crate::access::activity::{may_view_activity, IpVisibility};
use crate::models::audit::{self, AuditFilter};
use crate::web::pagination::ListQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Page number, from 1; pages hold 50 entries.
    pub page: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i32,
    pub at: String,
    /// The login that acted (the impersonated login while impersonating).
    pub actor: String,
    /// The real person while impersonating.
    pub impersonator: Option<String>,
    #[schema(example = "server.power")]
    pub action: String,
    #[schema(example = "server web1.example.net")]
    pub target: String,
    #[schema(example = "on")]
    pub details: String,
    /// Empty where the key's login may not see other logins' addresses.
    pub ip: String,
    /// Done through the JSON API.
    pub via_api: bool,
}

list_page!(
    #[schema(example = json!({"items": [{"id": 501, "at": "2026-11-30T21:04:11Z", "actor": "ops-anna", "impersonator": null, "action": "server.power", "target": "server web1.example.net", "details": "reset", "ip": "198.51.100.7", "via_api": true}], "total": 1, "page": 1, "pages": 1, "per_page": 50}))]
    AuditPage of AuditOut
);

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit_entries",
    tag = "account",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of the account's audit log, newest first", body = AuditPage),
        (status = 403, description = "The key's login may not view the account's activity", body = ErrorBody),
    ),
)]
pub async fn list(call: ApiCall, query: web::Query<AuditParams>) -> Result<HttpResponse, ApiError> {
    let page_no = ListQuery {
        q: String::new(),
        page: query.page.clone(),
        add: None,
    }
    .page();
    let (page, ips, me) = call
        .read(move |c, caller| {
            let account = caller.actor.account();
            let ips = may_view_activity(&caller.actor, account).ok_or(ApiError::Forbidden(
                "this key's login may not view the account's activity",
            ))?;
            let filter = AuditFilter {
                account_id: Some(account.id),
                login: String::new(),
                action: String::new(),
            };
            let page = audit::list(c, &filter, page_no, PER_PAGE)?;
            Ok((page, ips, caller.actor.login.id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(AuditPage::new(page, |row| {
        let (id, e) = (row.id, row.written);
        let own = e.by_login_itself(me);
        AuditOut {
            id,
            at: timestamp(e.created_at),
            actor: e.actor_name,
            impersonator: e.impersonator_name,
            action: e.action,
            target: e.target,
            details: e.details,
            ip: if ips == IpVisibility::All || own {
                e.ip
            } else {
                String::new()
            },
            via_api: e.via_api,
        }
    })))
}
