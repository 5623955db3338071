//! Security headers on every response: a Content-Security-Policy that allows only the
//! panel's own scripts, styles and images, no framing, no MIME sniffing, and no referrer
//! leaking panel URLs to other sites.

use actix_web::middleware::DefaultHeaders;

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Adds `Secure` to the session cookie when the panel is reached over https (directly, or
/// behind a proxy that says so with `X-Forwarded-Proto` / `Forwarded`).
pub async fn secure_cookie_over_https(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderValue, SET_COOKIE};
    let https = req.connection_info().scheme() == "https";
    let mut res = next.call(req).await?;
    if https {
        let cookies: Vec<HeaderValue> = res.headers().get_all(SET_COOKIE).cloned().collect();
        let headers = res.headers_mut();
        headers.remove(SET_COOKIE);
        for c in cookies {
            let value = match c.to_str() {
                Ok(s) if !s.contains("; Secure") => {
                    HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or(c)
                }
                _ => c,
            };
            headers.append(SET_COOKIE, value);
        }
    }
    Ok(res)
}
