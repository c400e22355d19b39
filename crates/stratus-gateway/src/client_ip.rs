//! Which address a collector request came from. `X-Forwarded-For` is
//! written by whoever sends the request, so it is believed only when the
//! connection comes from a proxy the operator named (`--trusted-proxy`);
//! on Lambda the address is the one API Gateway saw (its request context),
//! never a header.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// Proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A `--trusted-proxy` value that is not an address or a range.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an IP address or a CIDR range such as 10.0.0.0/8")]
pub struct InvalidProxy(String);

impl TrustedProxies {
    /// Addresses (`10.0.0.7`) or ranges (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<'a>(list: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidProxy> {
        let mut proxies = Vec::new();
        for item in list {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let invalid = || InvalidProxy(item.to_string());
            let (addr, bits) = match item.split_once('/') {
                Some((addr, bits)) => {
                    let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
                    let bits: u8 = bits.parse().map_err(|_| invalid())?;
                    (addr, bits)
                }
                None => {
                    let addr: IpAddr = item.parse().map_err(|_| invalid())?;
                    (addr, if addr.is_ipv4() { 32 } else { 128 })
                }
            };
            if bits > if addr.is_ipv4() { 32 } else { 128 } {
                return Err(invalid());
            }
            proxies.push((addr, bits));
        }
        Ok(TrustedProxies(proxies))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|&(net, bits)| in_range(ip, net, bits))
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// The client's address: API Gateway's source IP on Lambda; otherwise the
/// socket's peer, or — when the peer is a trusted proxy — the last
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries to
/// its left were written by the client and prove nothing).
pub fn client_ip(parts: &Parts, trusted: &TrustedProxies) -> Option<String> {
    #[cfg(feature = "lambda")]
    if let Some(ip) = lambda_source_ip(parts) {
        return Some(ip);
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())?;
    if !trusted.contains(peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect();
    let client = forwarded
        .iter()
        .rev()
        .map(|ip| ip.to_canonical())
        .find(|ip| !trusted.contains(*ip))
        .unwrap_or(peer);
    Some(client.to_string())
}

/// The address API Gateway saw the request come from.
#[cfg(feature = "lambda")]
fn lambda_source_ip(parts: &Parts) -> Option<String> {
    use lambda_http::request::RequestContext;
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.clone(),
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parts(peer: &str, forwarded: Option<&str>) -> Parts {
        let mut request = axum::http::Request::builder().uri("/v1/batch");
        if let Some(f) = forwarded {
            request = request.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        parts
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let spoof = parts("127.0.0.1:5000", Some("203.0.113.9"));
        assert_eq!(client_ip(&spoof, &none).as_deref(), Some("127.0.0.1"));

        let lb = TrustedProxies::parse(["10.0.0.0/8", "127.0.0.1"]).unwrap();
        // The client prepended a fake entry; the proxies appended the real one.
        let proxied = parts("10.1.2.3:5000", Some("198.51.100.1, 203.0.113.9, 10.0.0.5"));
        assert_eq!(client_ip(&proxied, &lb).as_deref(), Some("203.0.113.9"));
        let direct = parts("192.0.2.4:5000", Some("203.0.113.9"));
        assert_eq!(client_ip(&direct, &lb).as_deref(), Some("192.0.2.4"));
    }

    #[test]
    fn proxies_parse_addresses_and_ranges_and_refuse_the_rest() {
        let p = TrustedProxies::parse(["fd00::/8", " 192.0.2.1 "]).unwrap();
        assert!(p.contains("fd12::1".parse().unwrap()));
        assert!(p.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(!p.contains("192.0.2.2".parse().unwrap()));
        assert!(TrustedProxies::parse(["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(["proxy.local"]).is_err());
    }
}
