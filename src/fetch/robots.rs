//! Fetching one host's robots.txt (RFC 9309 §2.3) through the transport and
//! deciding what the response means: 2xx → the rules; 4xx → allow all;
//! 5xx or a network error → unavailable, which the scheduler treats as
//! "disallow all for now"; up to five redirects are followed. The file is
//! read up to 512 KiB (the RFC asks for at least 500 KiB), decoded like any
//! body, so a compressed bomb costs no more than that.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use reqwest::header::LOCATION;
use tokio::time::Instant;
use url::Url;

use super::body::{self, AtCap, Limits};
use super::decode::Coding;
use super::private;
use super::transport::{Exchange, Head, Request, Transport};
use crate::error::{ErrorKind, PageError};
use crate::robots::{Fetched, Rules};
use crate::urls::normalize;

const MAX_BYTES: u64 = 512 * 1024;
const MAX_HOPS: usize = 5;

/// Fetches and interprets `url` (a robots.txt URL) within `timeout`;
/// `deny_private` refuses private IP literals, as for pages; with
/// `capture`, every response (redirects included) is also returned as
/// received, for an archive.
pub async fn fetch<T: Transport>(
    transport: &T,
    url: Url,
    agent_token: &str,
    (timeout, deny_private, capture): (Duration, bool, bool),
) -> (Fetched, Vec<Exchange>) {
    let mut exchanges = Vec::new();
    let how = How {
        timeout,
        deny_private,
        capture,
    };
    let inner = fetch_inner(transport, url, agent_token, how, &mut exchanges);
    let fetched = match tokio::time::timeout(timeout, inner).await {
        Ok(f) => f,
        Err(_) => Fetched::Unavailable(PageError::new(
            ErrorKind::Timeout,
            format!("robots.txt: no answer within {timeout:?}"),
        )),
    };
    (fetched, exchanges)
}

#[derive(Clone, Copy)]
struct How {
    timeout: Duration,
    deny_private: bool,
    capture: bool,
}

fn unreachable(err: PageError) -> Fetched {
    Fetched::Unavailable(PageError::new(
        err.kind,
        format!("robots.txt: {}", err.message),
    ))
}

async fn fetch_inner<T: Transport>(
    transport: &T,
    mut url: Url,
    agent_token: &str,
    how: How,
    exchanges: &mut Vec<Exchange>,
) -> Fetched {
    let timeout = how.timeout;
    for _ in 0..=MAX_HOPS {
        if how.deny_private
            && let Some(err) = private::refuse_literal(&url)
        {
            return Fetched::Unavailable(err);
        }
        let sent_at = SystemTime::now();
        let mut head = match transport.send(Request::get(&url)).await {
            Ok(h) => h,
            Err(e) => return unreachable(e),
        };
        let status = head.status;
        let mut archive = |head: &Head<T::Body>, body: Bytes, truncated: bool| {
            if how.capture {
                exchanges.push(Exchange {
                    url: url.clone(),
                    request_headers: transport.sent_headers(Request::get(&url)),
                    status: head.status,
                    version: head.version,
                    headers: head.headers.clone(),
                    remote_addr: head.remote_addr,
                    body,
                    sent_at,
                    truncated,
                    rendered: None,
                });
            }
        };
        if how.capture && !(200..300).contains(&status) {
            let deadline = Instant::now() + timeout;
            let (raw, cut) = body::read_raw(&mut head.body, MAX_BYTES, deadline).await;
            archive(&head, raw, cut);
        }
        if (300..400).contains(&status) {
            let next = head
                .headers
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .filter(normalize::is_http);
            match next {
                Some(next) => {
                    url = next;
                    continue;
                }
                // A redirect to nowhere usable: as if there were no file.
                None => return Fetched::Rules(Rules::allow_all()),
            }
        }
        if (500..600).contains(&status) {
            return Fetched::Unavailable(PageError::new(
                ErrorKind::Robots,
                format!("robots.txt unavailable (HTTP {status}): the host is disallowed for now"),
            ));
        }
        if !(200..300).contains(&status) {
            return Fetched::Rules(Rules::allow_all());
        }
        let limits = Limits {
            cap: MAX_BYTES,
            at_cap: AtCap::Truncate,
            keep_raw: how.capture,
            hint: 0,
            // The whole fetch is bounded by `timeout` already.
            deadline: Instant::now() + timeout,
            timeout,
        };
        return match body::read(&mut head.body, Coding::of(&head.headers), limits).await {
            Ok(read) => {
                if let Some(raw) = read.raw {
                    archive(&head, raw, read.truncated);
                }
                Fetched::Rules(Rules::parse(agent_token, &read.decoded))
            }
            Err((e, _)) => unreachable(e),
        };
    }
    // RFC 9309 §2.3.1.2: after five redirects the file may be taken as unavailable
    // in the 4xx sense, i.e. no rules.
    Fetched::Rules(Rules::allow_all())
}
