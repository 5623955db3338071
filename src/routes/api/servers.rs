//! Servers through the API: the list within the key's reach (search and pages of 50), one
//! server, and power actions. A server outside the reach is 404, as on the pages; power
//! needs servers.power and is audited (via_api) in the same transaction as the change.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{list_page, path_id, refusal, ApiCall, ApiCaller, ApiError, ErrorBody, PER_PAGE};
use crate::access::servers::{find_reachable, may_view_servers};
use crate::db::{deadline, DbConn};
use crate::driver::PowerAction;
use crate::models::server::Server;
use crate::models::server_job;
use crate::operations::servers as servers_op;
use crate::operations::OpError;
use crate::web::pagination::ListQuery;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 12, "hostname": "web1.example.net", "name": "Web 1", "primary_ip": "203.0.113.10", "location": "FRA1", "tags": ["web", "prod"], "os": "Debian 12", "power_state": "on", "status": "active", "cpu": "2x Xeon Silver 4310", "memory_gb": 128, "disks": "2x 960 GB NVMe"}))]
pub struct ServerOut {
    pub id: i32,
    pub hostname: String,
    pub name: String,
    pub primary_ip: String,
    pub location: String,
    pub tags: Vec<String>,
    pub os: String,
    /// "on" or "off".
    pub power_state: String,
    pub status: String,
    pub cpu: String,
    pub memory_gb: i32,
    pub disks: String,
}

impl From<Server> for ServerOut {
    fn from(s: Server) -> Self {
        ServerOut {
            id: s.id,
            hostname: s.hostname,
            name: s.name,
            primary_ip: s.primary_ip,
            location: s.location,
            tags: s
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            os: s.os,
            power_state: s.power_state,
            status: s.status,
            cpu: s.cpu,
            memory_gb: s.memory_gb,
            disks: s.disks,
        }
    }
}

list_page!(
    #[schema(example = json!({"items": [{"id": 12, "hostname": "web1.example.net", "name": "Web 1", "primary_ip": "203.0.113.10", "location": "FRA1", "tags": ["web", "prod"], "os": "Debian 12", "power_state": "on", "status": "active", "cpu": "2x Xeon Silver 4310", "memory_gb": 128, "disks": "2x 960 GB NVMe"}], "total": 1, "page": 1, "pages": 1, "per_page": 50}))]
    ServerPage of ServerOut,
    total: " Servers matching the search, on all pages."
);

refusal!(NotViewingServers, "403", "The login lacks servers.view");
refusal!(NoSuchServer, "404", "No such server within the key's reach");

/// Search and page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Matches hostname, name, IP address or tag (servers), username or e-mail (alias users).
    #[serde(default, deserialize_with = "crate::domain::search::optional_text")]
    pub q: Option<String>,
    /// Page number, from 1; pages hold 50 items.
    pub page: Option<String>,
}

impl ListParams {
    /// The search text and the page number (anything but a positive number is page 1).
    pub fn search(&self) -> (String, i64) {
        let query = ListQuery {
            q: self.q.clone().unwrap_or_default(),
            page: self.page.clone(),
            add: None,
        };
        let page = query.page();
        (query.q, page)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/servers",
    operation_id = "list_servers",
    tag = "servers",
    params(ListParams),
    responses(
        (status = 200, description = "A page of the servers the key reaches", body = ServerPage),
        NotViewingServers,
    ),
)]
pub async fn list(call: ApiCall, query: web::Query<ListParams>) -> Result<HttpResponse, ApiError> {
    let state = call.state();
    let (text, page_no) = query.search();
    let limit = state.pool.search_deadline();
    let page = call
        .read(move |c, caller| {
            viewer(caller)?;
            let reach = &caller.actor.reach;
            let work =
                |c: &mut DbConn| Ok(Server::list_within(c, reach, &text, page_no, PER_PAGE)?);
            // A search has a statement deadline: past it, 503 "narrow it", not a held
            // connection.
            Ok(if text.trim().is_empty() {
                work(c)?
            } else {
                deadline::bounded_in_transaction(c, limit, work)?
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ServerPage::new(page, ServerOut::from)))
}

/// 403 unless the caller may view servers.
fn viewer(caller: &ApiCaller) -> Result<(), ApiError> {
    if !may_view_servers(&caller.actor) {
        return Err(ApiError::Forbidden("this key's login may not view servers"));
    }
    Ok(())
}

/// The server `raw` names if the caller reaches it; otherwise 404.
fn reached(c: &mut DbConn, caller: &ApiCaller, raw: &str) -> Result<Server, ApiError> {
    Server::find_within(c, &caller.actor.reach, path_id(raw)?)?
        .ok_or_else(|| ApiError::NotFound("no such server".into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/servers/{sid}",
    operation_id = "show_server",
    tag = "servers",
    params(("sid" = i32, Path, description = "Server id")),
    responses(
        (status = 200, description = "The server", body = ServerOut),
        NotViewingServers,
        NoSuchServer,
    ),
)]
pub async fn show(call: ApiCall, sid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let server = call
        .read(move |c, caller| {
            viewer(caller)?;
            reached(c, caller, &sid)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ServerOut::from(server)))
}

/// The power action to carry out.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PowerActionName {
    On,
    Off,
    Reset,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"action": "reset"}))]
