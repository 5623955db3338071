//! Which login each recently loaded session acts for (the person behind it: the
//! impersonator while impersonating), by a short digest of its key. The per-login limit
//! runs before a request's session is loaded, so it looks the login up here. A session is
//! known from the response that stored it (a login) or from its first load on this
//! instance; one made by another instance is counted on its own until then. The table is bounded: when
//! full it starts again empty, which costs no more than a few requests counted per
//! session instead of per login.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::security::token::sha256_hex;

/// At most this many sessions are remembered (a few hundred kilobytes).
const CAPACITY: usize = 16_384;

#[derive(Clone, Default)]
pub struct KnownSessions(Arc<Mutex<HashMap<u64, i32>>>);

/// The short digest a session key is known by here (never the key itself).
pub fn digest(key: &str) -> u64 {
    let hex = sha256_hex(key);
    u64::from_str_radix(&hex[..16], 16).unwrap_or_default()
}

impl KnownSessions {
    pub fn remember(&self, key: &str, person: i32) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(digest(key), person);
    }

    pub fn person(&self, key: &str) -> Option<i32> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&digest(key)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_session_is_known_by_its_key_and_the_table_stays_bounded() {
        let known = KnownSessions::default();
        known.remember("key-a", 7);
        assert_eq!(known.person("key-a"), Some(7));
        assert_eq!(known.person("key-b"), None);
        for n in 0..CAPACITY + 10 {
            known.remember(&format!("k{n}"), 1);
        }
        assert!(known.0.lock().unwrap().len() <= CAPACITY);
    }
}
