//! An HTTP exchange as received: the request as trawl sent it and the
//! response with its body before any content-decoding (transfer-encoding
//! removed). Made by the fetch stage for every hop (redirects, retries,
//! robots.txt) when a sink asks for it (`output::Sink::wants_exchange`),
//! carried with the page it belongs to, and archived by sinks such as WARC.
//! Vocabulary only: no I/O.

use std::net::SocketAddr;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use url::Url;

/// An exchange as received, for sinks that archive or mirror it: the
/// request as trawl sent it and the response with its body before any
/// content-decoding.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub url: Url,
    /// The request headers trawl set (the transport adds `Host`).
    pub request_headers: HeaderMap,
    pub status: u16,
    pub version: reqwest::Version,
    pub headers: HeaderMap,
    pub remote_addr: Option<SocketAddr>,
    /// The body as received, content-encoding kept (transfer-encoding removed).
    pub body: Bytes,
    /// When the request was sent.
    pub sent_at: std::time::SystemTime,
    /// The body is not whole: a cap stopped the read.
    pub truncated: bool,
    /// `--render`: the DOM the browser built from this response (UTF-8
    /// HTML), archived beside it.
    pub rendered: Option<Bytes>,
}
