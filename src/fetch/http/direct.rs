//! The HTTP client without a proxy: hyper-util's pooled client over
//! trawl's resolver (`dns`) and rustls (`hyper-rustls`), HTTP/1.1 and
//! HTTP/2 by ALPN.
//!
//! reqwest is built on this same client; going to it directly gives what
//! reqwest does not expose and a crawler needs, the size of a connection's
//! read buffer: hyper grows each kept-alive connection's buffer toward
//! ~400 KiB and never shrinks it, which at `-j 64` was a third of trawl's
//! peak heap. Here it stops at [`READ_BUFFER_MAX`]. It also drops the work
//! reqwest does per request on top of hyper-util (its own request type,
//! built and converted for each request, and its middleware): a profile
//! of a crawl put the HTTP client's CPU a third lower. With a proxy
//! (`--proxy` or the `*_PROXY` variables) trawl uses reqwest, which speaks
//! to HTTP and SOCKS proxies.

use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;

use super::dns::SharedResolver;

/// How much a connection's read buffer holds. hyper's buffer grows to this
/// (its allocation to about twice this, as it reads ahead of the body
/// chunks handed over), so at `-j 64` they take ~4 MiB, where hyper's
/// default (~400 KiB each) took ~20 MiB, a third of trawl's peak heap on
/// a site of large pages. It is also the largest response head read (a
/// larger one is a `too_large` record): 32 KiB is what the common reverse
/// proxies pass at most (Varnish's default limit on a response head is
/// 32 KiB; nginx's proxy buffer 4-8 KiB), so a site behind one of them
/// never sends a larger head.
pub const READ_BUFFER_MAX: usize = 32 * 1024;

/// The client of one host's pool.
pub type DirectClient = Client<Connector, Empty<Bytes>>;

/// The run's resolver as hyper-util's connector calls it.
#[derive(Clone)]
pub struct DirectResolver(pub SharedResolver);

type Lookup = Pin<Box<dyn Future<Output = Result<Addrs, Box<dyn StdError + Send + Sync>>> + Send>>;
type Addrs = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for DirectResolver {
    type Response = Addrs;
    type Error = Box<dyn StdError + Send + Sync>;
    type Future = Lookup;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Lookup {
        let resolver = self.0.clone();
        Box::pin(async move { resolver.allowed(name.as_str()).await })
    }
}

/// What connects: resolves with the run's resolver, opens TCP (with
/// `connect_timeout`, no Nagle), speaks TLS with the run's configuration
/// (its ALPN list set here to HTTP/2 and HTTP/1.1). Built once, cloned
/// into every host's client.
pub type Connector = HttpsConnector<HttpConnector<DirectResolver>>;

/// The run's connector.
pub fn connector(
    resolver: &SharedResolver,
    tls: &ClientConfig,
    connect_timeout: Duration,
) -> Connector {
    let mut http = HttpConnector::new_with_resolver(DirectResolver(resolver.clone()));
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let mut tls = tls.clone();
    tls.alpn_protocols.clear();
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http)
}

/// A client for one host, keeping at most `idle_per_host` connections for
/// reuse.
pub fn client(connector: &Connector, idle_per_host: usize) -> DirectClient {
    Client::builder(TokioExecutor::new())
        // No idle timer per pool (one timer task per host cost 10% of the
        // CPU of a broad crawl): `Pools` closes idle pools.
        .pool_idle_timeout(None)
        .pool_max_idle_per_host(idle_per_host)
        .http1_max_buf_size(READ_BUFFER_MAX)
        .build(connector.clone())
}
