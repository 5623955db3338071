//! The addresses an API key may be used from: CIDRs (IPv4 and IPv6) separated by commas
//! or spaces; a bare address means that address alone; empty means anywhere.

use std::net::IpAddr;

use ipnet::IpNet;

/// At most this many networks per key.
pub const MAX_NETWORKS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowedIps(Vec<IpNet>);

impl AllowedIps {
    /// Reads a form's or the database's text. Host bits are cleared (`10.0.0.7/8` is
    /// `10.0.0.0/8`), duplicates dropped.
    pub fn parse(raw: &str) -> Result<AllowedIps, String> {
        let mut nets: Vec<IpNet> = Vec::new();
        for part in raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            let net = match part.parse::<IpNet>() {
                Ok(n) => n.trunc(),
                Err(_) => match part.parse::<IpAddr>() {
                    Ok(a) => IpNet::from(a),
                    Err(_) => {
                        let shown: String = part.chars().take(60).collect();
                        return Err(format!(
                            "\"{shown}\" is not an address or a network such as \
                             203.0.113.0/24 or 2001:db8::/32."
                        ));
                    }
                },
            };
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > MAX_NETWORKS {
            return Err(format!("At most {MAX_NETWORKS} networks per key."));
        }
        Ok(AllowedIps(nets))
    }

    /// Reads what was stored (written by `as_text` from a parsed value); unreadable text
    /// allows nothing rather than everything.
    pub fn from_stored(text: &str) -> AllowedIps {
        AllowedIps::parse(text)
            .unwrap_or_else(|_| AllowedIps(vec![IpNet::from(IpAddr::from([255, 255, 255, 255]))]))
    }

    pub fn is_anywhere(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` (as `ClientInfo` gives it) may use the key. An
    /// IPv4-mapped IPv6 address counts as its IPv4 address; an unreadable one is refused
    /// unless the key works anywhere.
    pub fn allows(&self, ip: &str) -> bool {
        if self.is_anywhere() {
            return true;
        }
        let Ok(addr) = ip.parse::<IpAddr>() else {
            return false;
        };
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// The networks separated by spaces, as stored and shown.
    pub fn as_text(&self) -> String {
        self.networks().join(" ")
    }

    pub fn networks(&self) -> Vec<String> {
        self.0.iter().map(IpNet::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_of_both_families_are_read_and_matched() {
        let a = AllowedIps::parse("203.0.113.0/24, 2001:db8::/32 198.51.100.7").unwrap();
        assert_eq!(a.as_text(), "203.0.113.0/24 2001:db8::/32 198.51.100.7/32");
        assert!(a.allows("203.0.113.200"));
        assert!(a.allows("2001:db8:1::5"));
        assert!(a.allows("198.51.100.7"));
        assert!(a.allows("::ffff:203.0.113.9"));
        assert!(!a.allows("198.51.100.8"));
        assert!(!a.allows("2001:db9::1"));
        assert!(!a.allows("unknown"));
    }

    #[test]
    fn empty_means_anywhere_and_host_bits_are_cleared() {
        let a = AllowedIps::parse("  ").unwrap();
        assert!(a.is_anywhere() && a.allows("192.0.2.1") && a.allows("unknown"));
        assert_eq!(
            AllowedIps::parse("10.1.2.3/8").unwrap().as_text(),
            "10.0.0.0/8"
        );
        assert_eq!(
            AllowedIps::parse("::1 ::1/128").unwrap().as_text(),
            "::1/128"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_message() {
        for bad in ["10.0.0.0/33", "example.com", "1.2.3", "::1/129", "<script>"] {
            assert!(AllowedIps::parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..60).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(AllowedIps::parse(&many.join(",")).is_err());
        assert!(!AllowedIps::from_stored("garbage").allows("192.0.2.1"));
    }
}
