//! Giving freed memory back to the system. glibc's allocator keeps what a thread freed in
//! that thread's arena, and returns it only when the free space happens to sit at the top
//! of the arena: after a burst (300 stalled request bodies, say) the process stayed at
//! 114–128 MB resident although nothing was held any more. A background thread calls
//! `malloc_trim(0)` every few seconds, which hands the free pages of every arena back
//! (BENCHMARKS.md, "Memory": 114 → 48 MB after the burst). Measured and not adopted:
//! `M_ARENA_MAX=2` (1–3 MB less, and earlier 20–30% less throughput on the heavy pages)
//! and mimalloc (twice the resident memory in every scenario).

use std::time::Duration;

/// How often free memory is handed back. A trim locks each arena briefly; every few
/// seconds is far below anything a request would notice.
const TRIM_EVERY: Duration = Duration::from_secs(5);

/// Starts the trimming thread (once, at start of `serve`).
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| loop {
                std::thread::sleep(TRIM_EVERY);
                // SAFETY: malloc_trim only walks glibc's own arenas under their locks.
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(e) = started {
            log::warn!("could not start the memory trimming thread: {e}");
        }
    }
}
