//! Who is on the other end of a request, for audit rows, Login History and throttling:
//! the client address and the user agent. This is the one place that decides the address:
//! the socket's peer, or, when the peer is a trusted proxy (`STEWARD_TRUSTED_PROXIES`),
//! the address the proxy names (`client_addr`). Never read `peer_addr` or a forwarding
//! header anywhere else.

use actix_web::http::header::{HeaderName, FORWARDED, USER_AGENT};
use actix_web::HttpRequest;

use super::client_addr::TrustedProxies;

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let ip = match req.peer_addr() {
            Some(peer) => match req.app_data::<TrustedProxies>() {
                Some(trusted) => {
                    let header = |name: &HeaderName| -> Vec<&str> {
                        req.headers()
                            .get_all(name)
                            .filter_map(|v| v.to_str().ok())
                            .collect()
                    };
                    let xff = header(&HeaderName::from_static("x-forwarded-for"));
                    trusted
                        .client_ip(peer.ip(), &xff, &header(&FORWARDED))
                        .to_string()
                }
                None => peer.ip().to_string(),
            },
            None => "unknown".into(),
        };
        let user_agent = req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect())
            .unwrap_or_default();
        ClientInfo { ip, user_agent }
    }
}
