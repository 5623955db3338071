//! Building the HTTP server: the middleware stack (security headers, sessions, CSRF) and
//! the one function that registers every route. Tests call `Application::build` with port
//! 0 and read the port it bound.

use std::net::TcpListener;

use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::SessionMiddleware;
use actix_web::cookie::{time::Duration, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Logger};
use actix_web::{web, App, HttpServer};

use crate::config::Settings;
use crate::db::DbPool;
use crate::routes;
use crate::web::csrf::{self, MAX_FORM_BYTES};
use crate::web::headers::security_headers;
use crate::web::session_store::DbSessionStore;
use crate::AppState;

/// Idle sessions end after this long.
pub const SESSION_IDLE_HOURS: i64 = crate::web::session_store::IDLE_HOURS;

pub struct Application {
    pub port: u16,
    pub server: Server,
}

impl Application {
    pub fn build(settings: &Settings, pool: DbPool) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, pool, settings)?;
        Ok(Application { port, server })
    }
}

fn serve(listener: TcpListener, pool: DbPool, settings: &Settings) -> anyhow::Result<Server> {
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        require_two_factor: settings.require_two_factor,
        factor_key: settings.secret_key.master().to_vec(),
    });
    let key = settings.secret_key.clone();
    let blocking_threads = pool.max_size() as usize;
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(DbSessionStore::new(pool.clone()), key.clone())
            .cookie_name("steward_session".into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            // Marked Secure by `secure_cookie_over_https` when the request came over https,
            // so that plain-http local use (the default bind) still works.
            .cookie_secure(false)
            .cookie_content_security(CookieContentSecurity::Signed)
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(Duration::hours(SESSION_IDLE_HOURS))
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_FORM_BYTES)
                    .error_handler(crate::web::error::form_rejected),
            )
            .app_data(web::QueryConfig::default().error_handler(crate::web::error::query_rejected))
            .app_data(web::JsonConfig::default().limit(64 * 1024))
            .app_data(web::PayloadConfig::default().limit(MAX_FORM_BYTES))
            .wrap(from_fn(csrf::guard))
            .wrap(sessions)
            .wrap(from_fn(crate::web::headers::secure_cookie_over_https))
            .wrap(security_headers())
            // Only the request line is logged: never add headers (`%{Authorization}i`
            // carries API keys) or bodies (passwords) to this format.
            .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(routes::register)
    })
    // Each worker's blocking threads do database work (at most one per connection, see
    // `DbPool`) and password hashing; more than the pool's size per worker would only be
    // threads waiting, each holding memory.
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .run();
    Ok(server)
}
