//! The HTTP transport (reqwest): rustls, keep-alive, no automatic redirects
//! (the engine follows them hop by hop), no automatic content-decoding (the
//! page stage decodes, so the body is also available as received).
//!
//! What is shared by the whole run is built once: the TLS configuration
//! (`tls`), the resolver with its cache (`dns`: `--resolve`, a typed
//! `DnsError` so a failed lookup is classified `dns` without reading message
//! text, `--deny-private-ips`). Connections are pooled per host, within the
//! run's budget of sockets (`pools`); running out of descriptors is
//! back-pressure, never a record's error: the request waits and tries again.

mod classify;
mod dns;
mod pools;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT_ENCODING, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, USER_AGENT,
};

use super::transport::{Body, Head, Request, Transport};
use crate::config::Settings;
use crate::error::{ErrorKind, PageError};
use crate::urls::authority;
pub use classify::{DnsError, PrivateAddressError, classify, out_of_descriptors};
use dns::{Resolver, SharedResolver};
use pools::{Lease, Pools};

/// The codings the page stage decodes (RFC 9110 §8.4.1), as offered.
const ACCEPTED_CODINGS: &str = "gzip, br, deflate";

/// reqwest, configured from the settings, one client per host.
pub struct HttpTransport {
    pools: Arc<Pools>,
    /// What every request carries: `-H` headers, User-Agent, Accept-Encoding.
    headers: HeaderMap,
}

/// A response body as hyper hands it over: de-chunked, still encoded; with
/// the lease on its host's pool, given back when the body is done with.
pub struct HttpBody(reqwest::Response, #[allow(dead_code)] Lease);

impl HttpTransport {
    /// Builds what the clients share from the settings, for at most
    /// `sockets` open connections; the error names the flag.
    pub fn new(settings: &Settings, sockets: usize) -> Result<HttpTransport, String> {
        // Installing the process-wide crypto provider fails only if one is
        // already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let resolver = SharedResolver(Arc::new(Resolver::new(
            settings.resolve.iter().cloned().collect(),
            settings.deny_private_ips,
        )));
        let tls = tls::client_config(settings.insecure)?;
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
        let proxy = match &settings.proxy {
            Some(proxy) => Some(
                reqwest::Proxy::all(proxy)
                    .map_err(|e| format!("--proxy: invalid proxy URL {proxy:?}: {e}"))?,
            ),
            None => None,
        };
        let connect_timeout = settings.connect_timeout;
        let default_headers = headers.clone();
        let build = move || {
            let mut builder = reqwest::Client::builder()
                .default_headers(default_headers.clone())
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                .connect_timeout(connect_timeout)
                .pool_max_idle_per_host(per_host_max)
                // No idle timer per pool (one timer task per host cost 10%
                // of the CPU of a broad crawl): `Pools` closes idle pools.
                .pool_idle_timeout(None)
                .tcp_nodelay(true)
                .tls_backend_preconfigured(tls.clone())
                .dns_resolver(Arc::new(resolver.clone()));
            if let Some(p) = &proxy {
                builder = builder.proxy(p.clone());
            }
            builder
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        };
        // Built once here so a bad setting is a usage error, not a record's.
        build()?;
        Ok(HttpTransport {
            pools: Arc::new(Pools::new(sockets, settings.concurrency.max(8), build)),
            headers,
        })
    }

    /// (pools, sockets counted, the most counted at once, the budget).
    pub fn usage(&self) -> (usize, usize, usize, usize) {
        self.pools.usage()
    }
}

/// Waits before trying again after the descriptors ran out: 10 ms, doubling,
/// at most 500 ms (the caller's deadline bounds the whole).
fn descriptor_wait(attempt: u32) -> Duration {
    Duration::from_millis(10u64 << attempt.min(6)).min(Duration::from_millis(500))
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
        let host = authority(req.url);
        let mut attempt = 0;
        let (lease, mut resp) = loop {
            let lease = self
                .pools
                .lease(&host)
                .await
                .map_err(|e| PageError::new(ErrorKind::Connect, e))?;
            let mut builder = lease.client.get(req.url.clone());
            for (name, value) in conditionals(req) {
                builder = builder.header(name, value);
            }
            match builder.send().await {
                Ok(resp) => break (lease, resp),
                Err(e) if out_of_descriptors(&e) => {
                    drop(lease);
                    self.pools.exhausted();
                    tracing::debug!("{}: no descriptor free; waiting", req.url);
                    tokio::time::sleep(descriptor_wait(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(classify(&e)),
            }
        };
        Ok(Head {
            status: resp.status().as_u16(),
            version: resp.version(),
            headers: std::mem::take(resp.headers_mut()),
            remote_addr: resp.remote_addr(),
            body: HttpBody(resp, lease),
        })
    }

    fn host_idle(&self, host: &str) {
        self.pools.host_idle(host);
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
