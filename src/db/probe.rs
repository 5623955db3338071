//! Liveness and readiness without waiting behind page traffic. `/healthz` used to take a
//! connection from the page pool, so 50 slow searches made it wait (p99 449 ms). The probe
//! keeps its own connection on its own thread: health checks queue only behind each other
//! (concurrent ones share one `SELECT 1`). Readiness adds a heartbeat: every few seconds a
//! write through the page pool (upserting this instance's row in `heartbeats`), whose last
//! result `/readyz` reports, so a database that answers but refuses writes (read-only, disk
//! full) takes the instance out of a load balancer.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tokio::sync::oneshot;

use super::schema::heartbeats;
use super::{DbConn, DbError, DbPool};

type Reply = oneshot::Sender<Result<(), String>>;

/// The last heartbeat: when it ran and what it got.
#[derive(Debug, Clone)]
pub struct Beat {
    pub at: Instant,
    pub error: Option<String>,
}

pub struct Probe {
    asks: Mutex<mpsc::Sender<Reply>>,
    last_beat: Arc<Mutex<Option<Beat>>>,
    every: Duration,
}

impl Probe {
    /// Starts the health thread (its own connection to `url`) and the heartbeat task,
    /// which writes through `pool` every `every`.
    pub fn start(url: &str, pool: DbPool, every: Duration) -> Arc<Probe> {
        let (tx, rx) = mpsc::channel::<Reply>();
        let url = url.to_string();
        let spawned = std::thread::Builder::new()
            .name("steward-health".into())
            .spawn(move || health_thread(&url, rx));
        if let Err(e) = spawned {
            log::error!("could not start the health thread: {e}");
        }
        let probe = Arc::new(Probe {
            asks: Mutex::new(tx),
            last_beat: Arc::new(Mutex::new(None)),
            every,
        });
        let (beats, weak) = (probe.last_beat.clone(), Arc::downgrade(&probe));
        let instance = crate::security::token::random_urlsafe(12);
        tokio::spawn(async move {
            // Ends when the server (and so the probe) is gone.
            while weak.strong_count() > 0 {
                let id = instance.clone();
                let result = super::run(&pool, move |c| beat(c, &id)).await;
                if let Err(e) = &result {
                    log::warn!("readiness heartbeat failed: {e}");
                }
                *beats.lock().unwrap_or_else(|e| e.into_inner()) = Some(Beat {
                    at: Instant::now(),
                    error: result.err().map(|e| e.to_string()),
                });
                actix_web::rt::time::sleep(every).await;
            }
        });
        probe
    }

    /// One trivial query on the probe's own connection (at most `wait` long).
    pub async fn ping(&self, wait: Duration) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        let sent = self
            .asks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(tx)
            .is_ok();
        if !sent {
            return Err("the health thread has stopped".into());
        }
        match actix_web::rt::time::timeout(wait, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the health thread has stopped".into()),
            Err(_) => Err(format!("no answer within {} ms", wait.as_millis())),
        }
    }

    /// Whether the last heartbeat wrote, and is recent; otherwise why not.
    pub fn writes_accepted(&self) -> Result<(), String> {
        let beat = self
            .last_beat
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let stale_after = self.every * 3 + Duration::from_secs(5);
        match beat {
            None => Err("no heartbeat yet".into()),
            Some(b) if b.at.elapsed() > stale_after => Err(format!(
                "the last heartbeat is {} s old",
                b.at.elapsed().as_secs()
            )),
            Some(Beat { error: Some(e), .. }) => Err(format!("the database refused a write: {e}")),
            Some(_) => Ok(()),
        }
    }
}

fn beat(c: &mut DbConn, instance: &str) -> Result<(), DbError> {
    let at = crate::models::now();
    super::transaction(c, |c| {
        let upsert = diesel::insert_into(heartbeats::table)
            .values((
                heartbeats::instance.eq(instance),
                heartbeats::beat_at.eq(at),
            ))
            .on_conflict(heartbeats::instance)
            .do_update()
            .set(heartbeats::beat_at.eq(at));
        crate::on_backend!(c, inner => upsert.execute(inner)).map(|_| ())
    })
    .map_err(DbError::from)
}

/// Drops heartbeats of instances silent for a day (restarts leave one row each).
pub fn purge_stale(c: &mut DbConn) -> QueryResult<usize> {
    let cutoff = crate::models::now() - chrono::Duration::days(1);
    diesel::delete(heartbeats::table.filter(heartbeats::beat_at.lt(cutoff))).execute(c)
}

fn health_thread(url: &str, asks: mpsc::Receiver<Reply>) {
    let mut conn: Option<DbConn> = None;
    while let Ok(first) = asks.recv() {
        // Everyone who asked while the last query ran shares the next one.
        let mut waiting = vec![first];
        waiting.extend(asks.try_iter());
        let result = ping(url, &mut conn);
        if result.is_err() {
            conn = None;
        }
        for w in waiting {
            let _ = w.send(result.clone());
        }
    }
}

fn ping(url: &str, conn: &mut Option<DbConn>) -> Result<(), String> {
    let c = match conn {
        Some(c) => c,
        None => {
            let target = super::sqlite_path(url);
            let mut c = DbConn::establish(target).map_err(|e| e.to_string())?;
            if let DbConn::Sqlite(_) = c {
                c.batch_execute("PRAGMA busy_timeout = 2000;")
                    .map_err(|e| e.to_string())?;
            }
            conn.insert(c)
        }
    };
    super::ping(c).map_err(|e| e.to_string())
}
