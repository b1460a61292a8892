//! The HTTP transport: rustls, keep-alive, no automatic redirects (the
//! engine follows them hop by hop), no automatic content-decoding (the page
//! stage decodes, so the body is also available as received).
//!
//! Two clients behind it, picked once per run: without a proxy, hyper-util's
//! client directly (`direct`: bounded read buffers, no per-request layers);
//! with one (`--proxy` or the `*_PROXY` variables), reqwest, which speaks to
//! HTTP and SOCKS proxies. Both classify their errors the same way
//! (`classify`).
//!
//! What is shared by the whole run is built once: the TLS configuration
//! (`tls`), the resolver with its cache (`dns`: `--resolve`, a typed
//! `DnsError` so a failed lookup is classified `dns` without reading message
//! text, `--deny-private-ips`). Connections are pooled per host, within the
//! run's budget of sockets (`pools`); running out of descriptors is
//! back-pressure, never a record's error: the request waits and tries again.

mod classify;
mod direct;
mod dns;
mod pools;
mod tls;

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpInfo;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, USER_AGENT,
};

use super::transport::{Body, Head, Request, Transport};
use crate::config::Settings;
use crate::error::{ErrorKind, PageError};
use crate::urls::authority;
pub use classify::{DnsError, PrivateAddressError, classify, classify_direct, out_of_descriptors};
use direct::DirectClient;
use dns::{Resolver, SharedResolver};
use pools::{Lease, Pools};

/// The codings the page stage decodes (RFC 9110 §8.4.1), as offered.
const ACCEPTED_CODINGS: &str = "gzip, br, deflate";

/// The HTTP transport of a run: one client per host, in pools.
pub struct HttpTransport {
    clients: Clients,
    /// What every request carries: `-H` headers, User-Agent, Accept,
    /// Accept-Encoding.
    headers: HeaderMap,
}

/// The run's client, per host.
enum Clients {
    Direct(Arc<Pools<DirectClient>>),
    Proxied(Arc<Pools<reqwest::Client>>),
}

/// A response body as hyper hands it over: de-chunked, still encoded; with
/// the lease on its host's pool, given back when the body is done with.
pub enum HttpBody {
    Direct(Incoming, #[allow(dead_code)] Lease<DirectClient>),
    Proxied(
        reqwest::Response,
        #[allow(dead_code)] Lease<reqwest::Client>,
    ),
}

/// The proxy variables reqwest reads.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether requests go through a proxy: `--proxy`, or a proxy variable set.
fn proxied(settings: &Settings) -> bool {
    settings.proxy.is_some()
        || PROXY_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|p| !p.is_empty()))
}

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
        let headers = request_headers(settings)?;
        let idle_max = settings.concurrency.max(8);
        let clients = if proxied(settings) {
            let build = reqwest_builder(settings, headers.clone(), resolver, tls, per_host_max)?;
            // Built once here so a bad setting is a usage error, not a record's.
            build()?;
            Clients::Proxied(Arc::new(Pools::new(sockets, idle_max, build)))
        } else {
            let connector = direct::connector(&resolver, &tls, settings.connect_timeout);
            let build = move || Ok(direct::client(&connector, per_host_max));
            Clients::Direct(Arc::new(Pools::new(sockets, idle_max, build)))
        };
        Ok(HttpTransport { clients, headers })
    }

    /// (pools, sockets counted, the most counted at once, the budget).
    pub fn usage(&self) -> (usize, usize, usize, usize) {
        match &self.clients {
            Clients::Direct(pools) => pools.usage(),
            Clients::Proxied(pools) => pools.usage(),
        }
    }

    /// The request of `req` to `uri` for the direct client.
    fn direct_request(&self, uri: &hyper::Uri, req: Request<'_>) -> hyper::Request<Empty<Bytes>> {
        let mut request = hyper::Request::new(Empty::new());
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = self.sent_headers(req);
        request
    }
}

/// What every request carries: `-H` headers, which win over `--user-agent`,
/// `Accept: */*` and the codings offered.
fn request_headers(settings: &Settings) -> Result<HeaderMap, String> {
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
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    if !headers.contains_key(ACCEPT_ENCODING) {
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_CODINGS));
    }
    Ok(headers)
}

