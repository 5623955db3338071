//! Login names: shared by accounts and alias users, unique case-insensitively.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// 3–32 characters: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    pub fn parse(raw: &str) -> Result<Username, String> {
        let s = raw.trim();
        if s.len() < 3 || s.chars().count() > 32 {
            return Err("Usernames are 3 to 32 characters long.".into());
        }
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(
                "Use letters, digits, '.', '_' and '-' only, starting with a letter or digit."
                    .into(),
            );
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form the unique index is built on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::Username;

    #[test]
    fn usernames_of_letters_digits_and_separators_are_accepted() {
        assert_eq!(
            Username::parse(" Alice.B-2 ").unwrap().as_str(),
            "Alice.B-2"
        );
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
    }

    #[test]
    fn short_long_and_odd_usernames_are_refused() {
        for bad in [
            "",
            "ab",
            "-abc",
            "a b c",
            "<script>",
            &"x".repeat(33),
            "ünï",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
