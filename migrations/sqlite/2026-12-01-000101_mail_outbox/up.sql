-- The mail queue: a mail is written here in the same transaction as the change that
-- causes it, and the mail worker sends it later (a slow or dead mail server never slows a
-- page, and a restart loses nothing). A row is claimed by setting `locked_until` (a lease):
-- an instance that dies mid-send leaves the row to be taken up again when the lease ends.
-- `sensitive` bodies (invitation links) are blanked once the mail has left.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
