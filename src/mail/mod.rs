//! Mail the panel sends: each message is a pair of askama templates under
//! `templates/mail/` (plain text and HTML) rendered into a `models::outbox::NewMail`,
//! which the caller queues inside the transaction of the change that causes it. Links in
//! mails start at `Links::base` (`STEWARD_PUBLIC_URL`, or the bound address when unset).
//! Nothing here sends: the mail worker (`jobs::mail`) does, through `transport`.

pub mod invitation;
pub mod notice;
pub mod transport;

/// Where links in mails point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// `https://panel.example.com`, without a trailing slash.
    pub base: String,
}

impl Links {
    pub fn new(base: &str) -> Links {
        Links {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// An absolute link to a path of the panel (`/invitations/...`).
    pub fn to(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
