//! Fetching one host's robots.txt (RFC 9309 §2.3) through the transport and
//! deciding what the response means: 2xx → the rules; 4xx → allow all;
//! 5xx or a network error → unavailable, which the scheduler treats as
//! "disallow all for now"; up to five redirects are followed. The file is
//! read up to 512 KiB (the RFC asks for at least 500 KiB), decoded like any
//! body, so a compressed bomb costs no more than that.

use std::time::Duration;

use reqwest::header::LOCATION;
use tokio::time::Instant;
use url::Url;

use super::body::{self, AtCap, Limits};
use super::decode::Coding;
use super::private;
use super::transport::{Request, Transport};
use crate::error::{ErrorKind, PageError};
use crate::robots::{Fetched, Rules};
use crate::urls::normalize;

const MAX_BYTES: u64 = 512 * 1024;
const MAX_HOPS: usize = 5;

/// Fetches and interprets `url` (a robots.txt URL) within `timeout`;
/// `deny_private` refuses private IP literals, as for pages.
pub async fn fetch<T: Transport>(
    transport: &T,
    url: Url,
    agent_token: &str,
    timeout: Duration,
    deny_private: bool,
) -> Fetched {
    let inner = fetch_inner(transport, url, agent_token, timeout, deny_private);
    match tokio::time::timeout(timeout, inner).await {
        Ok(f) => f,
        Err(_) => Fetched::Unavailable(PageError::new(
            ErrorKind::Timeout,
            format!("robots.txt: no answer within {timeout:?}"),
        )),
    }
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
    timeout: Duration,
    deny_private: bool,
) -> Fetched {
    for _ in 0..=MAX_HOPS {
        if deny_private && let Some(err) = private::refuse_literal(&url) {
            return Fetched::Unavailable(err);
        }
        let mut head = match transport.send(Request::get(&url)).await {
            Ok(h) => h,
            Err(e) => return unreachable(e),
        };
        let status = head.status;
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
            keep_raw: false,
            hint: 0,
            // The whole fetch is bounded by `timeout` already.
            deadline: Instant::now() + timeout,
            timeout,
        };
        return match body::read(&mut head.body, Coding::of(&head.headers), limits).await {
            Ok(read) => Fetched::Rules(Rules::parse(agent_token, &read.decoded)),
            Err((e, _)) => unreachable(e),
        };
    }
    // RFC 9309 §2.3.1.2: after five redirects the file may be taken as unavailable
    // in the 4xx sense, i.e. no rules.
    Fetched::Rules(Rules::allow_all())
}
