//! The notices an account owner gets by mail, opt-out per account: a risky or
//! admin permission granted to one of its logins, two-factor removed or reset, and a login
//! signing in from an address it never used before; and the offboarding of one of its
//! alias users, with where its SSH keys still are. Each is a struct holding what the mail
//! says (who did it, impersonator included, which login, what, when and from where),
//! rendered by `templates/mail/<kind>.txt` and `.html` into a `NewMail`. Deciding whether
//! to send one, and queueing it, is `operations::notices`.

use askama::Template;

use crate::models::outbox::NewMail;

/// A permission as a notice names it.
#[derive(Debug, Clone)]
pub struct Granted {
    pub key: &'static str,
    pub label: &'static str,
    /// Why it is dangerous ("" for admin permissions, which carry no warning text).
    pub risk: &'static str,
}

/// A risky or admin permission granted to logins of the account: by a role edit, a role
/// change, or the creation of an alias user.
#[derive(Debug, Clone)]
pub struct RiskyGrant {
    pub account: String,
    /// "alice", or "admin alice, acting as bob".
    pub actor: String,
    /// How it happened: "the role Ops was edited".
    pub how: String,
    pub logins: Vec<String>,
    pub permissions: Vec<Granted>,
    pub when: String,
    pub address: String,
}

/// Second factors of a login removed or reset.
#[derive(Debug, Clone)]
pub struct FactorsRemoved {
    pub account: String,
    pub actor: String,
    pub login: String,
    /// "reset (every factor removed)", "removed its authenticator app", ...
    pub what: String,
    pub when: String,
    pub address: String,
}

/// A login of the account signed in from an address it never used before.
#[derive(Debug, Clone)]
pub struct NewAddress {
    pub account: String,
    pub login: String,
    pub when: String,
    pub address: String,
    pub user_agent: String,
}

/// An alias user of the account offboarded: what was done, and on how many servers its
/// SSH keys were installed (they stay there until someone removes them).
#[derive(Debug, Clone)]
pub struct Offboarded {
    pub account: String,
    pub actor: String,
    pub login: String,
    pub sessions: usize,
    pub api_keys: usize,
    pub ssh_keys: usize,
    /// Servers where reinstall or rescue jobs installed its SSH keys.
    pub servers_with_keys: i64,
    pub when: String,
    pub address: String,
}

#[derive(Template)]
#[template(path = "mail/offboarded.txt")]
struct OffboardedText<'a> {
    n: &'a Offboarded,
}

#[derive(Template)]
#[template(path = "mail/offboarded.html")]
struct OffboardedHtml<'a> {
    n: &'a Offboarded,
}

impl Offboarded {
    pub fn mail(&self, recipient: &str) -> Result<NewMail, askama::Error> {
        Ok(notice(
            "offboarded",
            recipient,
            format!("Steward: {} was offboarded", self.login),
            OffboardedText { n: self }.render()?,
            OffboardedHtml { n: self }.render()?,
        ))
    }
}

#[derive(Template)]
#[template(path = "mail/risky_grant.txt")]
struct RiskyGrantText<'a> {
    n: &'a RiskyGrant,
}

#[derive(Template)]
#[template(path = "mail/risky_grant.html")]
struct RiskyGrantHtml<'a> {
    n: &'a RiskyGrant,
}

#[derive(Template)]
#[template(path = "mail/two_factor_removed.txt")]
struct FactorsRemovedText<'a> {
    n: &'a FactorsRemoved,
}

#[derive(Template)]
#[template(path = "mail/two_factor_removed.html")]
struct FactorsRemovedHtml<'a> {
    n: &'a FactorsRemoved,
}

#[derive(Template)]
#[template(path = "mail/new_address.txt")]
struct NewAddressText<'a> {
    n: &'a NewAddress,
}

#[derive(Template)]
#[template(path = "mail/new_address.html")]
struct NewAddressHtml<'a> {
    n: &'a NewAddress,
}

fn notice(
    kind: &str,
    recipient: &str,
    subject: String,
    body_text: String,
    body_html: String,
) -> NewMail {
    NewMail {
        kind: kind.to_string(),
        recipient: recipient.to_string(),
        subject,
        body_text,
        body_html,
        sensitive: false,
    }
}

impl RiskyGrant {
    pub fn mail(&self, recipient: &str) -> Result<NewMail, askama::Error> {
        Ok(notice(
            "risky_grant",
            recipient,
            format!(
                "Steward: dangerous permissions granted on account {}",
                self.account
            ),
            RiskyGrantText { n: self }.render()?,
            RiskyGrantHtml { n: self }.render()?,
        ))
    }
}

impl FactorsRemoved {
    pub fn mail(&self, recipient: &str) -> Result<NewMail, askama::Error> {
        Ok(notice(
            "two_factor_removed",
            recipient,
            format!("Steward: a second factor of {} was removed", self.login),
            FactorsRemovedText { n: self }.render()?,
            FactorsRemovedHtml { n: self }.render()?,
        ))
    }
}

impl NewAddress {
    pub fn mail(&self, recipient: &str) -> Result<NewMail, askama::Error> {
        Ok(notice(
            "new_address",
            recipient,
            format!(
                "Steward: {} signed in from a new address ({})",
                self.login, self.address
            ),
            NewAddressText { n: self }.render()?,
            NewAddressHtml { n: self }.render()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_risky_grant_names_the_actor_the_logins_and_the_permissions_in_both_bodies() {
        let n = RiskyGrant {
            account: "acme".into(),
            actor: "admin root, acting as acme".into(),
            how: "the role <Ops> was edited".into(),
            logins: vec!["dev".into(), "ops".into()],
            permissions: vec![Granted {
                key: "servers.console",
                label: "Remote console",
                risk: "full OS access",
            }],
            when: "2026-12-01 02:00:00 UTC".into(),
            address: "203.0.113.5".into(),
        };
        let m = n.mail("acme@example.com").unwrap();
        assert_eq!(m.kind, "risky_grant");
        assert!(!m.sensitive);
        for body in [&m.body_text, &m.body_html] {
            assert!(body.contains("admin root, acting as acme"), "{body}");
            assert!(body.contains("servers.console"), "{body}");
            assert!(body.contains("dev") && body.contains("ops"), "{body}");
            assert!(body.contains("203.0.113.5"), "{body}");
        }
        assert!(m.body_text.contains("the role <Ops> was edited"));
        assert!(
            m.body_html.contains("the role &#60;Ops&#62; was edited")
                || m.body_html.contains("the role &lt;Ops&gt; was edited"),
            "{}",
            m.body_html
        );
    }
}
