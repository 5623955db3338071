//! Every timeout and cap that keeps one client from exhausting the panel, in one place
//! (README "Limits" lists them): the body deadline, the connection caps derived from the
//! process's file-descriptor limit, the per-login requests in flight, the search deadline,
//! the failed-API-key budget, the readiness heartbeat, the mail and driver workers' polls,
//! the driver's deadlines and the retention of old rows. Each has a default and a `STEWARD_*` variable; tests build the server with small values.

use std::time::Duration;

/// File descriptors kept for everything that is not a client connection: the database
/// pools, the listener, log files, the SQLite WAL and shared-memory files, resolver sockets.
const FD_RESERVE: u64 = 64;
/// The most client connections the panel holds open, whatever the descriptor limit: beyond
/// it, memory (not descriptors) is what runs out.
const MAX_TOTAL_CONNECTIONS: u64 = 8192;

#[derive(Debug, Clone)]
pub struct Limits {
    /// The whole request body must arrive within this long after the request head
    /// (`STEWARD_BODY_DEADLINE_SECS`, default 10).
    pub body_deadline: Duration,
    /// Bytes of request bodies all requests together may hold in memory while they are
    /// read (`STEWARD_BODY_BUDGET_MB`, default 8); beyond it a request is answered 503.
    /// A held body costs about 2.5 times its size in resident memory (the reader's buffer
    /// and actix's read buffer of its connection): with 32 MB, 300 stalled bodies took the
    /// process to 135–174 MB, with 8 MB to 81–88 MB (BENCHMARKS.md, "Memory"). 8 MB is
    /// still 32 of the largest forms (256 KB) arriving at the same moment.
    pub body_budget_bytes: usize,
    /// Client connections open at once, all workers together, derived from the file
    /// descriptor limit (`STEWARD_MAX_CONNECTIONS` overrides). Page requests on connections
    /// beyond `page_connections()` are refused (503) while /healthz and /readyz still answer.
    pub max_connections: usize,
    /// New connections accepted per second (`STEWARD_MAX_CONNECTION_RATE`, default 512);
    /// requests on connections beyond it are refused like those beyond the cap.
    pub max_connection_rate: u32,
    /// The request head must arrive within this long (actix `client_request_timeout`).
    pub client_request_timeout: Duration,
    /// A closing connection gets this long to shut down (`client_disconnect_timeout`).
    pub client_disconnect_timeout: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub keep_alive: Duration,
    /// Requests one login (or one API key) may have in flight at once
    /// (`STEWARD_MAX_IN_FLIGHT`, default 8); beyond it, 429 with `Retry-After`.
    pub max_in_flight: usize,
    /// The longest a search may run (`STEWARD_SEARCH_DEADLINE_MS`, default 3000).
    pub search_deadline: Duration,
    /// Failed API key authentications one address may make per minute before it gets
    /// 429 (`STEWARD_API_KEY_FAILURES_PER_MINUTE`, default 20).
    pub api_key_failures_per_minute: u32,
    /// How often the readiness heartbeat writes (`STEWARD_READY_HEARTBEAT_MS`, default 5000).
    pub ready_heartbeat: Duration,
    /// How often the purge task runs (`STEWARD_PURGE_INTERVAL_SECS`, default 600).
    pub purge_interval: Duration,
    /// Login attempts are kept this many days (`STEWARD_LOGIN_HISTORY_DAYS`, default 90).
    pub login_history_days: i64,
    /// Audit entries are kept this many days (`STEWARD_AUDIT_DAYS`; unset: forever).
    pub audit_days: Option<i64>,
    /// How often the mail worker looks for mail that is due (`STEWARD_MAIL_POLL_MS`,
    /// default 2000): the longest a queued mail waits before its first attempt.
    pub mail_poll: Duration,
    /// How often the driver worker looks for queued jobs (`STEWARD_DRIVER_POLL_MS`,
    /// default 1000); an action in this instance wakes it at once, so this is the longest
    /// a job queued by another instance, or left by a dead one, waits.
    pub driver_poll: Duration,
    /// The longest a controller call may take before its job is failed
    /// (`STEWARD_DRIVER_TIMEOUT_MS`, default 60000). A job's lease is twice this, so no
    /// other instance takes up a call that is still running.
    pub driver_timeout: Duration,
    /// How long an action's answer waits for the controller's (`STEWARD_DRIVER_WAIT_MS`,
    /// default 2000): a quick controller's result is shown at once, a slow one's as
    /// progress on the server page.
    pub driver_wait: Duration,
    /// The descriptor limit found at start, for the log line and the README's arithmetic.
    pub fd_limit: u64,
}

/// Sessions one login may hold; logging in once more ends the oldest (audited).
pub const MAX_SESSIONS_PER_LOGIN: i64 = 50;

