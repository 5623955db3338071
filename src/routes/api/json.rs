//! JSON answers that are safe to mistake for HTML: `<`, `>` and `&` inside strings are
//! written as `\u003c`, `\u003e` and `\u0026`. Any JSON parser reads the same values, but
//! text a caller chose and the API hands back (a role's name, an unknown permission key
//! in a 422) can never become markup in a client or a browser that sniffs the answer.

use std::io;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;

struct HtmlSafe;

impl serde_json::ser::Formatter for HtmlSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, b) in fragment.bytes().enumerate() {
            let escaped = match b {
                b'<' => "\\u003c",
                b'>' => "\\u003e",
                b'&' => "\\u0026",
                _ => continue,
            };
            // ASCII bytes, so `i` is a character boundary.
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + 1;
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as HTML-safe JSON text.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, HtmlSafe,
    ))?;
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// An answer with `status` and `value` as HTML-safe JSON.
pub fn answer<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    match to_string(value) {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .body(body),
        Err(e) => {
            log::error!("an API answer could not be serialized: {e}");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .body(r#"{"error":"The request could not be completed."}"#)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_string;

    #[test]
    fn markup_characters_are_escaped_and_read_back_unchanged() {
        let value = serde_json::json!({"name": "a<b>&c", "<k>": ["x&y"]});
        let text = to_string(&value).unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(text.contains(r"a\u003cb\u003e\u0026c"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
