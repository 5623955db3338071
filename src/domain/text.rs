//! Free-text fields (display names, role names, descriptions) and optional dates.

use chrono::NaiveDate;

/// A person's or company's display name: 1–100 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, String> {
        ShortText::parse(raw, 100, true).map(|t| DisplayName(t.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A trimmed single-line text with a maximum length, optionally required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortText(pub String);

impl ShortText {
    pub fn parse(raw: &str, max: usize, required: bool) -> Result<ShortText, String> {
        let s = raw.trim();
        if required && s.is_empty() {
            return Err("This field is required.".into());
        }
        if s.chars().count() > max {
            return Err(format!("At most {max} characters."));
        }
        if s.chars().any(char::is_control) {
            return Err("Control characters are not allowed.".into());
        }
        Ok(ShortText(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional `YYYY-MM-DD` date; empty means none.
pub fn optional_date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "Enter a date as YYYY-MM-DD.".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("tab\there").is_err());
    }

    #[test]
    fn optional_dates_accept_empty_and_iso_dates_only() {
        assert_eq!(optional_date("").unwrap(), None);
        assert!(optional_date("2030-01-31").unwrap().is_some());
        assert!(optional_date("31/01/2030").is_err());
    }
}
