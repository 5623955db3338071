//! The driver worker: it claims queued server jobs (`models::server_job::claim_due`, a
//! lease on each), calls the controller on a blocking thread with a deadline and with no
//! transaction open nor pooled connection held, and records the answer
//! (`driver::settle`). Actions only queue, so a controller that takes seconds holds no
//! database lock, and a job whose instance died mid-call is taken up again when its lease
//! ends (by this instance after a restart, or by another on the same PostgreSQL).
//!
//! `Jobs` is the handle the doors hold: it wakes the worker the moment an action queued
//! something, and lets the action's answer wait (briefly) for the outcome, so a quick
//! controller's result is on the very next page. `stop` (at SIGTERM) lets the calls in
//! hand finish and record, and claims nothing new: the rest waits in the table.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinSet;

use crate::db::{self, DbError, DbPool};
use crate::driver::{self, Answer, Command};
use crate::models::now;
use crate::models::server::Server;
use crate::models::server_job::{self, ServerJob, FAILED};

/// Calls one instance makes at once (each on its own server).
const PARALLEL_CALLS: usize = 8;
/// Outcomes kept for an action that starts waiting after its job already ended.
const REMEMBERED: usize = 256;

/// What became of a job, as far as this instance saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ended: its status (`done`, `running` for a reinstall under way, `failed`) and the
    /// controller's message.
    Ended { status: String, message: String },
    /// Not yet (queued, being called, or called by another instance).
    Pending,
}

/// The handle shared by the doors and the worker.
#[derive(Clone, Default)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    wake: Notify,
    board: Mutex<Board>,
}

/// Who waits for which job, and the last outcomes nobody waited for yet.
#[derive(Default)]
struct Board {
    waiting: HashMap<i32, Vec<oneshot::Sender<Outcome>>>,
    ended: VecDeque<(i32, Outcome)>,
}

impl Jobs {
    /// Something was queued: the worker claims it now rather than at its next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Wakes the worker and waits up to `within` for `job` to end.
    pub async fn outcome(&self, job: i32, within: Duration) -> Outcome {
        let (tx, rx) = oneshot::channel();
        {
            let mut board = self.board();
            if let Some((_, o)) = board.ended.iter().find(|(id, _)| *id == job) {
                return o.clone();
            }
            board.waiting.entry(job).or_default().push(tx);
        }
        self.wake();
        let outcome = tokio::time::timeout(within, rx).await;
        // Whatever happened, this waiter is gone: nothing is kept for it.
        let mut board = self.board();
        if let Some(list) = board.waiting.get_mut(&job) {
            list.retain(|s| !s.is_closed());
            if list.is_empty() {
                board.waiting.remove(&job);
            }
        }
        match outcome {
            Ok(Ok(o)) => o,
            _ => Outcome::Pending,
        }
    }

    fn ended(&self, job: i32, outcome: Outcome) {
        let mut board = self.board();
        match board.waiting.remove(&job) {
            Some(waiters) => {
                for w in waiters {
                    let _ = w.send(outcome.clone());
                }
            }
            None => {
                if board.ended.len() == REMEMBERED {
                    board.ended.pop_front();
                }
                board.ended.push_back((job, outcome));
            }
        }
    }

    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        // A poisoned board only lost a waiter; the worker must go on.
        self.inner.board.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How the worker runs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub poll: Duration,
    pub timeout: Duration,
}

impl Settings {
    /// A claim holds twice the call's deadline: the call has ended (answered or cut off)
    /// and been recorded well before another instance may take the job up.
    fn lease(&self) -> chrono::Duration {
        // `Limits` keeps the timeout within an hour; should a caller pass more, the lease
        // is a day rather than a panic.
        chrono::Duration::from_std(self.timeout.saturating_mul(2))
            .unwrap_or_else(|_| chrono::Duration::days(1))
            + chrono::Duration::seconds(5)
    }
}

