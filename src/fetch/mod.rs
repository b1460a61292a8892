//! Fetching one request: one attempt at one hop of one `CrawlItem`.
//!
//! Receives an item the scheduler has cleared for its host; sends one GET
//! under the `--timeout` deadline (headers and body together); and hands back
//! an `Outcome`: a finished record (body read with the cap, decoded, parsed
//! on the blocking pool), a redirect for the engine to schedule as the next
//! hop, or a retry with its delay. It never touches the frontier, so every
//! request, hops and retries included, passes the host gate in the engine.

pub mod body;
pub mod client;
pub mod retry;
pub mod robots;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::config::Settings;
use crate::error::{ErrorKind, PageError, classify};
use crate::extract::{self, Extracted};
use crate::record::{CrawlItem, Record};

/// What the fetch tasks share.
pub struct FetchCtx {
    pub client: reqwest::Client,
    pub settings: Arc<Settings>,
    /// Bounds HTML parsing on the blocking pool to one job per core.
    pub parse_permits: Semaphore,
    /// KiB that large bodies (over `INLINE_PARSE_MAX`, declared length) may
    /// hold at once, from the first byte read to the end of their parse.
    pub body_budget: Semaphore,
    /// The budget's size in KiB: `max(--max-body, BODY_BUDGET_MIN)`.
    body_budget_kib: u32,
}

/// What a recrawl needs from this fetch: validators and the body's hash
/// (`None` when the response had none or was not read).
#[derive(Debug, Default)]
pub struct PageMeta {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// The links of `record.links` marked nofollow.
    pub nofollow: Vec<String>,
    /// The page was not read again (304): keep what the state has.
    pub kept: bool,
    /// `Retry-After` of a final 429/503, which still pauses the host.
    pub retry_after: Option<Duration>,
}

/// How one request ended.
#[derive(Debug)]
pub enum Outcome {
    /// The page is finished: its record, the links to follow (indices into
    /// `record.links` with their seen-set keys, so the engine parses only the
    /// links it has not seen), and what the state keeps for the next pass.
    Done {
        item: CrawlItem,
        record: Box<Record>,
        follow: Vec<(u32, u128)>,
        meta: PageMeta,
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
    /// A host's robots.txt request ended.
    Robots(robots::Fetched),
}

impl FetchCtx {
    pub fn new(client: reqwest::Client, settings: Arc<Settings>) -> FetchCtx {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let budget = settings.max_body.max(BODY_BUDGET_MIN) / 1024;
        let body_budget_kib = u32::try_from(budget).unwrap_or(u32::MAX);
        FetchCtx {
            client,
            settings,
            parse_permits: Semaphore::new(cores),
            body_budget: Semaphore::new(body_budget_kib as usize),
            body_budget_kib,
        }
    }

