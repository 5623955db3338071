//! Graceful shutdown: on SIGTERM or SIGINT every server stops accepting
//! connections, lets the requests in flight finish (at most
//! `startup::SHUTDOWN_GRACE_SECONDS`), and `steward serve` then returns, exiting 0.
//! actix-server's own signal handling is switched off because it treats SIGINT as a
//! forced stop that drops requests in flight; a Ctrl-C at the console should not lose
//! the answer to a change the panel is making.
//!
//! After the servers have stopped, `steward serve` stops the mail worker
//! (`jobs::mail::MailWorker::stop`): it finishes the send in hand and takes no new mail;
//! what is left stays queued for the next start.

use actix_web::dev::ServerHandle;

/// Waits for SIGTERM or SIGINT.
pub async fn wait_for_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// Stops every server gracefully at the first signal.
pub async fn stop_on_signal(servers: Vec<ServerHandle>) {
    match wait_for_signal().await {
        Ok(name) => log::info!("{name} received: finishing requests in flight, then exiting"),
        Err(e) => {
            log::error!("cannot listen for signals: {e}");
            return;
        }
    }
    for s in &servers {
        // Stop accepting on every listener at once, then wait for each to drain.
        let _ = s.pause().await;
    }
    for s in servers {
        s.stop(true).await;
    }
}
