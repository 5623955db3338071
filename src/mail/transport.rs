//! How a queued mail leaves the panel: over SMTP with lettre when `STEWARD_SMTP_URL` is
//! set (one multipart/alternative message, plain text first and HTML second, each attempt
//! bounded by `SEND_TIMEOUT`), or into the log when it is not, so that an installation
//! without a mail server (the embedded SQLite default) still shows its invitation links
//! to whoever reads the log. Only the mail worker (`jobs::mail`) sends.

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::redact_url;

/// The longest one SMTP conversation may take (connect, greeting, each command): a slow
/// server costs the worker this much at most per attempt, and never a page anything.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What one send needs from a queued row.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

#[derive(Clone)]
pub struct Transport {
    from: Mailbox,
    via: Via,
}

#[derive(Clone)]
enum Via {
    Smtp {
        mailer: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// The URL with its password hidden, for the log.
        shown: String,
    },
    Log,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("from", &self.from.to_string())
            .field("via", &self.describe())
            .finish()
    }
}

impl Transport {
    /// SMTP at `smtp_url`, or the log when it is `None`. Fails on a URL lettre cannot use
    /// (unknown scheme, no host) or a sender that is not a mailbox.
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Transport> {
        let from: Mailbox = from.parse().with_context(|| {
            format!("STEWARD_MAIL_FROM must be an address like Steward <steward@example.com> (got {from:?})")
        })?;
        let via = match smtp_url {
            None => Via::Log,
            Some(url) => {
                let shown = redact_url(url);
                let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .with_context(|| {
                        format!(
                            "STEWARD_SMTP_URL must look like smtp://host:port or smtps://user:password@host (got {shown})"
                        )
                    })?
                    .timeout(Some(SEND_TIMEOUT))
                    .build();
                Via::Smtp {
                    mailer: Box::new(mailer),
                    shown,
                }
            }
        };
        Ok(Transport { from, via })
    }

    /// Where mail goes, for the start-up log line (no password).
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Smtp { shown, .. } => format!("SMTP at {shown}, from {}", self.from),
            Via::Log => "the log (STEWARD_SMTP_URL is not set)".to_string(),
        }
    }

    /// Sends one mail; the error is a sentence for the queue's `last_error`.
    pub async fn send(&self, mail: &Outgoing<'_>) -> Result<(), String> {
        match &self.via {
            Via::Log => {
                log::info!(
                    "mail (not sent: STEWARD_SMTP_URL is not set) to {}, subject {:?}:\n{}",
                    mail.recipient,
                    mail.subject,
                    mail.body_text
                );
                Ok(())
            }
            Via::Smtp { mailer, .. } => {
                let message = self.message(mail)?;
                // lettre's timeout bounds each read and write; this bounds the whole
                // conversation, so a server that trickles bytes cannot hold the worker.
                match actix_web::rt::time::timeout(SEND_TIMEOUT * 3, mailer.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(describe_error(&e)),
                    Err(_) => Err(format!(
                        "the mail server did not finish within {} s",
                        (SEND_TIMEOUT * 3).as_secs()
                    )),
                }
            }
        }
    }

    fn message(&self, mail: &Outgoing<'_>) -> Result<Message, String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("the recipient {:?} is not an address: {e}", mail.recipient))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.body_text.to_string(),
                mail.body_html.to_string(),
            ))
            .map_err(|e| format!("the mail could not be built: {e}"))
    }
}

/// lettre's error with its cause chain, in one line ("permanent error (550): ...").
fn describe_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_and_smtps_urls_are_accepted_and_a_bad_one_is_refused_without_its_password() {
        assert!(Transport::new(Some("smtp://127.0.0.1:2525"), "Steward <s@localhost>").is_ok());
        let t = Transport::new(
            Some("smtps://user:secret@mail.example.com"),
            "steward@example.com",
        )
        .unwrap();
        assert!(!t.describe().contains("secret"));
        assert!(!format!("{t:?}").contains("secret"));
        let e = Transport::new(Some("ftp://user:secret@host"), "s@example.com").unwrap_err();
        assert!(!format!("{e:#}").contains("secret"), "{e:#}");
        assert!(Transport::new(None, "not an address").is_err());
        assert_eq!(
            Transport::new(None, crate::config::DEFAULT_MAIL_FROM)
                .unwrap()
                .describe(),
            "the log (STEWARD_SMTP_URL is not set)"
        );
    }
}
