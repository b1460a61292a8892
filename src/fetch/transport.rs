//! The transport port: one hop of one page, and the response as received.
//!
//! A transport sends one GET and returns when the status and headers are
//! in; the body is read through `Body`, chunk by chunk, as received
//! (content-encoding kept, transfer-encoding removed), so the page stage can
//! decide what to read at all (a redirect, a retry) and cap what it reads.
//! Content-decoding, charsets, extraction and the record are the page
//! stage's, shared by every transport. `http` (hyper-util's client, or
//! reqwest through a proxy) is the transport.
//! A headless browser is not a second transport but a stage after this one
//! (`render`): the document is fetched here, as received, and the browser
//! is handed those bytes, so what is archived and stored is the response
//! and only the extraction reads the rendered DOM.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use url::Url;

use crate::error::PageError;

/// What to request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub url: &'a Url,
    /// Validators of a conditional GET (RFC 9110 §13.1): `If-None-Match`
    /// and `If-Modified-Since`, on the first hop of a page an earlier pass saw.
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

impl<'a> Request<'a> {
    pub fn get(url: &'a Url) -> Request<'a> {
        Request {
            url,
            if_none_match: None,
            if_modified_since: None,
        }
    }
}

/// A response whose status and headers are in.
#[derive(Debug)]
pub struct Head<B> {
    pub status: u16,
    pub version: reqwest::Version,
    /// As received: `Content-Encoding` and `Content-Length` describe the
    /// body as the server sent it.
    pub headers: HeaderMap,
    /// The peer the response came from (the proxy, with one).
    pub remote_addr: Option<SocketAddr>,
    pub body: B,
}

impl<B> Head<B> {
    /// The value of header `name`, as text (odd bytes replaced).
    pub fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// The declared body length (`Content-Length`), if any.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(reqwest::header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// One hop of one request: the network (or a browser) behind a trait.
pub trait Transport: Send + Sync + 'static {
    type Body: Body;

    /// Sends the request; resolves when the status and headers are in.
    /// The caller bounds it with its deadline.
    fn send(
        &self,
        req: Request<'_>,
    ) -> impl Future<Output = Result<Head<Self::Body>, PageError>> + Send;

    /// The headers `send` sets for `req`, for an `Exchange`.
    fn sent_headers(&self, req: Request<'_>) -> HeaderMap;

    /// The crawl has nothing queued or in flight for `host` (an authority,
    /// `host:port`): what the transport keeps open for it may go now.
    fn host_idle(&self, _host: &str) {}
}

/// The body of a response, read as received.
pub trait Body: Send {
    /// The next chunk; `None` at the end.
    fn chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, PageError>> + Send;
}

pub use crate::exchange::Exchange;
