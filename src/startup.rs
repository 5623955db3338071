//! Building the HTTP server: the middleware stack (security headers, connection cap, body
//! deadline, sessions, per-login limit, CSRF, metrics), the limits of `web::limits`, the
//! health probe, the purge task, the mail and driver workers, the one function that registers every route, and the
//! separate metrics listener when `STEWARD_METRICS_BIND` is set. Tests call
//! `Application::build` with port 0 and read the ports it bound.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders, Logger};
use actix_web::{web, App, HttpServer};

use std::sync::Arc;

use crate::config::Settings;
use crate::db::probe::Probe;
use crate::db::DbPool;
use crate::jobs::purge;
use crate::routes;
use crate::routes::api::throttle::KeyGuesses;
use crate::web::body_deadline::{self, BodyBudget};
use crate::web::connections::{self, Connections};
use crate::web::csrf::{self, MAX_FORM_BYTES};
use crate::web::headers::security_headers;
use crate::web::in_flight::{self, InFlight};
use crate::web::limits::Limits;
use crate::web::login_csrf::LoginCsrf;
use crate::web::session::{self, CookieSettings, Sessions};
use crate::AppState;

/// Idle sessions end after this long.
pub const SESSION_IDLE_HOURS: i64 = session::IDLE_HOURS;

/// How long a stopping server lets requests in flight finish before it drops them.
pub const SHUTDOWN_GRACE_SECONDS: u64 = 30;

/// The session cookie's name over plain http; over https it gets the `__Host-` prefix,
/// which browsers accept only with Secure, Path=/ and no Domain (so no other host or
/// plain-http page can plant or overwrite it).
pub const SESSION_COOKIE: &str = "steward_session";
pub const SESSION_COOKIE_HTTPS: &str = "__Host-steward_session";

/// `Strict-Transport-Security` when `STEWARD_PUBLIC_URL` is https: one year, this host only.
pub const HSTS: &str = "max-age=31536000";

pub struct Application {
    pub port: u16,
    pub server: Server,
    /// The metrics listener's port and server, when `STEWARD_METRICS_BIND` is set.
    pub metrics: Option<(u16, Server)>,
    /// The mail worker, to stop after the server at SIGTERM (it finishes its send).
    pub mail: crate::jobs::mail::MailWorker,
    /// The driver worker, to stop after the server at SIGTERM (it finishes its calls).
    pub driver: crate::jobs::driver::DriverWorker,
    /// The request bodies' memory budget the server draws from: what it holds can be read
    /// (a test waits until a stalled body is counted instead of sleeping for it).
    pub body_budget: Arc<BodyBudget>,
}

impl Application {
    /// The server with the limits of the environment (`Limits::from_env`).
    pub fn build(settings: &Settings, pool: DbPool) -> anyhow::Result<Application> {
        Application::build_with(settings, pool, Limits::from_env()?)
    }

    /// The server with the given limits (tests use small ones).
    pub fn build_with(
        settings: &Settings,
        pool: DbPool,
        limits: Limits,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let metrics = match &settings.metrics_bind {
            Some(bind) => {
                let listener = TcpListener::bind(bind)?;
                let port = listener.local_addr()?.port();
                Some((port, crate::web::metrics::serve(listener, pool.clone())?))
            }
            None => None,
        };
        let transport = crate::mail::transport::Transport::new(
            settings.smtp_url.as_deref(),
            &settings.mail_from,
        )?;
        let mail = crate::jobs::mail::start(pool.clone(), transport, limits.mail_poll);
        let jobs = crate::jobs::driver::Jobs::default();
        let driver = crate::jobs::driver::start(
            pool.clone(),
            jobs.clone(),
            crate::jobs::driver::Settings {
                poll: limits.driver_poll,
                timeout: limits.driver_timeout,
            },
        );
        let body_budget = Arc::new(BodyBudget::default());
        let server = serve(listener, pool, settings, limits, jobs, body_budget.clone())?;
        Ok(Application {
            port,
            server,
            metrics,
            mail,
            driver,
            body_budget,
        })
    }
}

