//! The test harness: `spawn_app(backend)` starts the real server on a free port with a
//! fresh database (an SQLite file in a temporary folder, or a new PostgreSQL database),
//! and `Browser` is a cookie-keeping HTTP client that does not follow redirects.
//! `backend_tests!` runs each test on both backends. Test data: `builders`; the JSON API
//! as tests call it: `api`; every row of the database, for "a refused request changed
//! nothing": `snapshot`; ports, the cookie secret and console commands for tests that start
//! the binary: `net`. Below: accounts (`tenants`), a browser's requests (`Browser`), and
//! API keys made through their page (`create_api_key`).

pub mod api;
pub mod builders;
pub mod net;
pub mod snapshot;

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::redirect::Policy;
use steward::config::Settings;
use steward::db::{self, Backend, DbPool};
use steward::models::now;
use steward::models::user::NewUser;
use steward::startup::Application;

pub const PASSWORD: &str = "test-password-123";

/// The PostgreSQL server the tests use (trust auth on this machine and in CI).
pub fn postgres_base() -> String {
    std::env::var("STEWARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Asserts a response's status code; on a mismatch the message names the URL that
/// answered and the status it gave, which a bare `assert_eq!` on two numbers does not.
#[macro_export]
macro_rules! assert_status {
    ($res:expr, $status:expr $(,)?) => {{
        let res = &$res;
        assert_eq!(
            res.status().as_u16(),
            $status,
            "{} answered {}",
            res.url(),
            res.status()
        );
    }};
    ($res:expr, $status:expr, $($why:tt)+) => {{
        let res = &$res;
        assert_eq!(
            res.status().as_u16(),
            $status,
            "{} answered {}: {}",
            res.url(),
            res.status(),
            format!($($why)+)
        );
    }};
}

/// Runs each listed test once per backend: `mod name { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn_app(steward::db::Backend::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::spawn_app(steward::db::Backend::Postgres).await).await;
                }
            }
        )*
    };
}

#[allow(dead_code)] // Fields used by some test files only.
pub struct TestApp {
    pub address: String,
    /// The metrics listener, when the settings asked for one.
    pub metrics_address: Option<String>,
    pub pool: DbPool,
    pub backend: Backend,
    pub database_url: String,
    _dir: Option<TempDir>,
    /// The SMTP server this app sends its mail to (started for every app, so that every
    /// mail the tests cause really crosses SMTP; `spawn_app_with_mail` names its own).
    pub mail: crate::mail::sink::SmtpSink,
    /// The app's mail and driver workers: they stop when the app is dropped.
    _workers: (
        steward::jobs::mail::MailWorker,
        steward::jobs::driver::DriverWorker,
    ),
    /// The request bodies' memory budget of the running server (what it holds now).
    pub body_budget: std::sync::Arc<steward::web::body_deadline::BodyBudget>,
}

/// A temporary folder removed on drop.
pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "steward_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        steward::security::token::random_password(6).to_lowercase()
    )
}

pub fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

/// A fresh, empty database of the given backend; answers its URL.
pub fn fresh_database(backend: Backend) -> (String, Option<String>, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = temp_dir();
            let url = dir.0.join("steward.db").to_string_lossy().to_string();
            (url, None, Some(dir))
        }
        Backend::Postgres => {
            let name = unique_name();
            let admin_url = format!("{}/postgres", postgres_base());
            let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for the test suite and was not reachable at {admin_url}: {e}. \
                     Start it (see .ci/run) or point STEWARD_TEST_POSTGRES at one."
                )
            });
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            (format!("{}/{name}", postgres_base()), Some(name), None)
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_custom(backend, |_| {}, test_limits()).await
}

/// Like `spawn_app`, with settings adjusted first (public URL, trusted proxies, metrics).
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_custom(backend, adjust, test_limits()).await
}

/// The app with its mail going to a real SMTP server started for the test (see
/// `mail::sink`): every mail the panel queues arrives at the answered sink within a
/// fraction of a second (the worker polls every 100 ms in tests), and `sink.wait_for(n,
/// timeout)` answers what arrived. Without it, the app's mail goes to the log.
pub async fn spawn_app_with_mail(backend: Backend) -> (TestApp, crate::mail::sink::SmtpSink) {
    let sink = crate::mail::sink::SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(backend, move |s| s.smtp_url = Some(url)).await;
    (app, sink)
}

