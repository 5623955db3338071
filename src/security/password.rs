//! Argon2id password hashing with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
//! Verification of an unknown username still runs against a dummy hash so that the time a
//! login takes does not tell whether the username exists.
//!
//! Verifications and new hashes run through a small gate: at most half the CPU cores' worth
//! at once, each in a 19 MiB work area that is allocated once and reused. A login storm therefore queues
//! instead of taking every core from the pages, and it cannot grow the process by 19 MiB
//! per parallel attempt (BENCHMARKS.md: without the gate, 8 parallel logins left the
//! panel at 570 MB resident).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Condvar, Mutex, OnceLock};

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
    let params = Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). The same steps
/// as argon2's own `hash_password`, with the work area from the gate: a new password costs
/// no fresh 19 MiB (without the gate, creating alias users grew the process by about 19 MB a time,
/// as the freed areas stayed in the allocator's per-thread arenas).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hasher = argon2();
    let params = hasher.params().clone();
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow::anyhow!("could not hash password: {e}"))?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = with_work_area(params.block_count(), |area| {
        argon2::password_hash::Output::init_with(output_len, |out| {
            hasher
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, area)
                .map_err(argon2::password_hash::Error::from)
        })
    })
    .map_err(|e| anyhow::anyhow!("could not hash password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("could not hash password: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// The stored hash of a login without a password of its own (an invited login): not a
/// PHC string, so no password ever matches it.
pub const UNUSABLE: &str = "!invited";

/// Whether a stored hash is the unusable one.
pub fn is_unusable(stored: &str) -> bool {
    stored.starts_with('!')
}

/// Checks a password against a stored PHC hash. A malformed hash never matches; the
/// unusable one takes as long to refuse as a wrong password, so the time a login takes
/// does not tell that it is still invited.
pub fn verify(password: &str, stored: &str) -> bool {
    if is_unusable(stored) {
        verify_dummy(password);
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    // The same steps as argon2's own `verify_password`, with the work area from the gate.
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let hashed = Argon2::new(algorithm, version, params);
    let computed = with_work_area(blocks, |area| {
        hashed
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, area)
            .is_ok()
    });
    // `Output` compares in constant time.
    computed && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// Runs Argon2 work (a verification or a new hash) on a blocking thread once one of the
/// gate's slots is free. Callers beyond the limit wait here as futures rather than as
/// blocking threads parked in the gate: the workers keep only a few blocking threads (the
/// database pool's size), and a login storm must not fill them while the pages' queries
/// wait behind it.
pub async fn off_thread<T, F>(work: F) -> anyhow::Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| tokio::sync::Semaphore::new(gate().limit));
    let mut ticket = crate::ops::metrics::argon2_queued();
    let _slot = slots.acquire().await?;
    ticket.started();
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// The Argon2 gate: reusable work areas, at most `limit` in use at once.
struct Gate {
    state: Mutex<(Vec<Vec<Block>>, usize)>,
    freed: Condvar,
    limit: usize,
}

fn gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(|| Gate {
        state: Mutex::new((Vec::new(), 0)),
        freed: Condvar::new(),
        limit: std::thread::available_parallelism()
            .map(|n| (n.get() / 2).max(1))
            .unwrap_or(1),
    })
}

/// Runs `work` (a verification or a new hash) with a work area of `blocks` Argon2 blocks,
/// waiting while `limit` areas are in use. Areas are kept for the next caller (grown if a stored hash asks for more).
fn with_work_area<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let g = gate();
    let mut area = {
        // A poisoned lock only means another verification panicked; the areas are intact.
        let mut state = g.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(area) = state.0.pop() {
                break area;
            }
            if state.1 < g.limit {
                state.1 += 1;
                break Vec::new();
            }
            state = g.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    };
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    let result = work(&mut area[..blocks]);
    let mut state = g.state.lock().unwrap_or_else(|e| e.into_inner());
    state.0.push(area);
    drop(state);
    g.freed.notify_one();
    result
}

/// Spends the same time as a real check, for usernames that do not exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("steward-dummy-password").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("", UNUSABLE));
        assert!(!verify("!invited", UNUSABLE));
    }

    #[test]
    fn the_gated_check_agrees_with_argon2s_own_verifier() {
        let h = hash("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(argon2()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(verify("correct horse battery", &h));
        // A hash made with other parameters (a bigger work area) verifies too, and the
        // standard one still does after the area grew.
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32_768, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw-with-other-params", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify("pw-with-other-params", &other));
        assert!(!verify("pw-with-other-param", &other));
        assert!(verify("correct horse battery", &h));
        // Parallel checks queue at the gate and all succeed.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let h = h.clone();
                std::thread::spawn(move || verify("correct horse battery", &h))
            })
            .collect();
        assert!(threads.into_iter().all(|t| t.join().unwrap()));
    }

    #[test]
    fn a_gated_hash_and_argon2s_own_hash_verify_with_each_others_verifier() {
        // Ours, checked by argon2's own verifier (and not with a wrong password).
        let ours = hash("gated new password").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert_eq!(parsed.salt.unwrap().as_str().len(), 22);
        assert_eq!(parsed.hash.unwrap().len(), 32);
        assert!(argon2()
            .verify_password(b"gated new password", &parsed)
            .is_ok());
        assert!(argon2()
            .verify_password(b"gated new passwords", &parsed)
            .is_err());
        // argon2's own, with the same parameters, checked by ours.
        let theirs = argon2()
            .hash_password(b"plain new password", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert_eq!(theirs[..31], ours[..31]);
        assert!(verify("plain new password", &theirs));
        assert!(!verify("gated new password", &theirs));
        // Two hashes of one password differ (fresh salt), and both verify.
        let again = hash("gated new password").unwrap();
        assert_ne!(again, ours);
        assert!(verify("gated new password", &again));
        // Hashing in parallel queues at the gate and every result verifies.
        let threads: Vec<_> = (0..4)
            .map(|i| std::thread::spawn(move || (i, hash(&format!("parallel {i}")).unwrap())))
            .collect();
        for t in threads {
            let (i, h) = t.join().unwrap();
            assert!(verify(&format!("parallel {i}"), &h));
        }
    }
}
