//! A role's name (required, one line, at most 60 characters) and description (optional,
//! may span lines, at most 500 characters).

use super::text::ShortText;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub const MAX: usize = 60;

    pub fn parse(raw: &str) -> Result<RoleName, String> {
        ShortText::parse(raw, Self::MAX, true).map(|t| RoleName(t.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDescription(String);

impl RoleDescription {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<RoleDescription, String> {
        let s = raw.trim().replace("\r\n", "\n");
        if s.chars().count() > Self::MAX {
            return Err(format!("At most {} characters.", Self::MAX));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err("Control characters are not allowed.".into());
        }
        Ok(RoleDescription(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_required_trimmed_and_short() {
        assert_eq!(RoleName::parse("  Support ").unwrap().as_str(), "Support");
        assert!(RoleName::parse(" ").is_err());
        assert!(RoleName::parse(&"x".repeat(60)).is_ok());
        assert!(RoleName::parse(&"x".repeat(61)).is_err());
        assert!(RoleName::parse("a\nb").is_err());
    }

    #[test]
    fn descriptions_are_optional_multi_line_and_bounded() {
        assert_eq!(RoleDescription::parse("").unwrap().as_str(), "");
        assert_eq!(RoleDescription::parse("a\r\nb").unwrap().as_str(), "a\nb");
        assert!(RoleDescription::parse(&"x".repeat(500)).is_ok());
        assert!(RoleDescription::parse(&"x".repeat(501)).is_err());
        assert!(RoleDescription::parse("bell\u{7}").is_err());
    }
}