/// The limits tests run with: the defaults, except that the purge and the readiness
/// heartbeat run often, so that tests see their effect within a second, and one login may
/// have many requests in flight (the race tests send up to 100 at once from one session; the
/// per-login limit has its own test in abuse::fairness).
pub fn test_limits() -> steward::web::limits::Limits {
    steward::web::limits::Limits {
        purge_interval: std::time::Duration::from_millis(300),
        ready_heartbeat: std::time::Duration::from_millis(200),
        max_in_flight: 1000,
        mail_poll: std::time::Duration::from_millis(100),
        // The in-process driver worker acts only when an action of this app wakes it, so
        // that a test running `steward serve` beside it on the same database (a slow
        // controller, a killed instance) sees that instance's worker take its jobs.
        driver_poll: std::time::Duration::from_secs(3600),
        // An action's answer waits for its job (instant with the built-in driver), also on
        // a machine loaded by a parallel test run: the tests then check its effect at once.
        driver_wait: std::time::Duration::from_secs(10),
        ..steward::web::limits::Limits::defaults(1024)
    }
}

/// `spawn_app` with the given limits (the abuse tests use small ones).
pub async fn spawn_app_limited(backend: Backend, limits: steward::web::limits::Limits) -> TestApp {
    spawn_app_custom(backend, |_| {}, limits).await
}

/// The app listening on `host` ("127.0.0.1", or "[::1]" for a client with an IPv6 address).
pub async fn spawn_app_on(backend: Backend, host: &str) -> TestApp {
    let bind = format!("{host}:0");
    spawn_app_with(backend, move |s| s.bind = bind).await
}

/// `spawn_app` with adjusted settings and the given limits.
pub async fn spawn_app_custom(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
    limits: steward::web::limits::Limits,
) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let (database_url, pg_database, dir) = fresh_database(backend);
    if let Some(name) = pg_database {
        drop_when_thread_ends(name);
    }
    let pool = db::connect(&database_url).expect("pool");
    {
        let mut conn = pool.get().expect("connection");
        db::migrations::run_pending(&mut conn).expect("migrations");
    }
    let mut settings = Settings::new(
        database_url.clone(),
        "127.0.0.1:0".into(),
        actix_web::cookie::Key::generate(),
    );
    let mail = crate::mail::sink::SmtpSink::start().await;
    settings.smtp_url = Some(mail.url());
    adjust(&mut settings);
    let app = Application::build_with(&settings, pool.clone(), limits).expect("server");
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(h, _)| h);
    let address = format!("http://{host}:{}", app.port);
    tokio::spawn(app.server);
    let metrics_address = app.metrics.map(|(port, server)| {
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}")
    });
    TestApp {
        address,
        metrics_address,
        pool,
        backend,
        database_url,
        _dir: dir,
        mail,
        _workers: (app.mail, app.driver),
        body_budget: app.body_budget,
    }
}

/// A test's PostgreSQL database, dropped when the test's thread ends. Not when its
/// `TestApp` is dropped: that happens inside the test's runtime, whose background tasks
/// (the readiness heartbeat, the purge) still use the pool, and a task that asks for a
/// connection to a dropped database waits out the pool's whole connection timeout (15 s)
/// before the runtime can shut down. The test thread ends after its runtime is gone.
struct PgDatabase(String);

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&format!("{}/postgres", postgres_base())) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0))
                .execute(&mut conn);
        }
    }
}

