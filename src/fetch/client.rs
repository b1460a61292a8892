//! The HTTP client, built once per run and shared by every request: rustls,
//! gzip/brotli/deflate, keep-alive, no automatic redirects (the engine follows
//! them hop by hop), and trawl's own DNS resolver.
//!
//! The resolver exists for three reasons: `--resolve HOST:ADDR` overrides, a
//! typed `DnsError` so a failed lookup is classified `dns` without reading
//! message text, and `--deny-private-ips`, which must look at the addresses
//! *after* resolution (a public name can point at 127.0.0.1).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::Settings;
use crate::error::{DnsError, ErrorKind, PageError, PrivateAddressError};

/// Builds the shared client from the settings; the error names the flag.
pub fn build(settings: &Settings) -> Result<reqwest::Client, String> {
    // Installing the process-wide crypto provider fails only if one is
    // already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resolver = Resolver {
        overrides: settings.resolve.iter().cloned().collect(),
        deny_private: settings.deny_private_ips,
    };
    let per_host_max = settings
        .hosts
        .values()
        .filter_map(|o| o.per_host)
        .map(|n| n as usize)
        .chain([settings.per_host])
        .max()
        .unwrap_or(settings.per_host);
    let mut builder = reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .default_headers(settings.headers.clone())
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(settings.connect_timeout)
        .pool_max_idle_per_host(per_host_max)
        .tcp_nodelay(true)
        .gzip(true)
        .brotli(true)
        .deflate(true)
        .danger_accept_invalid_certs(settings.insecure)
        .dns_resolver(Arc::new(resolver));
    if let Some(proxy) = &settings.proxy {
        let p = reqwest::Proxy::all(proxy)
            .map_err(|e| format!("--proxy: invalid proxy URL {proxy:?}: {e}"))?;
        builder = builder.proxy(p);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

struct Resolver {
    overrides: HashMap<String, IpAddr>,
    deny_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let fixed = self.overrides.get(&host).copied();
        let deny_private = self.deny_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ip) => vec![SocketAddr::new(ip, 0)],
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|e| DnsError {
                        host: host.clone(),
                        reason: e.to_string(),
                    })?
                    .collect(),
            };
            if addrs.is_empty() {
                return Err(Box::new(DnsError {
                    host,
                    reason: "no addresses".into(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            if deny_private {
                let first = addrs[0].ip();
                let public: Vec<SocketAddr> =
                    addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
                if public.is_empty() {
                    return Err(Box::new(PrivateAddressError { host, addr: first }) as _);
                }
                return Ok(Box::new(public.into_iter()) as Addrs);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// With `--deny-private-ips`: the refusal for a URL whose host is a private
/// IP address written out (such hosts never reach the resolver).
pub fn refuse_private_literal(url: &url::Url) -> Option<PageError> {
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