fn serve(
    listener: TcpListener,
    pool: DbPool,
    settings: &Settings,
    limits: Limits,
    jobs: crate::jobs::driver::Jobs,
    body_budget: Arc<BodyBudget>,
) -> anyhow::Result<Server> {
    let pool = pool.with_search_deadline(limits.search_deadline);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    log::info!(
        "limits: {} open files allowed, so {} client connections ({} per worker, {} for pages), \
         {} new connections/s, request body deadline {} s, {} requests in flight per login",
        limits.fd_limit,
        limits.max_connections,
        limits.per_worker_connections(workers),
        limits.page_connections(),
        limits.max_connection_rate,
        limits.body_deadline.as_secs(),
        limits.max_in_flight
    );
    let factor_key = settings.secret_key.master().to_vec();
    let passkeys = crate::security::passkey::RelyingParty::new(
        &crate::security::passkey::public_origin(
            settings.public_url.as_deref(),
            listener.local_addr()?.port(),
        ),
        &factor_key,
    );
    match &passkeys {
        Ok(rp) => log::info!("passkeys: relying party {} at {}", rp.id, rp.origin),
        Err(why) => log::warn!("passkeys are off: {why}"),
    }
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        require_two_factor: settings.require_two_factor,
        factor_key,
        passkeys: std::sync::Arc::new(passkeys),
        links: crate::mail::Links::new(&settings.public_url.clone().unwrap_or_else(|| {
            format!(
                "http://{}",
                listener
                    .local_addr()
                    .map_or_else(|_| settings.bind.clone(), |a| a.to_string())
            )
        })),
        jobs,
        driver_wait: limits.driver_wait,
    });
    let key = settings.secret_key.clone();
    let https = settings.https();
    let trusted_proxies = settings.trusted_proxies.clone();
    let blocking_threads = pool.max_size() as usize;
    let connections = Connections::new(&limits);
    let shared = Shared {
        limits: web::Data::new(limits.clone()),
        budget: web::Data::new(body_budget),
        in_flight: web::Data::new(Arc::new(InFlight::default())),
        guesses: web::Data::new(KeyGuesses::new(limits.api_key_failures_per_minute)),
        login_csrf: web::Data::new(LoginCsrf::new(&key).secure(settings.https())),
        sessions: web::Data::new(Sessions {
            pool: pool.clone(),
            cookie: CookieSettings {
                name: if https {
                    SESSION_COOKIE_HTTPS
                } else {
                    SESSION_COOKIE
                }
                .into(),
                // With an https public URL always Secure; otherwise marked Secure by
                // `secure_cookie_over_https` when a request came over https, so that
                // plain-http local use (the default bind) still works.
                secure: https,
                key: key.clone(),
            },
            known: Default::default(),
        }),
        probe: web::Data::from(Probe::start(
            &settings.database_url,
            pool.clone(),
            limits.ready_heartbeat,
        )),
    };
    purge::start(
        pool.clone(),
        purge::Retention {
            every: limits.purge_interval,
            login_attempts: chrono::Duration::minutes(
                crate::models::throttle::BACKSTOP_WINDOW_MINUTES,
            ) + chrono::Duration::days(limits.login_history_days),
            audit: limits.audit_days.map(chrono::Duration::days),
        },
    );
    let on_connect = connections.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(trusted_proxies.clone())
            .app_data(shared.limits.clone())
            .app_data(shared.budget.clone())
            .app_data(shared.in_flight.clone())
            .app_data(shared.guesses.clone())
            .app_data(shared.login_csrf.clone())
            .app_data(shared.sessions.clone())
            .app_data(shared.probe.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_FORM_BYTES)
                    .error_handler(crate::web::error::form_rejected),
            )
            .app_data(web::QueryConfig::default().error_handler(crate::web::error::query_rejected))
            .app_data(web::JsonConfig::default().limit(64 * 1024))
            .app_data(web::PayloadConfig::default().limit(MAX_FORM_BYTES))
            // Innermost first: CSRF (reads form bodies), the per-login limit (needs the
            // session), sessions (with honest 503s for sessions that cannot be saved), secure
            // cookies, then the body deadline and the connection cap, which must see every
            // request before anything reads its body.
            .wrap(from_fn(csrf::guard))
            .wrap(from_fn(in_flight::guard))
            .wrap(from_fn(session::middleware))
            .wrap(from_fn(crate::web::headers::secure_cookie_over_https))
            .wrap(from_fn(body_deadline::guard))
            .wrap(from_fn(connections::guard))
            .wrap(security_headers())
            .wrap(Condition::new(
                https,
                DefaultHeaders::new().add(("Strict-Transport-Security", HSTS)),
            ))
            // Only the request line is logged: never add headers (`%{Authorization}i`
            // carries API keys) or bodies (passwords) to this format. The address is the
            // one `ClientInfo` decides (actix's own `%a` believes any forwarding header).
            .wrap(
                Logger::new("%{client}xi \"%r\" %s %b %Dms")
                    .custom_request_replace("client", |req| {
                        crate::web::client::ClientInfo::of(req.request()).ip
                    }),
            )
            .wrap(from_fn(crate::web::metrics::record))
            .configure(routes::register)
    })
    // Each worker's blocking threads do database work (at most one per connection, see
    // `DbPool`) and password hashing; more than the pool's size per worker would only be
    // threads waiting, each holding memory.
    .worker_max_blocking_threads(blocking_threads)
    // Signals are handled by `ops::shutdown` (actix's own treats SIGINT as a forced stop).
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE_SECONDS)
    .workers(workers)
    .max_connections(limits.per_worker_connections(workers))
    // Counts only TLS handshakes, which the panel does not terminate (a proxy does); the
    // rate of plain connections is limited by `Connections`.
    .max_connection_rate(limits.max_connection_rate as usize)
    .client_request_timeout(limits.client_request_timeout)
    .client_disconnect_timeout(limits.client_disconnect_timeout)
    .keep_alive(limits.keep_alive)
    .on_connect(move |_, ext| on_connect.on_connect(ext))
    .listen(listener)?
    .run();
    Ok(server)
}

/// What every worker's App shares (one of each per server).
struct Shared {
    limits: web::Data<Limits>,
    budget: web::Data<Arc<BodyBudget>>,
    in_flight: web::Data<Arc<InFlight>>,
    guesses: web::Data<KeyGuesses>,
    login_csrf: web::Data<LoginCsrf>,
    probe: web::Data<Probe>,
    sessions: web::Data<Sessions>,
}
