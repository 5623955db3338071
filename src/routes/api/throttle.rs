//! Throttling of API key guesses: an address that fails to authenticate more than
//! `Limits::api_key_failures_per_minute` times in a minute gets 429 (with `Retry-After`)
//! for the rest of that minute, before any key lookup. Counted in memory, per instance:
//! a stranger's guesses write nothing to the database. Every failure is counted (see
//! `failures_total`) and the first one over the limit in each minute is logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; beyond it the oldest windows are forgotten.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug)]
pub struct KeyGuesses {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    failures: AtomicU64,
    refusals: AtomicU64,
}

impl KeyGuesses {
    pub fn new(per_minute: u32) -> KeyGuesses {
        KeyGuesses {
            per_minute,
            windows: Mutex::new(HashMap::new()),
            failures: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
        }
    }

    /// Seconds until `ip` may try again, when it is over its budget.
    pub fn retry_after(&self, ip: &str) -> Option<u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let (start, n) = windows.get(ip)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        if *n >= self.per_minute {
            self.refusals.fetch_add(1, Ordering::Relaxed);
            Some(left.as_secs() + 1)
        } else {
            None
        }
    }

    /// Counts a failed authentication from `ip`.
    pub fn failed(&self, ip: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = windows.entry(ip.to_string()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        if entry.1 == self.per_minute {
            log::warn!(
                "API key guessing: {ip} failed {} authentications within a minute; refusing it until the minute ends",
                self.per_minute
            );
        }
    }

    /// Failed API key authentications since start.
    pub fn failures_total(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Requests refused for being over the budget since start.
    pub fn refusals_total(&self) -> u64 {
        self.refusals.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyGuesses;

    #[test]
    fn an_address_is_refused_after_its_budget_and_others_are_not() {
        let g = KeyGuesses::new(3);
        for _ in 0..2 {
            g.failed("10.0.0.1");
        }
        assert!(g.retry_after("10.0.0.1").is_none());
        g.failed("10.0.0.1");
        assert!(g.retry_after("10.0.0.1").is_some_and(|s| s <= 61));
        assert!(g.retry_after("10.0.0.2").is_none());
        assert_eq!(g.failures_total(), 3);
    }
}
