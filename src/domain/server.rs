//! Server fields as they come in from forms: DNS names (server hostnames and rDNS), IP
//! addresses, tag lists, and the fixed list of operating systems a reinstall may pick.

use std::net::IpAddr;

/// A DNS name: lowercase labels of letters, digits and `-`, at least two of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsName(String);

impl DnsName {
    pub fn parse(raw: &str) -> Result<DnsName, String> {
        let s = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if s.is_empty() {
            return Err("This field is required.".into());
        }
        if s.len() > 253 {
            return Err("At most 253 characters.".into());
        }
        let labels: Vec<&str> = s.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(
                "Enter a full DNS name such as web01.example.com (letters, digits and '-').".into(),
            );
        }
        Ok(DnsName(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IPv4 or IPv6 address, kept in its canonical text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddress(String);

impl IpAddress {
    pub fn parse(raw: &str) -> Result<IpAddress, String> {
        raw.trim()
            .parse::<IpAddr>()
            .map(|ip| IpAddress(ip.to_string()))
            .map_err(|_| "Enter an IPv4 or IPv6 address.".to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Comma-separated tags: at most 10, each 1–32 of lowercase letters, digits, `-`, `_`, `.`.
/// Stored as `a,b,c` so a LIKE search finds a tag anywhere in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags(String);

impl Tags {
    pub fn parse(raw: &str) -> Result<Tags, String> {
        let mut tags: Vec<String> = Vec::new();
        for t in raw.split(',').map(|t| t.trim().to_ascii_lowercase()) {
            if t.is_empty() || tags.contains(&t) {
                continue;
            }
            if t.len() > 32
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "“{t}” is not a tag: use up to 32 letters, digits, '-', '_' or '.'."
                ));
            }
            tags.push(t);
        }
        if tags.len() > 10 {
            return Err("At most 10 tags.".into());
        }
        Ok(Tags(tags.join(",")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An operating system a reinstall may install: `(key, label)`.
pub const OS_CHOICES: &[(&str, &str)] = &[
    ("debian-12", "Debian 12 (bookworm)"),
    ("ubuntu-24.04", "Ubuntu 24.04 LTS"),
    ("ubuntu-22.04", "Ubuntu 22.04 LTS"),
    ("rocky-9", "Rocky Linux 9"),
    ("alma-9", "AlmaLinux 9"),
    ("proxmox-8", "Proxmox VE 8"),
    ("windows-2022", "Windows Server 2022"),
];

/// One entry of `OS_CHOICES`, chosen by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsChoice {
    pub key: &'static str,
    pub label: &'static str,
}

impl OsChoice {
    pub fn parse(raw: &str) -> Result<OsChoice, String> {
        OS_CHOICES
            .iter()
            .find(|(k, _)| *k == raw.trim())
            .map(|(key, label)| OsChoice { key, label })
            .ok_or_else(|| "Choose an operating system from the list.".to_string())
    }

    /// The label of a stored OS key (or the key itself for one no longer offered).
    pub fn label_of(key: &str) -> &str {
        OS_CHOICES
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_need_two_clean_labels() {
        assert_eq!(
            DnsName::parse(" Web01.Example.COM. ").unwrap().as_str(),
            "web01.example.com"
        );
        for bad in [
            "",
            "web01",
            "-a.example.com",
            "a..b",
            "a_b.example.com",
            "<x>.com",
        ] {
            assert!(DnsName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_addresses_are_canonical() {
        assert_eq!(IpAddress::parse(" 10.0.0.1 ").unwrap().as_str(), "10.0.0.1");
        assert_eq!(
            IpAddress::parse("2001:DB8::0001").unwrap().as_str(),
            "2001:db8::1"
        );
        assert!(IpAddress::parse("10.0.0.256").is_err());
    }

    #[test]
    fn tags_are_normalised_and_bounded() {
        assert_eq!(Tags::parse(" Web, db ,,web").unwrap().as_str(), "web,db");
        assert!(Tags::parse("bad tag").is_err());
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&many.join(",")).is_err());
    }

    #[test]
    fn only_listed_operating_systems_are_accepted() {
        assert_eq!(OsChoice::parse("debian-12").unwrap().key, "debian-12");
        assert!(OsChoice::parse("templeos").is_err());
    }
}
