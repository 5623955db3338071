//! New passwords: long enough to resist guessing, short enough to hash cheaply.

pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        let n = raw.chars().count();
        if n < 10 {
            return Err("Passwords need at least 10 characters.".into());
        }
        if n > 128 {
            return Err("Passwords may have at most 128 characters.".into());
        }
        if raw.chars().any(char::is_control) {
            return Err("Passwords may not contain control characters.".into());
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::NewPassword;

    #[test]
    fn passwords_need_ten_to_128_printable_characters() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(NewPassword::parse("with\0nul-inside").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
    }
}
