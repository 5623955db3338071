//! The mail worker: every `Limits::mail_poll` it claims a batch of due mails from the
//! queue (`models::outbox::claim_due`, a lease on each), sends them one by one through the
//! transport with no transaction and no pooled connection held while it talks to the
//! server, and records each outcome (sent, or retried later with backoff, or failed). Pages
//! only insert into the queue, so a slow or dead mail server never slows one; a mail
//! claimed by an instance that dies is taken up again when its lease ends. `stop` (at
//! SIGTERM) lets the send in hand finish and takes no new one.

use std::time::Duration;

use tokio::sync::watch;

use crate::db::{self, DbError, DbPool};
use crate::mail::transport::{Outgoing, Transport, SEND_TIMEOUT};
use crate::models::{now, outbox};

/// Mails claimed at once: few, so that a claim never outlives its lease.
const BATCH: i64 = 10;

/// How long a claim holds: longer than a batch of sends can take at worst (each bounded
/// by the transport's timeouts), so no other worker takes a mail still being sent.
fn lease() -> chrono::Duration {
    chrono::Duration::from_std(SEND_TIMEOUT * 3 * BATCH as u32).expect("a small duration")
        + chrono::Duration::seconds(60)
}

/// The running worker.
pub struct MailWorker {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl MailWorker {
    /// Finishes the send in hand (if any), then returns; no new mail is taken.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

/// Starts the worker on the current runtime.
pub fn start(pool: DbPool, transport: Transport, every: Duration) -> MailWorker {
    log::info!("mail goes to {}", transport.describe());
    let (stop, mut stopping) = watch::channel(false);
    let done = tokio::spawn(async move {
        loop {
            if *stopping.borrow() {
                break;
            }
            match run_once(&pool, &transport, &stopping).await {
                // A full batch: more may be due, so claim again without waiting.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => log::warn!("mail: could not read the queue (tried again shortly): {e}"),
            }
            let dropped = tokio::select! {
                _ = actix_web::rt::time::sleep(every) => false,
                changed = stopping.changed() => changed.is_err(),
            };
            // A dropped handle stops the worker as `stop` does (without it, a closed
            // channel would wake this loop at once, every time).
            if dropped {
                break;
            }
        }
        log::info!("mail worker stopped");
    });
    MailWorker { stop, done }
}

/// Claims one batch and sends it; answers how many mails it attempted.
pub async fn run_once(
    pool: &DbPool,
    transport: &Transport,
    stopping: &watch::Receiver<bool>,
) -> Result<usize, DbError> {
    let claimed = db::run(pool, |c| {
        let at = now();
        // A read first: an idle queue costs no write (nor SQLite's write lock).
        if !outbox::any_due(c, at)? {
            return Ok(Vec::new());
        }
        outbox::claim_due(c, at, lease(), BATCH).map_err(DbError::from)
    })
    .await?;
    let mut attempted = 0;
    for queued in claimed {
        if *stopping.borrow() {
            // Not sent: the lease ends and this or another instance takes it up again.
            break;
        }
        attempted += 1;
        let result = transport
            .send(&Outgoing {
                recipient: &queued.mail.recipient,
                subject: &queued.mail.subject,
                body_text: &queued.mail.body_text,
                body_html: &queued.mail.body_html,
            })
            .await;
        let (id, kind, recipient) = (
            queued.id,
            queued.mail.kind.clone(),
            queued.mail.recipient.clone(),
        );
        let outcome = result.clone();
        let recorded = db::run(pool, move |c| {
            let at = now();
            match &outcome {
                Ok(()) => outbox::mark_sent(c, &queued, at).map(|_| true),
                Err(why) => outbox::mark_retry(c, &queued, why, at),
            }
            .map_err(DbError::from)
        })
        .await;
        match (result, recorded) {
            (Ok(()), Ok(_)) => log::info!("mail {id} ({kind}) sent to {recipient}"),
            (Err(why), Ok(true)) => {
                log::warn!("mail {id} ({kind}) to {recipient} not sent, retried later: {why}")
            }
            (Err(why), Ok(false)) => log::error!(
                "mail {id} ({kind}) to {recipient} failed for good after {} attempts: {why}",
                outbox::MAX_ATTEMPTS
            ),
            // The lease ends and the mail is tried again: it may then go twice, which is
            // better than never.
            (_, Err(e)) => log::error!("mail {id}: could not record the outcome: {e}"),
        }
    }
    Ok(attempted)
}
