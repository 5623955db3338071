//! E-mail addresses, checked for shape (one `@`, a dotted domain, no spaces); whether the
//! mailbox exists is not the panel's business.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim();
        let invalid = || "Enter an e-mail address like name@example.com.".to_string();
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || domain.contains('@') || !domain_ok {
            return Err(invalid());
        }
        if local
            .chars()
            .any(|c| matches!(c, '<' | '>' | '"' | '\\' | '(' | ')' | ',' | ';' | ':'))
        {
            return Err(invalid());
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn ordinary_addresses_are_accepted() {
        assert!(Email::parse("ops@example.com").is_ok());
        assert!(Email::parse("first.last+tag@sub.example.co.uk").is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@x.com",
            "a@.com",
            "<x>@y.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
