//! Running Steward in production: client addresses behind trusted proxies,
//! fair login throttling and its admin page, cookies and HSTS over https, metrics on
//! their own port, online SQLite backups, graceful shutdown, and the shipped artefacts
//! (the binary's links, the systemd unit, the Debian package).

mod backup;
mod client_addr;
mod cookies;
mod metrics;
mod packaging;
mod postgres_tls;
mod request_path;
mod shutdown;
mod throttling;

use crate::helpers::Browser;

/// A browser whose every request says it was forwarded for `client` (as a proxy's
/// `X-Forwarded-For` would), with its own cookie jar.
pub fn browser_via_proxy(address: &str, client: &str) -> Browser {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client.parse().unwrap());
    Browser {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .unwrap(),
        address: address.to_string(),
        jar,
    }
}

/// Trusts the test client's own address (loopback) as the proxy.
pub fn behind_loopback_proxy(s: &mut steward::config::Settings) {
    s.trusted_proxies = steward::web::client_addr::TrustedProxies::parse("127.0.0.1/32").unwrap();
}

/// `backend_tests!` with the settings adjusted by `$adjust` (a path from the crate root).
#[macro_export]
macro_rules! backend_tests_with {
    ($adjust:path; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn_app_with(steward::db::Backend::Sqlite, $adjust).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::spawn_app_with(steward::db::Backend::Postgres, $adjust).await).await;
                }
            }
        )*
    };
}