/// How each host's reqwest client is built, for runs through a proxy.
fn reqwest_builder(
    settings: &Settings,
    headers: HeaderMap,
    resolver: SharedResolver,
    tls: rustls::ClientConfig,
    per_host_max: usize,
) -> Result<impl Fn() -> Result<reqwest::Client, String> + Send + Sync + 'static, String> {
    let proxy = match &settings.proxy {
        Some(proxy) => Some(
            reqwest::Proxy::all(proxy)
                .map_err(|e| format!("--proxy: invalid proxy URL {proxy:?}: {e}"))?,
        ),
        None => None,
    };
    let connect_timeout = settings.connect_timeout;
    Ok(move || {
        let mut builder = reqwest::Client::builder()
            .default_headers(headers.clone())
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
    })
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

/// Sends with a lease on `host`'s pool; when the descriptors have run out,
/// gives the lease back, waits and tries again. `classify` turns the
/// client's error into the record's.
async fn send_leased<C, T, E, Fut>(
    pools: &Arc<Pools<C>>,
    host: &str,
    mut send: impl FnMut(&C) -> Fut,
    classify: impl Fn(&E) -> PageError,
) -> Result<(Lease<C>, T), PageError>
where
    C: Clone,
    E: StdError + 'static,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        let (lease, client) = pools
            .lease(host)
            .await
            .map_err(|e| PageError::new(ErrorKind::Connect, e))?;
        match send(&client).await {
            Ok(resp) => return Ok((lease, resp)),
            Err(e) if out_of_descriptors(&e) => {
                drop(lease);
                pools.exhausted();
                tracing::debug!("{host}: no descriptor free; waiting");
                tokio::time::sleep(descriptor_wait(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(classify(&e)),
        }
    }
}

impl Transport for HttpTransport {
    type Body = HttpBody;

    async fn send(&self, req: Request<'_>) -> Result<Head<HttpBody>, PageError> {
        let host = authority(req.url);
        match &self.clients {
            Clients::Direct(pools) => {
                let uri: hyper::Uri = req.url.as_str().parse().map_err(|e| {
                    PageError::new(
                        ErrorKind::InvalidUrl,
                        format!("not a request URI: {}: {e}", req.url),
                    )
                })?;
                let (lease, resp) = send_leased(
                    pools,
                    &host,
                    |client| client.request(self.direct_request(&uri, req)),
                    |e: &hyper_util::client::legacy::Error| {
                        classify_direct(e, e.is_connect(), direct::READ_BUFFER_MAX)
                    },
                )
                .await?;
                let remote_addr = resp.extensions().get::<HttpInfo>().map(|i| i.remote_addr());
                let (parts, body) = resp.into_parts();
                Ok(Head {
                    status: parts.status.as_u16(),
                    version: parts.version,
                    headers: parts.headers,
                    remote_addr,
                    body: HttpBody::Direct(body, lease),
                })
            }
            Clients::Proxied(pools) => {
                let (lease, mut resp) = send_leased(
                    pools,
                    &host,
                    |client| {
                        let mut builder = client.get(req.url.clone());
                        for (name, value) in conditionals(req) {
                            builder = builder.header(name, value);
                        }
                        builder.send()
                    },
                    classify,
                )
                .await?;
                Ok(Head {
                    status: resp.status().as_u16(),
                    version: resp.version(),
                    headers: std::mem::take(resp.headers_mut()),
                    remote_addr: resp.remote_addr(),
                    body: HttpBody::Proxied(resp, lease),
                })
            }
        }
    }

    fn host_idle(&self, host: &str) {
        match &self.clients {
            Clients::Direct(pools) => pools.host_idle(host),
            Clients::Proxied(pools) => pools.host_idle(host),
        }
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
        match self {
            HttpBody::Direct(body, _) => loop {
                match body.frame().await {
                    None => return Ok(None),
                    Some(Err(e)) => {
                        return Err(classify_direct(&e, false, direct::READ_BUFFER_MAX));
                    }
                    // Trailers are not part of the body.
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) if !data.is_empty() => return Ok(Some(data)),
                        _ => {}
                    },
                }
            },
            HttpBody::Proxied(resp, _) => resp.chunk().await.map_err(|e| classify(&e)),
        }
    }
}
