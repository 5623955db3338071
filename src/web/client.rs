//! Who is on the other end of a request, for audit rows and throttling: the peer address
//! (not a client-supplied header, which anyone can forge) and the user agent.

use actix_web::HttpRequest;

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let ip = req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect())
            .unwrap_or_default();
        ClientInfo { ip, user_agent }
    }
}