impl Limits {
    /// The defaults, with the connection cap derived from `fd_limit`.
    pub fn defaults(fd_limit: u64) -> Limits {
        Limits {
            body_deadline: Duration::from_secs(10),
            body_budget_bytes: 8 * 1024 * 1024,
            max_connections: connections_for(fd_limit),
            max_connection_rate: 512,
            client_request_timeout: Duration::from_secs(5),
            client_disconnect_timeout: Duration::from_secs(1),
            keep_alive: Duration::from_secs(5),
            max_in_flight: 8,
            search_deadline: Duration::from_millis(3000),
            api_key_failures_per_minute: 20,
            ready_heartbeat: Duration::from_millis(5000),
            purge_interval: Duration::from_secs(600),
            login_history_days: 90,
            audit_days: None,
            mail_poll: Duration::from_millis(2000),
            driver_poll: Duration::from_millis(1000),
            driver_timeout: Duration::from_millis(60_000),
            driver_wait: Duration::from_millis(2000),
            fd_limit,
        }
    }

    /// The defaults overridden by the `STEWARD_*` variables that are set.
    pub fn from_env() -> anyhow::Result<Limits> {
        let mut l = Limits::defaults(fd_limit());
        if let Some(s) = var::<u64>("STEWARD_BODY_DEADLINE_SECS")? {
            l.body_deadline = Duration::from_secs(s.max(1));
        }
        if let Some(mb) = var::<usize>("STEWARD_BODY_BUDGET_MB")? {
            l.body_budget_bytes = mb.max(1) * 1024 * 1024;
        }
        if let Some(n) = var::<usize>("STEWARD_MAX_CONNECTIONS")? {
            l.max_connections = n.max(2);
        }
        if let Some(n) = var::<u32>("STEWARD_MAX_CONNECTION_RATE")? {
            l.max_connection_rate = n.max(1);
        }
        if let Some(n) = var::<usize>("STEWARD_MAX_IN_FLIGHT")? {
            l.max_in_flight = n.max(1);
        }
        if let Some(ms) = var::<u64>("STEWARD_SEARCH_DEADLINE_MS")? {
            l.search_deadline = Duration::from_millis(ms.max(1));
        }
        if let Some(n) = var::<u32>("STEWARD_API_KEY_FAILURES_PER_MINUTE")? {
            l.api_key_failures_per_minute = n.max(1);
        }
        if let Some(ms) = var::<u64>("STEWARD_READY_HEARTBEAT_MS")? {
            l.ready_heartbeat = Duration::from_millis(ms.max(100));
        }
        if let Some(s) = var::<u64>("STEWARD_PURGE_INTERVAL_SECS")? {
            l.purge_interval = Duration::from_secs(s.max(1));
        }
        if let Some(d) = var::<i64>("STEWARD_LOGIN_HISTORY_DAYS")? {
            l.login_history_days = d.max(1);
        }
        if let Some(ms) = var::<u64>("STEWARD_MAIL_POLL_MS")? {
            l.mail_poll = Duration::from_millis(ms.max(50));
        }
        if let Some(ms) = var::<u64>("STEWARD_DRIVER_POLL_MS")? {
            l.driver_poll = Duration::from_millis(ms.max(50));
        }
        if let Some(ms) = var::<u64>("STEWARD_DRIVER_TIMEOUT_MS")? {
            // At most an hour: a job's lease is twice this, and no controller call is
            // worth holding a job longer.
            l.driver_timeout = Duration::from_millis(ms.clamp(100, 3_600_000));
        }
        if let Some(ms) = var::<u64>("STEWARD_DRIVER_WAIT_MS")? {
            // At most a minute: an answer is not held longer than a browser would wait.
            l.driver_wait = Duration::from_millis(ms.min(60_000));
        }
        l.audit_days = var::<i64>("STEWARD_AUDIT_DAYS")?.map(|d| d.max(1));
        Ok(l)
    }

    /// Connections page traffic may use; the rest are kept for /healthz and /readyz.
    pub fn page_connections(&self) -> usize {
        self.max_connections - health_reserve(self.max_connections)
    }

    /// actix's per-worker cap: its share of the total, so the sum over workers is the total.
    pub fn per_worker_connections(&self, workers: usize) -> usize {
        self.max_connections.div_ceil(workers.max(1)).max(1)
    }
}

/// Connections kept for the health endpoints: a sixteenth, at least 4.
fn health_reserve(total: usize) -> usize {
    (total / 16).max(4).min(total - 1)
}

/// Client connections that fit in `fd_limit` descriptors (each connection is one).
fn connections_for(fd_limit: u64) -> usize {
    fd_limit
        .saturating_sub(FD_RESERVE)
        .clamp(32, MAX_TOTAL_CONNECTIONS) as usize
}

fn var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {v:?}")),
        _ => Ok(None),
    }
}

/// The soft limit on open file descriptors (`ulimit -n`; systemd's default is 1024).
pub fn fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if ok && lim.rlim_cur != libc::RLIM_INFINITY {
        lim.rlim_cur
    } else {
        1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_follows_the_descriptor_limit_and_keeps_room_for_health() {
        let l = Limits::defaults(1024);
        assert_eq!(l.max_connections, 960);
        assert_eq!(l.page_connections(), 900);
        assert_eq!(l.per_worker_connections(2), 480);
        assert_eq!(Limits::defaults(10).max_connections, 32);
        assert_eq!(Limits::defaults(1 << 20).max_connections, 8192);
        let small = Limits {
            max_connections: 4,
            ..Limits::defaults(1024)
        };
        assert_eq!(small.page_connections(), 1);
    }
}
