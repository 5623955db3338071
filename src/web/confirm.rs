//! Destructive actions ask first, on the server as well as in the browser. A
//! handler checks access, then its input, then asks `Ask::confirmed_by`: when the form lacks
//! the expected `confirm` value (`yes`, or the server's hostname typed for a reinstall),
//! the answer is 422 with a page that says what would happen and offers the same form
//! again with the confirmation — the path without script. With script, a native dialog
//! asks before the form is sent (static/app.js), so that page is rarely seen.

use actix_web::HttpResponse;
use askama::Template;

use super::chrome::Chrome;
use super::{render, AppError, Current};

/// What an action needs to hear before it runs.
#[derive(Debug, Default)]
pub struct Ask {
    /// "Reinstall web01?": the page title and heading.
    pub title: String,
    /// What happens, in one or two sentences.
    pub message: String,
    /// The URL the form posts to (the same action again).
    pub action: String,
    /// The other fields of the form, sent again unchanged.
    pub fields: Vec<(String, String)>,
    /// The label of the confirming button.
    pub button: String,
    /// Where "Cancel" leads.
    pub back: String,
    /// `Some(hostname)`: the value must be typed; `None`: `confirm=yes`.
    pub typed: Option<String>,
}

impl Ask {
    /// `Err` with the question still to answer unless `sent` (the form's `confirm` field)
    /// confirms this action: a hand-off returns it, and the handler renders its page.
    pub fn confirmed_by(self, sent: &str) -> Result<(), Asking> {
        if self.is_confirmed_by(sent) {
            return Ok(());
        }
        Err(Asking {
            ask: Box::new(self),
            sent: sent.to_owned(),
        })
    }

    /// Whether `sent` (the form's `confirm` field) confirms this action.
    pub fn is_confirmed_by(&self, sent: &str) -> bool {
        let sent = sent.trim();
        match &self.typed {
            Some(expected) => !sent.is_empty() && sent.eq_ignore_ascii_case(expected),
            None => sent == "yes",
        }
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    chrome: Option<Chrome>,
    ask: &'a Ask,
    /// Something was typed, and it was not the expected value.
    wrong: bool,
}

/// A question not answered yet, with the `confirm` value that was sent (a wrong hostname
/// is shown as wrong on the page that asks again).
#[derive(Debug)]
pub struct Asking {
    ask: Box<Ask>,
    sent: String,
}

impl Asking {
    /// The 422 page that asks, under the main navigation entry `nav`.
    pub fn page(self, current: &Current, nav: &'static str) -> Result<HttpResponse, AppError> {
        let page = ConfirmPage {
            chrome: Some(current.chrome(nav)),
            wrong: self.ask.typed.is_some() && !self.sent.trim().is_empty(),
            ask: &self.ask,
        };
        render::invalid(&page)
    }
}

#[cfg(test)]
mod tests {
    use super::Ask;

    fn ask(typed: Option<&str>) -> Ask {
        Ask {
            typed: typed.map(str::to_string),
            ..Ask::default()
        }
    }

    #[test]
    fn only_yes_confirms_a_yes_question() {
        assert!(ask(None).is_confirmed_by("yes"));
        assert!(!ask(None).is_confirmed_by(""));
        assert!(!ask(None).is_confirmed_by("no"));
        assert!(!ask(None).is_confirmed_by("on"));
    }

    #[test]
    fn only_the_typed_hostname_confirms_a_reinstall() {
        let a = ask(Some("web01.example.com"));
        assert!(a.is_confirmed_by("web01.example.com"));
        assert!(a.is_confirmed_by(" WEB01.example.com "));
        assert!(!a.is_confirmed_by("yes"));
        assert!(!a.is_confirmed_by(""));
        assert!(!a.is_confirmed_by("web01"));
    }
}
