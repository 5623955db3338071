//! Steward under failure and load: the real `steward serve` binary killed with
//! SIGKILL under concurrent writes (crash.rs), hundreds of parallel writes and races for
//! the same name, server or quota (races.rs), and two instances on one PostgreSQL sharing
//! nothing but the database and the secret key (instances.rs), and a slow or killed
//! server controller (slow_controller.rs). This file holds what they
//! share: starting and killing the binary, and a client that replays one session's cookie
//! against any instance, which a cookie jar (keyed by host:port) would not do.

mod crash;
mod instances;
mod races;
mod slow_controller;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;

pub use crate::helpers::net::{free_port, secret};
use crate::helpers::{csrf_in, PASSWORD};

/// A running `steward serve`; killed (SIGKILL) when dropped.
pub struct Instance {
    child: Child,
    pub address: String,
}

impl Instance {
    /// Starts the binary on the database and waits (at most 60 s) until it says where to
    /// log in. Its remaining stdout is drained by a thread so a late print never fails.
    pub fn start(database_url: &str) -> Instance {
        Instance::start_with(database_url, &[])
    }

    /// `start` with more environment variables (the mail tests' STEWARD_SMTP_URL).
    pub fn start_with(database_url: &str, env: &[(&str, &str)]) -> Instance {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
            .arg("serve")
            .env("STEWARD_DATABASE_URL", database_url)
            .env("STEWARD_BIND", format!("127.0.0.1:{port}"))
            .env("STEWARD_SECRET_KEY", secret())
            .env("RUST_LOG", "error")
            // The writers share one login; the per-login limit has its own test.
            .env("STEWARD_MAX_IN_FLIGHT", "1000")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start steward");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut said = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !said && line.contains("log in at") {
                    said = true;
                    let _ = tx.send(());
                }
            }
        });
        let started = rx.recv_timeout(Duration::from_secs(60)).is_ok();
        let instance = Instance {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        assert!(started, "steward serve did not start on {database_url}");
        instance
    }

    /// Sends the signal `name` ("TERM", "INT") to the process, as `kill -TERM` does.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -{name}");
    }

    /// How the process ended, once it has (waiting `timeout` at most; `None` if it did
    /// not). Waits on a blocking thread of the runtime.
    pub fn exit_status(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let child = &mut self.child;
        tokio::task::block_in_place(|| {
            let until = Instant::now() + timeout;
            while Instant::now() < until {
                if let Some(s) = child.try_wait().unwrap() {
                    return Some(s);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            None
        })
    }

    /// SIGKILL: no shutdown hook, no flush, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One logged-in session, sent by its Cookie header to whichever instance it is pointed at.
#[derive(Clone)]
pub struct Session {
    client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn cookie_of(res: &reqwest::Response) -> Option<String> {
    named_cookie(res, "steward_session=")
}

/// The `name=value` of the cookie a response sets whose text starts with `prefix`.
pub fn named_cookie(res: &reqwest::Response, prefix: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

impl Session {
    /// Logs `username` in on the instance at `address`.
    pub async fn login(address: &str, username: &str) -> Session {
        let client = client();
        let page = client
            .get(format!("{address}/login"))
            .send()
            .await
            .expect("login page");
        // The login form's token is bound to a short-lived cookie, not to a session
        // (no session exists before a login succeeds).
        let cookie =
            named_cookie(&page, "steward_login_csrf=").expect("a login csrf cookie on the form");
        let csrf = csrf_in(&page.text().await.expect("body")).expect("a csrf token");
        let res = client
            .post(format!("{address}/login"))
            .header("Cookie", &cookie)
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .expect("login");
        assert_status!(res, 303, "login of {username}");
        let cookie = cookie_of(&res).expect("a session cookie after logging in");
        let mut session = Session {
            client,
            cookie,
            csrf: String::new(),
        };
        // The logged-in session's token, as its own pages carry it.
        let html = session.get_html(address, "/servers").await;
        session.csrf = csrf_in(&html).expect("a csrf token on /servers");
        session
    }

    pub async fn get(&self, address: &str, path: &str) -> reqwest::Result<reqwest::Response> {
        self.client
            .get(format!("{address}{path}"))
            .header("Cookie", &self.cookie)
            .send()
            .await
    }

    pub async fn get_html(&self, address: &str, path: &str) -> String {
        let res = self.get(address, path).await.expect("request");
        assert_status!(res, 200, "GET {path}");
        res.text().await.expect("body")
    }

    /// The page a browser shows after `answer` (a POST's redirect): with the flash message
    /// the answer left in its cookie.
    pub async fn get_html_after(
        &self,
        address: &str,
        path: &str,
        answer: &reqwest::Response,
    ) -> String {
        let flash = named_cookie(answer, "steward_session_flash=").unwrap_or_default();
        let res = self
            .client
            .get(format!("{address}{path}"))
            .header("Cookie", format!("{}; {flash}", self.cookie))
            .send()
            .await
            .expect("request");
        assert_status!(res, 200, "GET {path}");
        res.text().await.expect("body")
    }

    /// POSTs a form with this session's CSRF token; a transport error (the instance died)
    /// is answered as such, never as an acknowledgement.
    pub async fn post(
        &self,
        address: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        let mut body = fields.to_vec();
        body.push(("csrf_token", &self.csrf));
        self.client
            .post(format!("{address}{path}"))
            .header("Cookie", &self.cookie)
            .form(&body)
            .send()
            .await
    }
}

/// The panel acknowledged the write: 303 to the page showing it.
pub fn acknowledged(res: &reqwest::Response, location: &str) -> bool {
    res.status().as_u16() == 303
        && res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l == location)
}

/// Waits until `deadline` passes or `done` holds, polling every 20 ms.
pub async fn wait_until(deadline: Instant, mut done: impl FnMut() -> bool) {
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