thread_local! {
    static DATABASES_TO_DROP: std::cell::RefCell<Vec<PgDatabase>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Drops the database `name` once the current thread ends.
fn drop_when_thread_ends(name: String) {
    DATABASES_TO_DROP.with(|d| d.borrow_mut().push(PgDatabase(name)));
}

/// Mail as the tests see it: what arrived at the app's SMTP sink.
impl TestApp {
    /// The mails to `email` that arrived at the sink, waiting (10 s at most) until at
    /// least `n` did; in the order they arrived (one worker sends in queue order).
    pub async fn mails_to(&self, email: &str, n: usize) -> Vec<crate::mail::sink::Received> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got: Vec<_> = self
                .mail
                .received()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
                .collect();
            if got.len() >= n {
                return got;
            }
            assert!(
                std::time::Instant::now() < until,
                "{} mails to {email} arrived within 10 s, expected {n}",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

/// Fixture accounts, written straight to the database (their password is `PASSWORD`).
impl TestApp {
    pub fn hash() -> String {
        use std::sync::OnceLock;
        static HASH: OnceLock<String> = OnceLock::new();
        HASH.get_or_init(|| steward::security::password::hash(PASSWORD).unwrap())
            .clone()
    }

    pub fn insert_user(
        &self,
        kind: &str,
        username: &str,
        owner: Option<i32>,
        parent: Option<i32>,
    ) -> i32 {
        let mut conn = self.pool.get().unwrap();
        NewUser {
            kind,
            username,
            username_key: &username.to_ascii_lowercase(),
            name: &format!("{username} name"),
            email: &format!("{username}@example.com"),
            password_hash: &Self::hash(),
            owner_id: owner,
            parent_id: parent,
            role_id: None,
            all_servers: false,
            disabled: false,
            expires_on: None,
            created_at: now(),
        }
        .insert(&mut conn)
        .unwrap()
    }

    pub fn admin(&self, username: &str) -> i32 {
        self.insert_user("admin", username, None, None)
    }
    pub fn reseller(&self, username: &str, admin: i32) -> i32 {
        self.insert_user("reseller", username, Some(admin), None)
    }
    pub fn customer(&self, username: &str, owner: i32) -> i32 {
        self.insert_user("user", username, Some(owner), None)
    }

    pub fn conn(&self) -> db::PooledConn {
        self.pool.get().unwrap()
    }

    pub fn user(&self, id: i32) -> Option<steward::models::user::User> {
        steward::models::user::User::find(&mut self.conn(), id).unwrap()
    }

    /// The login named `username` (any case), if there is one.
    pub fn user_named(&self, username: &str) -> Option<steward::models::user::User> {
        steward::models::user::User::find_by_username(&mut self.conn(), username).unwrap()
    }

    /// A new browser (its own cookie jar).
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// A browser logged in as `username`.
    pub async fn login(&self, username: &str) -> Browser {
        let b = self.browser();
        let res = b.login(username, PASSWORD).await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "login of {username} failed: {}",
            res.text().await.unwrap_or_default()
        );
        b
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(address: &str) -> Browser {
        Browser::with_user_agent(address, "")
    }

    /// A browser that names itself with `user_agent` (none when empty).
    pub fn with_user_agent(address: &str, user_agent: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let mut builder = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone());
        if !user_agent.is_empty() {
            builder = builder.user_agent(user_agent.to_string());
        }
        Browser {
            client: builder
                // Idle connections are dropped before the panel's keep-alive (5 s) closes
                // them, so a request never races the server's close on a reused
                // connection (an "incomplete message" that no user would see twice).
                .pool_idle_timeout(std::time::Duration::from_secs(3))
                .build()
                .unwrap(),
            address: address.to_string(),
            jar,
        }
    }

    /// The Cookie header this browser would send (to replay it elsewhere).
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.address.parse().unwrap())
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// A GET that carries exactly the given Cookie header, with no jar.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
            .get(self.url(path))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET `path` as htmx sends it (`HX-Request: true`): the answer is a fragment.
    pub async fn htmx_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .expect("request")
    }

    /// The page at `path`, which must answer 200: a check that a page does *not* contain
    /// something must never pass because the page was an error or a redirect.
    pub async fn get_html(&self, path: &str) -> String {
        let (status, body) = self.get_page(path).await;
        assert_eq!(
            status, 200,
            "GET {path} answered {status}, not the page: {body:.300}"
        );
        body
    }

    /// The status and body of GET `path`, whatever the status.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    /// The session's CSRF token, as the forms of any page carry it.
    pub async fn csrf(&self) -> String {
        // Logged out, /login shows the form; logged in, it redirects.
        let (_, page) = self.get_page("/login").await;
        if let Some(t) = csrf_in(&page) {
            return t;
        }
        // Logged in: the login's own page carries the token in its forms.
        let res = self.get("/account").await;
        let own = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let page = self
            .get_html(&own.unwrap_or_else(|| "/servers".into()))
            .await;
        csrf_in(&page).expect("a page with a csrf token")
    }

    /// POSTs a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        self.post_with_token(path, fields, &token).await
    }

    /// POSTs a form with the CSRF token read from the page at `token_page` (for a login
    /// whose own page `post` would read it from is not the one a test needs).
    pub async fn post_from(
        &self,
        token_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let page = self.get_html(token_page).await;
        let token = csrf_in(&page).expect("a csrf token on the page");
        self.post_with_token(path, fields, &token).await
    }

    async fn post_with_token(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        token: &str,
    ) -> reqwest::Response {
        let mut body = fields.to_vec();
        body.push(("csrf_token", token));
        self.post_raw(path, &body).await
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Saves the profile form of the account page `page` (`/users/{id}`): its name and
    /// email.
    pub async fn save_profile(&self, page: &str, name: &str, email: &str) -> reqwest::Response {
        self.post(
            page,
            &[("form", "profile"), ("name", name), ("email", email)],
        )
        .await
    }

    /// Starts impersonating the login whose page is `page` (`/users/{id}`, or an alias
    /// user's page), which must succeed: the panel answers with its servers page.
    pub async fn impersonate(&self, page: &str) {
        let res = self.post(&format!("{page}/impersonate"), &[]).await;
        assert_redirect_to(&res, "/servers");
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

/// A response read whole: its status, where it redirects (empty if nowhere) and its body.
pub struct Answer {
    pub status: u16,
    pub location: String,
    pub body: String,
}

/// Reads a response whole (for answers kept after their request, as in a race).
pub async fn answer_of(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        location,
        body,
    }
}

/// The first csrf_token value in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let re = regex::Regex::new(r#"name="csrf_token" value="([^"]+)""#).unwrap();
    re.captures(html).map(|c| c[1].to_string())
}

