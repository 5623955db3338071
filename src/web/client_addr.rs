//! The client address of a request behind reverse proxies (`STEWARD_TRUSTED_PROXIES`).
//! Only a peer inside one of the trusted networks may name the client through
//! `X-Forwarded-For` or `Forwarded`; from any other peer the headers are ignored, since
//! anyone can send them. The chain is read from the right (the hop nearest to us) and the
//! first address that is not itself a trusted proxy is the client: the addresses left of
//! it were written by the client or by proxies we cannot vouch for.
//!
//! When both headers are present, `X-Forwarded-For` wins: it is what nearly every proxy
//! appends to (nginx, HAProxy, Caddy, Traefik, cloud balancers), so a `Forwarded` header
//! forged by a client and passed through unchanged is never believed instead of it.

use std::net::IpAddr;

use ipnet::IpNet;

/// The networks whose peers may set the client address; empty trusts nobody.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (or single addresses) separated by commas or whitespace.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an address or CIDR (e.g. 10.0.0.0/8)"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request that came from `peer` with these headers.
    pub fn client_ip(&self, peer: IpAddr, x_forwarded_for: &[&str], forwarded: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let chain: Vec<Option<IpAddr>> = if !x_forwarded_for.is_empty() {
            x_forwarded_for
                .iter()
                .flat_map(|h| h.split(','))
                .map(parse_hop)
                .collect()
        } else {
            forwarded
                .iter()
                .flat_map(|h| h.split(','))
                .map(|element| {
                    element
                        .split(';')
                        .find_map(|pair| {
                            let (k, v) = pair.split_once('=')?;
                            k.trim().eq_ignore_ascii_case("for").then_some(v)
                        })
                        .and_then(parse_hop)
                })
                .collect()
        };
        // Walk from the nearest hop outwards; `nearest` is the last address we can vouch for.
        let mut nearest = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => nearest = *ip,
                Some(ip) => return *ip,
                // An unparseable or obfuscated hop ("unknown", "_hidden"): the proxy that
                // wrote it is the last one we know, so it stands for the client.
                None => return nearest,
            }
        }
        nearest
    }
}

/// One hop of a header: `1.2.3.4`, `1.2.3.4:5678`, `"[2001:db8::1]:80"`, `2001:db8::1`.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    let (host, _port) = s.rsplit_once(':')?;
    host.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|v4| canonical(IpAddr::V4(v4)))
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack socket reports) are
/// compared and recorded as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("203.0.113.9"), &["1.1.1.1"], &[]),
            ip("203.0.113.9")
        );
        let lb = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            lb.client_ip(ip("203.0.113.9"), &["1.1.1.1"], &["for=2.2.2.2"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_address() {
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client forged the first entry; the balancer appended the real one.
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.7"], &[]),
            ip("198.51.100.7")
        );
        // Two trusted hops are skipped.
        assert_eq!(
            lb.client_ip(
                ip("10.0.0.2"),
                &["198.51.100.7, 192.168.1.1", "10.1.1.1"],
                &[]
            ),
            ip("198.51.100.7")
        );
        // Only trusted hops: the farthest one.
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &["10.9.9.9"], &[]),
            ip("10.9.9.9")
        );
        // No header: the peer.
        assert_eq!(lb.client_ip(ip("10.0.0.2"), &[], &[]), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let lb = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            lb.client_ip(
                ip("10.0.0.2"),
                &[],
                &[r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#]
            ),
            ip("2001:db8::7")
        );
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &[], &["for=198.51.100.7:1234;by=10.0.0.2"]),
            ip("198.51.100.7")
        );
        // X-Forwarded-For wins over a Forwarded header the proxy merely passed through.
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &["198.51.100.7"], &["for=6.6.6.6"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn garbage_hops_stop_at_the_last_known_proxy() {
        let lb = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &["unknown"], &[]),
            ip("10.0.0.2")
        );
        assert_eq!(
            lb.client_ip(ip("10.0.0.2"), &["1.2.3.4, _hidden, 10.0.0.5"], &[]),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn mapped_ipv6_peers_count_as_ipv4_and_bad_lists_are_refused() {
        let lb = TrustedProxies::parse("127.0.0.1/32").unwrap();
        assert_eq!(
            lb.client_ip(ip("::ffff:127.0.0.1"), &["198.51.100.7"], &[]),
            ip("198.51.100.7")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example.com").is_err());
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}
