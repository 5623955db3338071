//! Holding up under abuse, each test bounded in time and count, on loopback:
//! deadlines and connection caps (limits.rs), no state for strangers and the session cap
//! (strangers.rs), bounded tables (retention.rs), honest answers when the database refuses
//! writes (failure.rs), fair sharing between logins and search deadlines (fairness.rs),
//! the API's JSON errors and key-guess throttling (api.rs), and bulk assignments
//! (bulk.rs). This file holds what they share: raw connections that stall on purpose.

/// Runs each test once per backend on a server built with the given limits.
macro_rules! with_limits {
    ($($name:ident => $limits:expr),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app_limited(steward::db::Backend::Sqlite, $limits).await;
                    super::$name(app).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::helpers::spawn_app_limited(steward::db::Backend::Postgres, $limits).await;
                    super::$name(app).await;
                }
            }
        )*
    };
}

mod api;
mod bulk;
mod failure;
mod fairness;
mod limits;
mod retention;
mod strangers;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection that sent a request head announcing `announced` body bytes, then only
/// `sent` of them, and stalls.
pub struct Stalled {
    pub stream: TcpStream,
}

impl Stalled {
    /// Opens the connection and sends the head (with `headers`) and the first part of a
    /// form body.
    pub fn post(
        address: &str,
        path: &str,
        headers: &[(&str, &str)],
        announced: usize,
        sent: &str,
    ) -> Stalled {
        let host = address.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect");
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {announced}\r\n"
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(sent);
        // The server may answer and close before it read everything: not an error here.
        let _ = stream.write_all(head.as_bytes());
        Stalled { stream }
    }

    /// Whether the server has answered or closed this connection already (it was not
    /// held, or no longer is).
    pub fn answered(&self) -> bool {
        self.stream.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        let answered = match self.stream.peek(&mut byte) {
            Ok(_) => true,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        };
        self.stream.set_nonblocking(false).expect("blocking");
        answered
    }

    /// Waits (at most `wait`) for the server to answer or close; answers the status line
    /// ("" when closed without one) and how long it took.
    pub fn outcome(mut self, wait: Duration) -> (String, Duration) {
        let started = Instant::now();
        self.stream
            .set_read_timeout(Some(wait))
            .expect("read timeout");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&got);
        (
            text.lines().next().unwrap_or("").to_string(),
            started.elapsed(),
        )
    }
}

/// Polls `check` every 50 ms until it holds or `within` passes; answers whether it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GETs `path` with a fresh client (its own connection); answers the status.
pub async fn status_of(address: &str, path: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(format!("{address}{path}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Whether `path` answers `want` (a fresh connection).
/// Whether `path` answers `want` within `within`, asked again and again until then.
pub async fn answers_within(address: &str, path: &str, want: u16, within: Duration) -> bool {
    eventually(within, || is_status(address, path, want)).await
}

pub async fn is_status(address: &str, path: &str, want: u16) -> bool {
    status_of(address, path).await == want
}
