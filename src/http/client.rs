//! Who the client is: the address anonymous budgets are charged to.
//!
//! Behind a balancer every connection comes from the balancer, so the
//! socket's address would put every anonymous caller in one bucket. A
//! proxy names the client in `Forwarded` (RFC 7239) or `X-Forwarded-For`,
//! but anyone can send those headers: they are read only when the
//! connection comes from a proxy the operator trusts (`--trusted-proxy`).
//! Each proxy appends the address it received the request from, so the
//! list is read from the right, skipping trusted proxies: the first
//! address that is not one of them is the client (addresses further left
//! were written by the client itself and prove nothing).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// An address block: an address and the length of its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX` (IPv4 or IPv6).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("`{text}`: the prefix must be 0 to {width}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `ip` lies in the block (an IPv4 address mapped into IPv6
    /// counts as the IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the socket's peer, or — when the peer is a
/// trusted proxy — the last untrusted address the proxies name. The
/// `Forwarded` header wins over `X-Forwarded-For` when both are sent.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|cidr| cidr.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    // From the right: the nearest hop first. A hop that is not an address
    // (`unknown`, an obfuscated name) ends the trust: the peer before it
    // cannot be known, so the proxy's own address stands for the client.
    let mut client = peer;
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(*ip) => client = *ip,
            Some(ip) => return *ip,
            None => return client,
        }
    }
    client
}

/// The addresses the proxies name, in order (`None` for a hop that names
/// no address).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| node_address(value.trim()))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| node_address(hop.trim()))
        .collect()
}

/// The address of a `Forwarded` node or an `X-Forwarded-For` hop:
/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn node_address(value: &str) -> Option<IpAddr> {
    let value = value.trim_matches('"');
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = value.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    // `[2001:db8::1]` without a port.
    value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn blocks_parse_and_contain() {
        let block = Cidr::parse("10.0.0.0/8").expect("block");
        assert!(block.contains(ip("10.1.2.3")));
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(block.contains(ip("::ffff:10.9.9.9")));
        let v6 = Cidr::parse("2001:db8::/32").expect("block");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(
            Cidr::parse("127.0.0.1")
                .expect("one")
                .contains(ip("127.0.0.1"))
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_peers() {
        let trusted = [Cidr::parse("10.0.0.0/8").expect("block")];
        let sent = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // From an untrusted peer the header is the client's own word.
        assert_eq!(
            client_ip(ip("198.51.100.1"), &sent, &trusted),
            ip("198.51.100.1")
        );
        // From a trusted proxy it names the client.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &sent, &trusted),
            ip("203.0.113.9")
        );
        // Without a header, the proxy is all there is.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn the_chain_is_read_from_the_right() {
        let trusted = [Cidr::parse("10.0.0.0/8").expect("block")];
        // The client wrote a fake first hop; the trusted proxies appended
        // the real client and each other.
        let sent = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &sent, &trusted),
            ip("203.0.113.9")
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::9]:4711\";proto=https, for=10.0.0.7",
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &forwarded, &trusted),
            ip("2001:db8::9")
        );
        // `Forwarded` wins over `X-Forwarded-For`.
        let both = headers(&[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.2"), &both, &trusted), ip("192.0.2.60"));
        // An unknown hop: the nearest trusted proxy stands for the client.
        let unknown = headers(&[("forwarded", "for=unknown, for=10.0.0.7")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &unknown, &trusted),
            ip("10.0.0.7")
        );
    }
}