/// Asserts a response's status and that its page says `text` (a refusal with its message,
/// a form shown again with the input kept).
pub async fn assert_says(res: reqwest::Response, status: u16, text: &str) {
    assert_status!(res, status, "expected a page saying {text:?}");
    let url = res.url().to_string();
    let body = res.text().await.unwrap();
    assert!(
        body.contains(text),
        "{url} answered {status} without {text:?}: {body:.500}"
    );
}

pub fn assert_redirect_to(res: &reqwest::Response, location: &str) {
    assert_status!(res, 303, "expected a redirect to {location}");
    assert_eq!(
        res.headers().get("location").unwrap().to_str().unwrap(),
        location
    );
}

/// An admin "boss", a reseller "northwind" owning customer "acme", and customer "globex".
pub struct Tenants {
    pub admin: i32,
    pub reseller: i32,
    pub acme: i32,
    pub globex: i32,
}

pub fn tenants(app: &TestApp) -> Tenants {
    let admin = app.admin("boss");
    let reseller = app.reseller("northwind", admin);
    let acme = app.customer("acme", reseller);
    let globex = app.customer("globex", admin);
    Tenants {
        admin,
        reseller,
        acme,
        globex,
    }
}

/// Creates an API key the way a browser does: the POST answers 303 to the key page, and
/// that page shows the secret once. Answers the secret.
pub async fn create_api_key(b: &Browser, url: &str, fields: &[(&str, &str)]) -> String {
    let res = b.post(url, fields).await;
    assert_status!(res, 303, "an API key is made by a POST that redirects");
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(location, url, "to the key page");
    secret_in(&b.get_html(&location).await).expect("the key page shows the new key")
}

/// The first `stw_…` secret in a text.
pub fn secret_in(text: &str) -> Option<String> {
    regex::Regex::new(r"stw_[A-Za-z0-9_-]{32,}")
        .unwrap()
        .find(text)
        .map(|m| m.as_str().to_string())
}
