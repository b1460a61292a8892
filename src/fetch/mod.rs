//! Fetching one request: one attempt at one hop of one `CrawlItem`.
//!
//! Receives an item the scheduler has cleared for its host; sends one GET
//! through the transport under the `--timeout` deadline (headers and body
//! together); decides from the status alone whether the body is wanted (a
//! redirect for the engine to schedule as the next hop, a retry with its
//! delay, a 304 for a page an earlier pass saw); reads the body with its
//! caps; and hands the response to the page stage (`page`), which makes the
//! record. It never touches the frontier, so every request, hops and
//! retries included, passes the host gate in the engine.
//!
//! The transport is a port (`transport`): `http` (hyper-util, or reqwest
//! through a proxy) is the first;
//! the page stage is shared by every transport. With `--render`, a 2xx
//! HTML page goes through the browser (`render`) between the body and the
//! page stage, still inside this request's host slot and deadline.

pub mod body;
pub mod budget;

pub mod charset;
#[cfg(test)]
mod contract;
pub mod decode;
pub mod http;
pub mod page;
pub mod private;
pub mod render;
pub mod retry;
pub mod robots;
pub mod transport;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{LOCATION, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

use crate::config::Settings;
use crate::error::{ErrorKind, PageError};
use crate::record::{CrawlItem, ItemKind, PageMeta, Record};
use body::{AtCap, Limits};
use decode::Coding;
use page::{PageStage, Response};
use transport::{Exchange, Head, Request, Transport};

/// How one request ended.
#[derive(Debug)]
pub enum Outcome {
    /// The page is finished: its record, the links to follow (indices into
    /// `record.links` with their seen-set keys, so the engine parses only the
    /// links it has not seen), what a store keeps for the next pass, a final
    /// 429/503's `Retry-After` (which still pauses the host), and the
    /// exchange as received when a sink asked for it.
    Done {
        item: CrawlItem,
        record: Box<Record>,
        follow: Vec<(u32, u128)>,
        meta: PageMeta,
        retry_after: Option<Duration>,
        exchange: Option<Box<Exchange>>,
        /// What a sitemap file listed (`--sitemaps`), for the engine to
        /// admit or fetch; `None` for pages.
        found: Option<Box<page::Found>>,
    },
    /// A 3xx with a `Location` (unresolved); the engine decides the next hop.
    Redirect {
        item: CrawlItem,
        status: u16,
        location: String,
    },
    /// Worth another attempt after `after`; `slow_down` for 429/503.
    Retry {
        item: CrawlItem,
        after: Duration,
        slow_down: bool,
        /// The server's `Retry-After`, which pauses the whole host.
        pause: Option<Duration>,
        reason: String,
    },
    /// A host's robots.txt request ended; its exchanges as received, when
    /// a sink wants them.
    Robots(crate::robots::Fetched, Vec<Exchange>),
}

/// Why a request is worth another attempt.
enum Again {
    /// The request or its body failed in a way another attempt may not.
    Failed(String),
    /// A 408, 429 or 5xx, with the server's `Retry-After`.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
}

impl Outcome {
    /// The one place a retry is made: after the server's `Retry-After`, or
    /// after the back-off for this attempt.
    fn retry(item: CrawlItem, why: Again) -> Outcome {
        let (reason, slow_down, pause) = match why {
            Again::Failed(reason) => (reason, false, None),
            Again::Status {
                status,
                retry_after,
            } => (
                format!("HTTP {status}"),
                status == 429 || status == 503,
                retry_after,
            ),
        };
        let after = pause.unwrap_or_else(|| retry::backoff(item.attempts, fastrand::f64()));
        Outcome::Retry {
            item,
            after,
            slow_down,
            pause,
            reason,
        }
    }
}

/// What the status of a response decides before its body is read.
enum Triage {
    Redirect(String),
    Retry(Again),
    Unchanged,
    Read,
}

/// Pages up to this size are parsed on the runtime's own thread (see
/// `page`); larger bodies share the large-body budget.
pub const INLINE_PARSE_MAX: usize = 256 * 1024;

/// What the fetch tasks share.
pub struct Fetcher<T: Transport> {
    transport: T,
    settings: Arc<Settings>,
    pages: PageStage,
    /// What large bodies (over `INLINE_PARSE_MAX`, declared length) and
    /// their DOMs may hold at once (`budget`).
    budget: Arc<budget::Budget>,
    /// Keep each page's exchange as received (a sink wants it).
    capture: bool,
    /// `--render auto|always`: the browser stage.
    render: Option<Arc<render::Renderer>>,
}

impl<T: Transport> Fetcher<T> {
    pub fn new(transport: T, settings: Arc<Settings>, capture: bool) -> Fetcher<T> {
        let budget = Arc::new(budget::Budget::new(settings.max_body));
        Fetcher {
            transport,
            pages: PageStage::new(settings.clone(), Arc::clone(&budget)),
            settings,
            budget,
            capture,
            render: None,
        }
    }

