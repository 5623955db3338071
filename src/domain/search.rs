//! Search text from query strings (`q` of every list, the activity filters). PostgreSQL
//! refuses a NUL byte in any text value, so a search holding one used to end in a 500;
//! control characters can match nothing a form accepted (every text field refuses them).
//! One deserializer, used by every query type, refuses them before any query runs: the
//! page answers 422 with `REFUSED`, the JSON API 422 `{"error": ...}`.

use serde::{Deserialize, Deserializer};

/// The message of a refused search; the query error handlers recognise it by this text.
pub const REFUSED: &str = "A search cannot contain control characters (such as NUL).";

/// Whether `s` may be searched for: no control characters.
pub fn is_searchable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Deserializes a search field, refusing control characters.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if is_searchable(&s) {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(REFUSED))
    }
}

/// `text` for an optional field.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    match s {
        Some(s) if !is_searchable(&s) => Err(serde::de::Error::custom(REFUSED)),
        s => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "text")]
        q: String,
        #[serde(default, deserialize_with = "optional_text")]
        login: Option<String>,
    }

    #[test]
    fn a_search_with_a_nul_byte_or_control_character_is_refused() {
        for bad in ["q=ab%00c", "q=%0A", "login=x%00"] {
            let err = serde_urlencoded::from_str::<Q>(bad).unwrap_err();
            assert!(err.to_string().contains(REFUSED), "{bad}");
        }
        let ok: Q = serde_urlencoded::from_str("q=web%2001&login=bob").unwrap();
        assert_eq!(
            (ok.q.as_str(), ok.login.as_deref()),
            ("web 01", Some("bob"))
        );
        let empty: Q = serde_urlencoded::from_str("").unwrap();
        assert!(empty.q.is_empty() && empty.login.is_none());
    }
}
