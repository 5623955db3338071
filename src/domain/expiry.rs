//! The one rule for expiry dates, on every path that sets one (creating an alias user,
//! its page, an API key): empty means never; otherwise a YYYY-MM-DD date after today
//! (UTC). A login or key expires at the start of that day, so today or a past date would
//! make it expired the moment it is saved — refused, never "saved" silently.

use chrono::NaiveDate;

use super::text::optional_date;

/// A date the login or key stops working on, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(Option<NaiveDate>);

pub const PAST_EXPIRY: &str = "Pick a date after today, or leave it empty for no expiry.";

impl Expiry {
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Expiry, String> {
        match optional_date(raw)? {
            Some(d) if d <= today => Err(PAST_EXPIRY.into()),
            d => Ok(Expiry(d)),
        }
    }

    pub fn date(self) -> Option<NaiveDate> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_expiry_is_empty_or_after_today() {
        let today = day("2030-06-15");
        assert_eq!(Expiry::parse("", today).unwrap().date(), None);
        assert_eq!(Expiry::parse(" ", today).unwrap().date(), None);
        assert_eq!(
            Expiry::parse("2030-06-16", today).unwrap().date(),
            Some(day("2030-06-16"))
        );
        assert_eq!(Expiry::parse("2030-06-15", today), Err(PAST_EXPIRY.into()));
        assert_eq!(Expiry::parse("2020-01-01", today), Err(PAST_EXPIRY.into()));
        assert!(Expiry::parse("15/06/2031", today)
            .unwrap_err()
            .contains("YYYY-MM-DD"));
    }
}