/// The running worker.
pub struct DriverWorker {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl DriverWorker {
    /// Lets the calls in hand finish and record, then returns; nothing new is claimed.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

/// Starts the worker on the current runtime.
pub fn start(pool: DbPool, jobs: Jobs, settings: Settings) -> DriverWorker {
    let (stop, mut stopping) = watch::channel(false);
    let done = tokio::spawn(async move {
        let mut calls: JoinSet<()> = JoinSet::new();
        // The first look waits for a poll or a wake too: jobs left from before a restart
        // are a poll away, and an instance built with a long poll (the tests' in-process
        // one) takes only what its own actions queued.
        let mut stop_asked = tokio::select! {
            _ = jobs.inner.wake.notified() => false,
            _ = actix_web::rt::time::sleep(settings.poll) => false,
            // A dropped handle stops the worker as `stop` does.
            changed = stopping.changed() => changed.is_err(),
        };
        loop {
            if stop_asked || *stopping.borrow() {
                break;
            }
            let free = PARALLEL_CALLS - calls.len();
            let mut claimed_all = false;
            if free > 0 {
                match claim(&pool, &settings, free).await {
                    Ok(claimed) => {
                        claimed_all = claimed.len() == free;
                        for (job, server) in claimed {
                            let (pool, jobs) = (pool.clone(), jobs.clone());
                            calls.spawn(call(pool, jobs, settings, job, server));
                        }
                    }
                    Err(e) => log::warn!("driver: could not read the job queue: {e}"),
                }
            }
            stop_asked = tokio::select! {
                // A full claim: more may be due as soon as a call ends.
                Some(_) = calls.join_next(), if !calls.is_empty() => false,
                _ = jobs.inner.wake.notified(), if !claimed_all => false,
                _ = actix_web::rt::time::sleep(settings.poll), if !claimed_all => false,
                changed = stopping.changed() => changed.is_err(),
            };
        }
        while calls.join_next().await.is_some() {}
        log::info!("driver worker stopped");
    });
    DriverWorker { stop, done }
}

/// Claims up to `free` due jobs, each with its server.
async fn claim(
    pool: &DbPool,
    settings: &Settings,
    free: usize,
) -> Result<Vec<(ServerJob, Option<Server>)>, DbError> {
    let lease = settings.lease();
    db::run(pool, move |c| {
        let at = now();
        if !server_job::any_due(c, at)? {
            return Ok(Vec::new());
        }
        let claimed = server_job::claim_due(c, at, lease, free as i64)?;
        let mut with_servers = Vec::with_capacity(claimed.len());
        for job in claimed {
            let server = Server::find(c, job.server_id)?;
            with_servers.push((job, server));
        }
        Ok::<_, DbError>(with_servers)
    })
    .await
}

/// Makes one call and records its answer.
async fn call(
    pool: DbPool,
    jobs: Jobs,
    settings: Settings,
    job: ServerJob,
    server: Option<Server>,
) {
    let answer = match (server, Command::from_json(&job.command)) {
        (None, _) => Err("the server was removed".to_string()),
        (_, Err(why)) => Err(why),
        (Some(server), Ok(command)) => {
            let ctl = driver::for_server(&server);
            let asked = tokio::task::spawn_blocking(move || ctl.call(&server, &command));
            match tokio::time::timeout(settings.timeout, asked).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err("the driver stopped while calling the controller".to_string()),
                // The blocking call goes on to its end, but its answer is no longer waited
                // for: the job has failed and says why.
                Err(_) => Err(format!(
                    "the controller did not answer within {} s",
                    settings.timeout.as_secs_f32()
                )),
            }
        }
    };
    let message = match &answer {
        Ok(Answer::Done) => "done".to_string(),
        Ok(Answer::Started) => "started".to_string(),
        Err(why) => why.clone(),
    };
    let (id, kind, server_id) = (job.id, job.kind.clone(), job.server_id);
    let recorded = db::run(&pool, move |c| {
        driver::settle(c, &job, answer, now()).map_err(DbError::from)
    })
    .await;
    match recorded {
        Ok(Some(status)) => {
            if status == FAILED {
                log::warn!("driver job {id} ({kind}, server {server_id}) failed: {message}");
            } else {
                log::info!("driver job {id} ({kind}, server {server_id}): {status}");
            }
            jobs.ended(
                id,
                Outcome::Ended {
                    status: status.to_string(),
                    message,
                },
            );
        }
        // Its lease ran out and another worker took it up: that one records.
        Ok(None) => log::warn!("driver job {id}: claim lost before its answer was recorded"),
        // The lease ends and the job is called again: a repeated power or rescue call is
        // harmless, a lost one would not be.
        Err(e) => log::error!("driver job {id}: could not record the answer: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_twice_the_call_deadline_and_never_a_panic() {
        let at = |timeout| Settings {
            poll: Duration::from_secs(1),
            timeout,
        };
        assert_eq!(
            at(Duration::from_secs(60)).lease(),
            chrono::Duration::seconds(125)
        );
        assert_eq!(
            at(Duration::MAX).lease(),
            chrono::Duration::days(1) + chrono::Duration::seconds(5)
        );
    }
}