    /// Makes one request for `item.current`.
    pub async fn fetch(&self, mut item: CrawlItem) -> Outcome {
        let s = &self.settings;
        item.attempts += 1;
        let started = Instant::now();
        let mut deadline = started + s.timeout;

        if s.deny_private_ips
            && let Some(err) = client::refuse_private_literal(&item.current)
        {
            return done_error(item, err);
        }

        let sent = tokio::time::timeout_at(deadline, self.request(&item).send()).await;
        let mut resp = match sent {
            Err(_) => {
                item.elapsed += started.elapsed();
                let msg = format!("no response within --timeout {:?}", s.timeout);
                return self.failed(item, PageError::new(ErrorKind::Timeout, msg));
            }
            Ok(Err(e)) => {
                item.elapsed += started.elapsed();
                return self.failed(item, classify(&e));
            }
            Ok(Ok(resp)) => resp,
        };
        let status = resp.status().as_u16();

        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = resp.headers().get(LOCATION)
        {
            item.elapsed += started.elapsed();
            let location = String::from_utf8_lossy(loc.as_bytes()).into_owned();
            return Outcome::Redirect {
                item,
                status,
                location,
            };
        }
        if retry::is_retryable_status(status) && item.attempts <= s.retries {
            item.elapsed += started.elapsed();
            let slow_down = status == 429 || status == 503;
            let pause = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
            let after = pause.unwrap_or_else(|| retry::backoff(item.attempts, fastrand::f64()));
            return Outcome::Retry {
                item,
                after,
                slow_down,
                pause,
                reason: format!("HTTP {status}"),
            };
        }

        if status == 304
            && let Some(prior) = item.prior.clone()
        {
            item.elapsed += started.elapsed();
            return unchanged(item, &prior, &s.fields);
        }

        let header = |name| {
            resp.headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                })
        };
        let content_type = header(CONTENT_TYPE);
        let mut meta = PageMeta {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
            retry_after: header(RETRY_AFTER)
                .and_then(|v| retry::parse_retry_after(&v, SystemTime::now())),
            ..PageMeta::default()
        };
        // A large body waits for room in the budget before its first byte
        // is read (the server's TCP window holds the rest); the wait does not
        // count against --timeout.
        let _budget = match resp.content_length() {
            Some(len) if len > INLINE_PARSE_MAX as u64 => {
                let kib = u32::try_from(len.min(s.max_body) / 1024)
                    .unwrap_or(u32::MAX)
                    .min(self.body_budget_kib);
                let waited = Instant::now();
                // The semaphore is never closed, so acquire cannot fail.
                let permit = self.body_budget.acquire_many(kib).await.ok();
                deadline += waited.elapsed();
                permit
            }
            _ => None,
        };
        let body = body::read_capped(&mut resp, s.max_body, deadline, s.timeout).await;
        item.elapsed += started.elapsed();
        let mut record = item.blank_record();
        record.status = Some(status);
        record.content_type = content_type.clone();
        record.fetched_at = Some(humantime::format_rfc3339_seconds(SystemTime::now()).to_string());
        record.fields = extract::empty_fields(&s.fields);
        let bytes = match body {
            Ok(bytes) => bytes,
            Err((err, read)) => {
                if err.is_retryable() && item.attempts <= s.retries {
                    let after = retry::backoff(item.attempts, fastrand::f64());
                    let reason = err.message;
                    return Outcome::Retry {
                        item,
                        after,
                        slow_down: false,
                        pause: None,
                        reason,
                    };
                }
                record.bytes = read;
                record.error = Some(err);
                return Outcome::Done {
                    item,
                    record: Box::new(record),
                    follow: Vec::new(),
                    meta,
                };
            }
        };
        record.bytes = bytes.len() as u64;
        if let Some(prior) = &item.prior {
            let hash = xxhash_rust::xxh3::xxh3_128(&bytes);
            meta.body_hash = Some(hash);
            // Same content, or still the same error (a page that is gone is
            // reported once, then counts as unchanged).
            let same = status == prior.status && (status >= 400 || prior.body_hash == Some(hash));
            record.unchanged = Some(same);
        } else if s.state.is_some() {
            meta.body_hash = Some(xxhash_rust::xxh3::xxh3_128(&bytes));
        }

