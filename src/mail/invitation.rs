//! The invitation mail: who invited the login (and for which account), its username, the
//! link that sets its password, and that the link works once within 72 hours. Its body
//! holds the link, a secret, so it is queued `sensitive`.

use askama::Template;

use super::Links;
use crate::models::invitation::VALID_HOURS;
use crate::models::outbox::NewMail;

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct Text<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct Html<'a> {
    m: &'a Invitation<'a>,
}

/// What an invitation mail says.
pub struct Invitation<'a> {
    /// The address it goes to.
    pub recipient: &'a str,
    /// The invited login's username.
    pub username: &'a str,
    /// The account it is a login of (its own username for an account).
    pub account: &'a str,
    /// Who sent the invitation.
    pub invited_by: &'a str,
    /// The link's secret token.
    pub token: &'a str,
    pub links: &'a Links,
}

impl Invitation<'_> {
    pub fn link(&self) -> String {
        self.links.to(&format!("/invitations/{}", self.token))
    }

    pub fn hours(&self) -> i64 {
        VALID_HOURS
    }

    /// The mail, ready for `outbox::enqueue`.
    pub fn render(&self) -> Result<NewMail, askama::Error> {
        Ok(NewMail {
            kind: "invitation".into(),
            recipient: self.recipient.to_string(),
            subject: format!(
                "{} invited you to Steward as {}",
                self.invited_by, self.username
            ),
            body_text: Text { m: self }.render()?,
            body_html: Html { m: self }.render()?,
            sensitive: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_names_who_invited_the_username_and_the_link_in_both_bodies() {
        let links = Links::new("https://panel.example.com/");
        let mail = Invitation {
            recipient: "anna@example.net",
            username: "ops-anna",
            account: "acme",
            invited_by: "bob <b>",
            token: "tok123",
            links: &links,
        }
        .render()
        .unwrap();
        assert_eq!(mail.kind, "invitation");
        assert!(mail.sensitive);
        for body in [&mail.body_text, &mail.body_html] {
            assert!(body.contains("https://panel.example.com/invitations/tok123"));
            assert!(body.contains("ops-anna"));
            assert!(body.contains("acme"));
            assert!(body.contains("72 hours"));
        }
        assert!(mail.body_text.contains("bob <b>"));
        assert!(
            mail.body_html.contains("bob &#60;b&#62;") || mail.body_html.contains("bob &lt;b&gt;")
        );
    }
}
