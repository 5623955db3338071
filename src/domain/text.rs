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
        if s.chars().any(is_format_character) {
            return Err(FORMAT_CHARACTERS.into());
        }
        Ok(ShortText(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The message for names holding invisible formatting characters.
pub const FORMAT_CHARACTERS: &str = "Invisible formatting characters (text direction controls such as U+202E, zero-width characters such as U+200B) are not allowed: they make a name read as another.";

/// Whether `c` is a Unicode format character (general category Cf, Unicode 15.1): bidi
/// controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C), zero-width characters
/// (U+200B–200D, U+2060, U+FEFF), the soft hyphen, and the rest of the category. In a
/// display name they let `\u{202e}nimda` be shown as "admin" in menus, lists and the
/// impersonation banner. The standard library has no category table, so the (short,
/// stable) list is written out.
pub fn is_format_character(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
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
    fn names_with_bidi_controls_or_zero_width_characters_are_refused() {
        for bad in [
            "\u{202e}nimda\u{200b}",
            "ad\u{200d}min",
            "\u{2066}x",
            "a\u{feff}",
            "soft\u{ad}",
        ] {
            assert_eq!(
                DisplayName::parse(bad).unwrap_err(),
                FORMAT_CHARACTERS,
                "{bad:?}"
            );
        }
        assert!(DisplayName::parse("Zoë Ångström 李").is_ok());
        assert!(DisplayName::parse("nul\u{0}inside").is_err());
    }

    #[test]
    fn optional_dates_accept_empty_and_iso_dates_only() {
        assert_eq!(optional_date("").unwrap(), None);
        assert!(optional_date("2030-01-31").unwrap().is_some());
        assert!(optional_date("31/01/2030").is_err());
    }
}