pub struct PowerRequest {
    pub action: PowerActionName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    pub id: i32,
    pub kind: String,
    /// The action ("on", "off", "reset").
    pub detail: String,
    /// `done`; `failed` (see `outcome`); or, when the controller has not answered within
    /// the panel's wait (`STEWARD_DRIVER_WAIT_MS`), `queued` or `calling`.
    pub status: String,
    /// The controller's answer, or why the call failed; empty while pending.
    pub outcome: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"server": {"id": 12, "hostname": "web1.example.net", "name": "Web 1", "primary_ip": "203.0.113.10", "location": "FRA1", "tags": ["web", "prod"], "os": "Debian 12", "power_state": "on", "status": "active", "cpu": "2x Xeon Silver 4310", "memory_gb": 128, "disks": "2x 960 GB NVMe"}, "job": {"id": 88, "kind": "power", "detail": "reset", "status": "done", "outcome": "done"}}))]
pub struct PowerResult {
    pub server: ServerOut,
    pub job: JobOut,
}

/// An operation's refusal as the API answers it.
fn op_error(e: OpError) -> ApiError {
    match e {
        OpError::Forbidden(_) => ApiError::Forbidden("this key may not switch server power"),
        other => other.into(),
    }
}

/// Reads `{"action": "on"|"off"|"reset"}`: unreadable JSON is 400, a wrong action 422.
fn power_action(body: &[u8]) -> Result<PowerAction, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("the body must be JSON like {\"action\": \"on\"}".into())
    })?;
    value
        .get("action")
        .and_then(|a| a.as_str())
        .and_then(PowerAction::parse)
        .ok_or_else(|| {
            ApiError::Unprocessable("action must be one of \"on\", \"off\", \"reset\"".into())
        })
}

#[utoipa::path(
    post,
    path = "/api/v1/servers/{sid}/power",
    tag = "servers",
    params(("sid" = i32, Path, description = "Server id")),
    request_body = PowerRequest,
    responses(
        (status = 200, description = "The action was queued and, unless the controller is slow, carried out (see the job's status)", body = PowerResult),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 403, description = "The login lacks servers.power", body = ErrorBody),
        NoSuchServer,
        (status = 409, description = "The server is being reinstalled", body = ErrorBody),
        (status = 422, description = "Unknown action", body = ErrorBody),
    ),
)]
pub async fn power(
    call: ApiCall,
    sid: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let state = call.state();
    // The key, the server and the queued job in one write; the driver is called after it,
    // outside any transaction, so the answer below is read in a second hand-off.
    let (sid, job, reach) = call
        .change(move |c, caller| {
            // The same checks, in the same order, as the page: outside the reach is 404
            // whatever the permission; then the permission (403); then the input
            // (400/422).
            let sid = path_id(&sid)?;
            let server = find_reachable(c, &caller.actor, sid)?
                .ok_or_else(|| ApiError::NotFound("no such server".into()))?;
            // The same operation as the page's (`operations::servers::power_in`): the same
            // checks, the same audit row.
            servers_op::may_power(&caller.actor, &server).map_err(op_error)?;
            let action = power_action(&body)?;
            servers_op::busy(&server).map_err(op_error)?;
            let who = caller.audit(caller.actor.account_id(), "server.power");
            let job =
                servers_op::power_in(c, &caller.actor, who, &server, action).map_err(op_error)?;
            Ok((sid, job, caller.actor.reach.clone()))
        })
        .await?;
    // The page's wait too: a quick controller's answer is in this response; a slow one's
    // job is still `queued` or `calling`, and GET .../servers/{sid} shows when it ended.
    state.jobs.outcome(job, state.driver_wait).await;
    let (server, job) = state
        .db(move |c| {
            let server = Server::find_within(c, &reach, sid)?;
            let job = server_job::find(c, job)?;
            Ok((server, job))
        })
        .await?;
    let server = server.ok_or_else(ApiError::not_found)?;
    let job = job.ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(PowerResult {
        server: server.into(),
        job: JobOut {
            id: job.id,
            kind: job.kind,
            detail: job.detail,
            status: job.status,
            outcome: job.outcome,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_bodies_are_read_strictly() {
        assert_eq!(
            power_action(br#"{"action":"off"}"#).unwrap(),
            PowerAction::Off
        );
        assert!(matches!(
            power_action(b"not json"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            power_action(br#"{"action":"explode"}"#),
            Err(ApiError::Unprocessable(_))
        ));
        assert!(matches!(
            power_action(b"{}"),
            Err(ApiError::Unprocessable(_))
        ));
    }
}