        let html = extract::is_html(content_type.as_deref());
        let mut follow = Vec::new();
        if status >= 400 {
            let reason = resp.status().canonical_reason().unwrap_or("");
            record.error = Some(PageError::new(
                ErrorKind::HttpStatus,
                format!("HTTP {status} {reason}").trim_end().to_string(),
            ));
        } else if html || (s.body && body::is_textual(content_type.as_deref())) {
            let (extracted, text) = self
                .parse(bytes, content_type, html, item.current.clone())
                .await;
            if let Some(ex) = extracted {
                record.title = ex.title;
                record.fields = ex.fields;
                record.links.reserve(ex.links.len());
                for (i, link) in ex.links.into_iter().enumerate() {
                    if link.nofollow {
                        meta.nofollow.push(link.url.as_str().to_owned());
                    } else {
                        follow.push((i as u32, link.key));
                    }
                    record.links.push(link.url.into());
                }
            }
            record.body = text;
        }
        Outcome::Done {
            item,
            record: Box::new(record),
            follow,
            meta,
        }
    }

    /// The GET for the current hop; conditional on the first hop of a page
    /// an earlier pass saw (RFC 9110 §13.1).
    fn request(&self, item: &CrawlItem) -> reqwest::RequestBuilder {
        let mut req = self.client.get(item.current.clone());
        if let (Some(prior), true) = (&item.prior, item.hops.is_empty()) {
            if let Some(etag) = &prior.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &prior.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        req
    }

    /// Fetches one host's robots.txt.
    pub async fn robots(&self, url: Url) -> Outcome {
        let token = robots::product_token(&self.settings.user_agent);
        let s = &self.settings;
        Outcome::Robots(
            robots::fetch(&self.client, url, &token, s.timeout, s.deny_private_ips).await,
        )
    }

    /// Decodes and (for HTML) extracts on the blocking pool, one job per core.
    async fn parse(
        &self,
        bytes: Vec<u8>,
        content_type: Option<String>,
        html: bool,
        url: Url,
    ) -> (Option<Extracted>, Option<String>) {
        let bytes_len = bytes.len();
        let settings = self.settings.clone();
        let work = move || {
            let text = body::decode(&bytes, content_type.as_deref(), html);
            let extracted = html.then(|| extract::extract(&text, &url, &settings.fields));
            let text = settings.body.then(|| text.into_owned());
            (extracted, text)
        };
        // A small page without --select fields is scanned in tens of
        // microseconds: right here, which spares two thread hand-offs. A
        // large page or a DOM goes to the blocking pool, so the reactor never
        // waits on one.
        if parses_in_place(&self.settings, bytes_len) {
            return work();
        }
        // The semaphore is never closed, so acquire cannot fail.
        let _permit = self.parse_permits.acquire().await;
        let job = tokio::task::spawn_blocking(work);
        match job.await {
            Ok(out) => out,
            Err(e) => {
                tracing::error!("parsing a page failed: {e}");
                (None, None)
            }
        }
    }

    /// A failed request: retried when the kind allows, else the final record.
    fn failed(&self, item: CrawlItem, err: PageError) -> Outcome {
        if err.is_retryable() && item.attempts <= self.settings.retries {
            let after = retry::backoff(item.attempts, fastrand::f64());
            return Outcome::Retry {
                item,
                after,
                slow_down: false,
                pause: None,
                reason: err.message,
            };
        }
        done_error(item, err)
    }
}

/// A 304 for a page an earlier pass saw: its record repeats what the state
/// stored, and its stored links are followed as if it had been downloaded.
fn unchanged(
    item: CrawlItem,
    prior: &crate::state::Prior,
    fields: &[extract::FieldSpec],
) -> Outcome {
    let mut record = item.blank_record();
    record.status = Some(304);
    record.content_type = prior.content_type.clone();
    record.title = prior.title.clone();
    record.fetched_at = Some(humantime::format_rfc3339_seconds(SystemTime::now()).to_string());
    record.fields = extract::empty_fields(fields);
    record.links = prior.links.clone();
    record.unchanged = Some(true);
    // The stored links were serialized from parsed URLs, so they parse.
    let follow = prior
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| !prior.nofollow.contains(l))
        .filter_map(|(i, l)| {
            let key = crate::frontier::normalize::key(&Url::parse(l).ok()?);
            Some((i as u32, key))
        })
        .collect();
    let meta = PageMeta {
        kept: true,
        ..PageMeta::default()
    };
    Outcome::Done {
        item,
        record: Box::new(record),
        follow,
        meta,
    }
}

/// Pages up to this size are parsed on the runtime's own thread (when no
/// `--select` field needs a DOM): the byte scanner reads ~1 GB/s, so 256 KiB
/// holds the reactor for well under a millisecond.
const INLINE_PARSE_MAX: usize = 256 * 1024;

/// The least memory large bodies share (see `FetchCtx::body_budget`): with
/// it, `-j 64` on a site of multi-MiB pages holds ~16 MiB of them, not 64 ×
/// their size, and pages at or below `INLINE_PARSE_MAX` never wait.
const BODY_BUDGET_MIN: u64 = 16 << 20;

fn parses_in_place(settings: &Settings, len: usize) -> bool {
    settings.fields.is_empty() && len <= INLINE_PARSE_MAX
}

/// A finished item whose record is only an error.
pub fn done_error(item: CrawlItem, err: PageError) -> Outcome {
    let record = item.error_record(err);
    Outcome::Done {
        item,
        record: Box::new(record),
        follow: Vec::new(),
        meta: PageMeta::default(),
    }
}
