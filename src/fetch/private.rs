//! `--deny-private-ips`: which addresses count as private, and the refusal
//! of a URL whose host is one written out. Transports apply the same rule
//! after resolving names (a public name can point at 127.0.0.1).

use std::net::IpAddr;

use url::Url;

use crate::error::{ErrorKind, PageError};

/// The refusal for a URL whose host is a private IP address written out
/// (such hosts never reach a resolver).
pub fn refuse_literal(url: &Url) -> Option<PageError> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    if !is_private(ip) {
        return None;
    }
    let msg = format!("refused {ip}: private, loopback or link-local address (--deny-private-ips)");
    let mut err = PageError::new(ErrorKind::Connect, msg);
    err.permanent = true;
    Some(err)
}

/// Loopback, private, link-local, shared (CGNAT) and unspecified addresses.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        let cases = [
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("10.0.0.1", true),
            ("172.16.5.4", true),
            ("192.168.1.1", true),
            ("169.254.1.1", true),
            ("100.64.0.1", true),
            ("0.0.0.0", true),
            ("8.8.8.8", false),
            ("172.32.0.1", false),
            ("::1", true),
            ("fe80::1", true),
            ("fd00::1", true),
            ("::ffff:10.0.0.1", true),
            ("2606:4700::1111", false),
        ];
        for (ip, want) in cases {
            assert_eq!(is_private(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