    /// Sends HTML pages through `renderer` (`--render auto|always`).
    pub fn with_renderer(mut self, renderer: Option<Arc<render::Renderer>>) -> Fetcher<T> {
        self.render = renderer;
        self
    }

    /// Makes one request for `item.current`.
    pub async fn fetch(&self, mut item: CrawlItem) -> Outcome {
        let s = &self.settings;
        item.attempts += 1;
        let started = Instant::now();
        let sent_at = SystemTime::now();
        let mut deadline = started + s.timeout;
        if s.deny_private_ips
            && let Some(err) = private::refuse_literal(&item.current)
        {
            return self.failed(item, err);
        }
        let mut head = match self.send(&item, deadline).await {
            Ok(head) => head,
            Err(err) => {
                item.elapsed += started.elapsed();
                return self.failed(item, err);
            }
        };
        let triage = self.triage(&item, &head);
        if !matches!(triage, Triage::Read) {
            if self.capture {
                // A hop trawl reads no further is archived too.
                let (raw, cut) = body::read_raw(&mut head.body, s.max_body, deadline).await;
                let ex = self.exchange(&item, &head, raw, cut, sent_at);
                item.exchanges.push(ex);
            }
            item.elapsed += started.elapsed();
        }
        match triage {
            Triage::Redirect(location) => {
                let status = head.status;
                return Outcome::Redirect {
                    item,
                    status,
                    location,
                };
            }
            Triage::Retry(why) => return Outcome::retry(item, why),
            Triage::Unchanged => {
                // Its exchange, if kept, is the page's final one.
                let last = item.exchanges.pop().map(Box::new);
                return self.pages.unchanged(item, last);
            }
            Triage::Read => {}
        }
        // Held from the first byte read to the end of the parse.
        let share = self.budget(head.content_length(), &mut deadline).await;
        // A sitemap file may be as large as its protocol allows, and one cut
        // there is still read up to the cut.
        let sitemap = matches!(item.kind, ItemKind::Sitemap { .. });
        let limits = Limits {
            cap: if sitemap {
                s.max_body.max(crate::extract::sitemap::MAX_BYTES)
            } else {
                s.max_body
            },
            at_cap: if sitemap {
                AtCap::Truncate
            } else {
                AtCap::Fail
            },
            keep_raw: self.capture,
            hint: head.content_length().unwrap_or(0).min(s.max_body),
            deadline,
            timeout: s.timeout,
        };
        let read = body::read(&mut head.body, Coding::of(&head.headers), limits).await;
        item.elapsed += started.elapsed();
        match read {
            Err((err, _)) if err.is_retryable() && self.may_retry(&item) => {
                Outcome::retry(item, Again::Failed(err.message))
            }
            Err((err, bytes)) => self.pages.broken(item, &head, err, bytes),
            Ok(read) => {
                let mut exchange = read
                    .raw
                    .clone()
                    .filter(|_| self.capture)
                    .map(|raw| Box::new(self.exchange(&item, &head, raw, false, sent_at)));
                let mut resp = Response {
                    status: head.status,
                    headers: head.headers,
                    body: read.decoded,
                    truncated: read.truncated,
                    deadline,
                    share,
                    rendered: None,
                    render_error: None,
                };
                if let Err(again) = self.render(&mut item, &mut resp, &mut exchange).await {
                    return Outcome::retry(item, again);
                }
                self.pages.finish(item, resp, exchange).await
            }
        }
    }

    /// `--render`: a whole 2xx HTML page goes through the browser, whose
    /// DOM (or why there is none) joins the response and its exchange;
    /// `Err` when the browser failed in a way another attempt may not.
    async fn render(
        &self,
        item: &mut CrawlItem,
        resp: &mut Response,
        exchange: &mut Option<Box<Exchange>>,
    ) -> Result<(), Again> {
        let Some(renderer) = &self.render else {
            return Ok(());
        };
        if !renders(item, resp) {
            return Ok(());
        }
        let began = Instant::now();
        let rendered = renderer
            .render(
                &item.current,
                resp.status,
                &resp.headers,
                &resp.body,
                resp.deadline,
            )
            .await;
        item.elapsed += began.elapsed();
        match rendered {
            Ok(Some(page)) => {
                if let Some(ex) = exchange.as_mut() {
                    ex.rendered = Some(bytes::Bytes::from(page.html.clone()));
                }
                resp.rendered = Some(page);
            }
            Ok(None) => {}
            Err(err) if err.is_retryable() && self.may_retry(item) => {
                return Err(Again::Failed(err.message));
            }
            Err(err) => resp.render_error = Some(err),
        }
        Ok(())
    }

