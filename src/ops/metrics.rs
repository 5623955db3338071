//! The process's metrics, kept with the `prometheus` crate and rendered in its text format
//! on `STEWARD_METRICS_BIND` (web/metrics.rs serves them; never on the panel's port).
//! Requests are labelled by route pattern (`/users/{id}`), never by raw path, so the
//! number of series stays bounded whatever URLs clients try. Everything else reports here
//! through the small functions below, so no caller touches the registry.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    handoffs: HistogramVec,
    pool_wait: Histogram,
    argon2_waiting: IntGauge,
    argon2_running: IntGauge,
    argon2_wait: Histogram,
    logins: IntCounterVec,
    login_delays: IntCounter,
    sessions_open: IntGauge,
    mail_queue: IntGaugeVec,
    driver_jobs: IntGaugeVec,
}

/// Sub-millisecond to ten seconds: page answers, pool and Argon2 queues alike.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let registry =
            Registry::new_custom(Some("steward".into()), None).expect("a constant prefix is valid");
        let histogram = |name: &str, help: &str| {
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()))
                .expect("constant metric options are valid")
        };
        let m = Metrics {
            requests: IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests answered, by route pattern and status.",
                ),
                &["method", "route", "status"],
            )
            .expect("constant metric options are valid"),
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer an HTTP request, by route pattern.",
                )
                .buckets(BUCKETS.to_vec()),
                &["method", "route"],
            )
            .expect("constant metric options are valid"),
            handoffs: HistogramVec::new(
                HistogramOpts::new(
                    "db_handoffs_per_request",
                    "Database hand-offs (work sent to a blocking thread with a pooled connection) per request, by route pattern.",
                )
                .buckets(vec![0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]),
                &["method", "route"],
            )
            .expect("constant metric options are valid"),
            pool_wait: histogram(
                "db_pool_wait_seconds",
                "Time a database task waited for a connection slot and a connection.",
            ),
            argon2_waiting: IntGauge::new(
                "argon2_waiting",
                "Password checks and hashes queued for an Argon2 slot.",
            )
            .expect("constant metric options are valid"),
            argon2_running: IntGauge::new("argon2_running", "Password checks and hashes running.")
                .expect("constant metric options are valid"),
            argon2_wait: histogram(
                "argon2_wait_seconds",
                "Time a password check or hash waited for an Argon2 slot.",
            ),
            logins: IntCounterVec::new(
                Opts::new(
                    "logins_total",
                    "Password logins by outcome: success, failure, throttled, refused.",
                ),
                &["outcome"],
            )
            .expect("constant metric options are valid"),
            login_delays: IntCounter::new(
                "login_delays_total",
                "Logins slowed down by the per-username backstop.",
            )
            .expect("constant metric options are valid"),
            sessions_open: IntGauge::new(
                "sessions_open",
                "Logged-in sessions that have not expired (read at scrape time).",
            )
            .expect("constant metric options are valid"),
            mail_queue: IntGaugeVec::new(
                Opts::new(
                    "mail_queue",
                    "Mails in the queue by status: queued (waiting to be sent), failed (gave up), sent (kept 30 days); read at scrape time.",
                ),
                &["status"],
            )
            .expect("constant metric options are valid"),
            driver_jobs: IntGaugeVec::new(
                Opts::new(
                    "driver_jobs",
                    "Server jobs not yet ended, by status: queued (waiting for the driver worker), calling (a controller is being asked), running (a reinstall under way); read at scrape time.",
                ),
                &["status"],
            )
            .expect("constant metric options are valid"),
            registry,
        };
        let r = &m.registry;
        for c in [
            Box::new(m.requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.latency.clone()),
            Box::new(m.handoffs.clone()),
            Box::new(m.pool_wait.clone()),
            Box::new(m.argon2_waiting.clone()),
            Box::new(m.argon2_running.clone()),
            Box::new(m.argon2_wait.clone()),
            Box::new(m.logins.clone()),
            Box::new(m.login_delays.clone()),
            Box::new(m.sessions_open.clone()),
            Box::new(m.mail_queue.clone()),
            Box::new(m.driver_jobs.clone()),
        ] {
            r.register(c).expect("each metric is registered once");
        }
        m
    })
}

/// One answered request: `route` is the matched pattern, or "unmatched".
pub fn request(method: &str, route: &str, status: u16, took: Duration) {
    let m = metrics();
    m.requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    m.latency
        .with_label_values(&[method, route])
        .observe(took.as_secs_f64());
}

pub fn handoffs(method: &str, route: &str, count: u32) {
    metrics()
        .handoffs
        .with_label_values(&[method, route])
        .observe(f64::from(count));
}

pub fn pool_wait(took: Duration) {
    metrics().pool_wait.observe(took.as_secs_f64());
}

/// Argon2 work entered the queue; the guard leaves it (and the running count) on drop.
pub fn argon2_queued() -> Argon2Ticket {
    metrics().argon2_waiting.inc();
    Argon2Ticket {
        queued: std::time::Instant::now(),
        running: false,
    }
}

pub struct Argon2Ticket {
    queued: std::time::Instant,
    running: bool,
}

impl Argon2Ticket {
    pub fn started(&mut self) {
        let m = metrics();
        m.argon2_waiting.dec();
        m.argon2_running.inc();
        m.argon2_wait.observe(self.queued.elapsed().as_secs_f64());
        self.running = true;
    }
}

impl Drop for Argon2Ticket {
    fn drop(&mut self) {
        let m = metrics();
        if self.running {
            m.argon2_running.dec();
        } else {
            m.argon2_waiting.dec();
        }
    }
}

/// The outcome of a password login: "success", "failure", "throttled" or "refused".
pub fn login(outcome: &str) {
    metrics().logins.with_label_values(&[outcome]).inc();
}

pub fn login_delayed() {
    metrics().login_delays.inc();
}

pub fn set_open_sessions(n: i64) {
    metrics().sessions_open.set(n);
}

pub fn set_mail_queue(queued: i64, sent: i64, failed: i64) {
    let g = &metrics().mail_queue;
    g.with_label_values(&["queued"]).set(queued);
    g.with_label_values(&["sent"]).set(sent);
    g.with_label_values(&["failed"]).set(failed);
}

/// Unended server jobs by status (a status with none is reported as 0).
pub fn set_driver_jobs(counts: &[(String, i64)]) {
    let g = &metrics().driver_jobs;
    for status in ["queued", "calling", "running"] {
        let n = counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        g.with_label_values(&[status]).set(n);
    }
}

/// Everything in Prometheus's text exposition format.
pub fn render() -> String {
    let mut out = Vec::new();
    // Encoding into a Vec cannot fail for well-formed metrics.
    let _ = TextEncoder::new().encode(&metrics().registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_names_every_metric_with_the_steward_prefix() {
        request("GET", "/users/{id}", 200, Duration::from_millis(3));
        login("failure");
        let t = render();
        assert!(t.contains(
            r#"steward_http_requests_total{method="GET",route="/users/{id}",status="200"}"#
        ));
        assert!(t.contains("steward_http_request_duration_seconds_bucket"));
        assert!(t.contains(r#"steward_logins_total{outcome="failure"}"#));
        assert!(t.contains("# TYPE steward_sessions_open gauge"));
    }
}
