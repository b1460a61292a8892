//! The HTTP transport (reqwest), built once per run and shared by every
//! request: rustls, keep-alive, no automatic redirects (the engine follows
//! them hop by hop), no automatic content-decoding (the page stage decodes,
//! so the body is also available as received), and trawl's own DNS resolver.
//!
//! The resolver exists for three reasons: `--resolve HOST:ADDR` overrides, a
//! typed `DnsError` so a failed lookup is classified `dns` without reading
//! message text, and `--deny-private-ips`, which must look at the addresses
//! *after* resolution (a public name can point at 127.0.0.1).

mod classify;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{
    ACCEPT_ENCODING, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, USER_AGENT,
};

use super::private::is_private;
use super::transport::{Body, Head, Request, Transport};
use crate::config::Settings;
use crate::error::PageError;
pub use classify::{DnsError, PrivateAddressError, classify};

/// The codings the page stage decodes (RFC 9110 §8.4.1), as offered.
const ACCEPTED_CODINGS: &str = "gzip, br, deflate";

/// reqwest, configured from the settings.
pub struct HttpTransport {
    client: reqwest::Client,
    /// What every request carries: `-H` headers, User-Agent, Accept-Encoding.
    headers: HeaderMap,
}

/// A response body as hyper hands it over: de-chunked, still encoded.
pub struct HttpBody(reqwest::Response);

impl HttpTransport {
    /// Builds the shared client from the settings; the error names the flag.
    pub fn new(settings: &Settings) -> Result<HttpTransport, String> {
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
        // -H headers win over --user-agent and the codings offered.
        let mut headers = settings.headers.clone();
        if !headers.contains_key(USER_AGENT) {
            let agent = HeaderValue::from_str(&settings.user_agent).map_err(|_| {
                format!(
                    "--user-agent: not a valid header value: {:?}",
                    settings.user_agent
                )
            })?;
            headers.insert(USER_AGENT, agent);
        }
        if !headers.contains_key(ACCEPT_ENCODING) {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_CODINGS));
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers.clone())
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .connect_timeout(settings.connect_timeout)
            .pool_max_idle_per_host(per_host_max)
            .tcp_nodelay(true)
            .danger_accept_invalid_certs(settings.insecure)
            .dns_resolver(Arc::new(resolver));
        if let Some(proxy) = &settings.proxy {
            let p = reqwest::Proxy::all(proxy)
                .map_err(|e| format!("--proxy: invalid proxy URL {proxy:?}: {e}"))?;
            builder = builder.proxy(p);
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(HttpTransport { client, headers })
    }
}

/// The conditional headers of `req`.
fn conditionals(req: Request<'_>) -> impl Iterator<Item = (reqwest::header::HeaderName, &str)> {
    [
        (IF_NONE_MATCH, req.if_none_match),
        (IF_MODIFIED_SINCE, req.if_modified_since),
    ]
    .into_iter()
    .filter_map(|(name, v)| Some((name, v?)))
}

impl Transport for HttpTransport {
    type Body = HttpBody;

    async fn send(&self, req: Request<'_>) -> Result<Head<HttpBody>, PageError> {
        let mut builder = self.client.get(req.url.clone());
        for (name, value) in conditionals(req) {
            builder = builder.header(name, value);
        }
        let mut resp = builder.send().await.map_err(|e| classify(&e))?;
        Ok(Head {
            status: resp.status().as_u16(),
            version: resp.version(),
            headers: std::mem::take(resp.headers_mut()),
            remote_addr: resp.remote_addr(),
            body: HttpBody(resp),
        })
    }

    fn sent_headers(&self, req: Request<'_>) -> HeaderMap {
        let mut headers = self.headers.clone();
        for (name, value) in conditionals(req) {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        }
        headers
    }
}

impl Body for HttpBody {
    async fn chunk(&mut self) -> Result<Option<Bytes>, PageError> {
        self.0.chunk().await.map_err(|e| classify(&e))
    }
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