    /// Sends the request for the current hop, within `deadline`.
    async fn send(&self, item: &CrawlItem, deadline: Instant) -> Result<Head<T::Body>, PageError> {
        let req = request(item);
        match tokio::time::timeout_at(deadline, self.transport.send(req)).await {
            Ok(sent) => sent,
            Err(_) => Err(PageError::new(
                ErrorKind::Timeout,
                format!("no response within --timeout {:?}", self.settings.timeout),
            )),
        }
    }

    /// What the status says, before any of the body is read.
    fn triage(&self, item: &CrawlItem, head: &Head<T::Body>) -> Triage {
        let status = head.status;
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = head.headers.get(LOCATION)
        {
            return Triage::Redirect(String::from_utf8_lossy(loc.as_bytes()).into_owned());
        }
        if retry::is_retryable_status(status) && self.may_retry(item) {
            let retry_after = retry_after(head);
            return Triage::Retry(Again::Status {
                status,
                retry_after,
            });
        }
        if status == 304 && item.prior.is_some() {
            return Triage::Unchanged;
        }
        Triage::Read
    }

    fn may_retry(&self, item: &CrawlItem) -> bool {
        item.attempts <= self.settings.retries
    }

    /// A failed request: retried when the kind allows, else the final record.
    fn failed(&self, item: CrawlItem, err: PageError) -> Outcome {
        if err.is_retryable() && self.may_retry(&item) {
            return Outcome::retry(item, Again::Failed(err.message));
        }
        self.pages.error(item, err)
    }

    /// A large body waits for room in the budget before its first byte is
    /// read (the server's TCP window holds the rest); the wait does not
    /// count against --timeout, so it moves `deadline`.
    async fn budget(&self, declared: Option<u64>, deadline: &mut Instant) -> Option<budget::Share> {
        let len = declared?;
        if len <= INLINE_PARSE_MAX as u64 {
            return None;
        }
        let waited = Instant::now();
        let share = self.budget.take(len.min(self.settings.max_body)).await;
        *deadline += waited.elapsed();
        share
    }

    /// The exchange of this hop as received.
    fn exchange(
        &self,
        item: &CrawlItem,
        head: &Head<T::Body>,
        body: bytes::Bytes,
        truncated: bool,
        sent_at: SystemTime,
    ) -> Exchange {
        Exchange {
            url: item.current.clone(),
            request_headers: self.transport.sent_headers(request(item)),
            status: head.status,
            version: head.version,
            headers: head.headers.clone(),
            remote_addr: head.remote_addr,
            body,
            sent_at,
            truncated,
            rendered: None,
        }
    }

    /// The transport requests go through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Fetches one host's robots.txt.
    pub async fn robots(&self, url: Url) -> Outcome {
        let s = &self.settings;
        let token = crate::robots::product_token(&s.user_agent);
        let (fetched, exchanges) = robots::fetch(
            &self.transport,
            url,
            &token,
            (s.timeout, s.deny_private_ips, self.capture),
        )
        .await;
        Outcome::Robots(fetched, exchanges)
    }
}

/// Whether a response goes to the browser: a whole 2xx HTML page.
fn renders(item: &CrawlItem, resp: &Response) -> bool {
    let html = resp
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    matches!(item.kind, ItemKind::Page)
        && (200..300).contains(&resp.status)
        && !resp.truncated
        && crate::extract::is_html(html)
}

/// The GET for the current hop; conditional on the first hop of a page an
/// earlier pass saw (RFC 9110 §13.1).
fn request(item: &CrawlItem) -> Request<'_> {
    let mut req = Request::get(&item.current);
    if let (Some(prior), true) = (&item.prior, item.hops.is_empty()) {
        req.if_none_match = prior.etag.as_deref();
        req.if_modified_since = prior.last_modified.as_deref();
    }
    req
}

/// The response's `Retry-After`, as a wait from now.
fn retry_after<B>(head: &Head<B>) -> Option<Duration> {
    let v = head.headers.get(RETRY_AFTER)?.to_str().ok()?;
    retry::parse_retry_after(v, SystemTime::now())
}
