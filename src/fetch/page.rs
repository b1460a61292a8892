//! The page stage: from a response to an `Outcome::Done` — the record,
//! the links to follow and what a store keeps. Shared by every transport:
//! it gets the status, the headers and the decoded body, whoever fetched
//! them.
//!
//! Charset decoding and extraction run right here for a page of up to
//! `INLINE_PARSE_MAX` without `--select` (the byte scanner reads ~1 GB/s, so
//! the reactor is held well under a millisecond), and on the blocking pool,
//! one job per core, for a larger page or a DOM.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, LAST_MODIFIED, RETRY_AFTER};
use tokio::sync::Semaphore;
use url::Url;

use super::transport::{Exchange, Head};
use super::{INLINE_PARSE_MAX, Outcome, budget, charset, retry};
use crate::config::Settings;
use crate::error::{ErrorKind, PageError};
use crate::extract::{self, DomError, Extracted};
use crate::record::{CrawlItem, ItemKind, PageMeta, Record};
use crate::urls::normalize;

/// A response read whole, content-decoded.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body was cut at its cap (a sitemap file past 50 MiB).
    pub truncated: bool,
    /// The page's `--timeout` deadline, which its parse counts against.
    pub deadline: tokio::time::Instant,
    /// Its share of the memory budget, held to the end of its parse.
    pub share: Option<budget::Share>,
    /// `--render`: the DOM the browser built, read instead of `body`.
    pub rendered: Option<super::render::Rendered>,
    /// `--render`: why the browser gave no DOM (the record has what
    /// `body` gives, and this error).
    pub render_error: Option<PageError>,
}

/// What a sitemap file lists, as URLs.
#[derive(Debug, Default)]
pub struct Found {
    /// Pages, with the `<lastmod>` the file gives them.
    pub pages: Vec<(Url, Option<String>)>,
    /// Other sitemap files (an index).
    pub sitemaps: Vec<Url>,
}

/// Turns responses into records.
pub struct PageStage {
    settings: Arc<Settings>,
    /// Bounds HTML parsing on the blocking pool to one job per core.
    parse_permits: Semaphore,
    /// What large bodies and their DOMs share.
    budget: Arc<budget::Budget>,
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

impl PageStage {
    pub fn new(settings: Arc<Settings>, budget: Arc<budget::Budget>) -> PageStage {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PageStage {
            settings,
            parse_permits: Semaphore::new(cores),
            budget,
        }
    }

    /// The record of a response, with what the store keeps of it.
    fn record(&self, item: &CrawlItem, status: u16, headers: &HeaderMap) -> (Record, PageMeta) {
        let mut record = item.record(Some(status), &self.settings.blank);
        record.content_type = header(headers, CONTENT_TYPE);
        let meta = PageMeta {
            etag: header(headers, ETAG),
            last_modified: header(headers, LAST_MODIFIED),
            ..PageMeta::default()
        };
        (record, meta)
    }

    /// A finished item whose record is only an error (no response).
    pub fn error(&self, item: CrawlItem, err: PageError) -> Outcome {
        let record = item.error_record(err, &self.settings.blank);
        let meta = PageMeta {
            kept: true,
            ..PageMeta::default()
        };
        done(item, record, Vec::new(), meta, None)
    }

    /// A response whose body could not be read whole.
    pub fn broken<B>(
        &self,
        item: CrawlItem,
        head: &Head<B>,
        err: PageError,
        bytes: u64,
    ) -> Outcome {
        let (mut record, meta) = self.record(&item, head.status, &head.headers);
        record.bytes = bytes;
        record.error = Some(err);
        let retry_after = final_retry_after(&head.headers);
        done(item, record, Vec::new(), meta, retry_after)
    }

    /// A 304 for a page an earlier pass saw: its record repeats what the
    /// state stored, and its stored links are followed as if it had been
    /// downloaded.
    pub fn unchanged(&self, item: CrawlItem, exchange: Option<Box<Exchange>>) -> Outcome {
        let mut record = item.record(Some(304), &self.settings.blank);
        let mut follow = Vec::new();
        if let Some(prior) = &item.prior {
            record.content_type = prior.content_type.clone();
            record.title = prior.title.clone();
            record.links = prior.links.clone();
            // The stored links were serialized from parsed URLs, so they parse.
            follow = prior
                .links
                .iter()
                .enumerate()
                .filter(|(_, l)| !prior.nofollow.contains(l))
                .filter_map(|(i, l)| Some((i as u32, normalize::key(&Url::parse(l).ok()?))))
                .collect();
        }
        record.unchanged = Some(true);
        let meta = PageMeta {
            kept: true,
            ..PageMeta::default()
        };
        let mut outcome = done(item, record, follow, meta, None);
        with_exchange(&mut outcome, exchange);
        outcome
    }

    /// A response read whole: status, hash, charset, extraction.
    pub async fn finish(
        &self,
        item: CrawlItem,
        resp: Response,
        exchange: Option<Box<Exchange>>,
    ) -> Outcome {
        let s = &self.settings;
        let status = resp.status;
        let (mut record, mut meta) = self.record(&item, status, &resp.headers);
        record.bytes = resp.body.len() as u64;
        if let Some(prior) = &item.prior {
            let hash = xxhash_rust::xxh3::xxh3_128(&resp.body);
            meta.body_hash = Some(hash);
            // Same content, or still the same error (a page that is gone is
            // reported once, then counts as unchanged).
            let same = status == prior.status && (status >= 400 || prior.body_hash == Some(hash));
            record.unchanged = Some(same);
        } else if s.state.is_some() {
            meta.body_hash = Some(xxhash_rust::xxh3::xxh3_128(&resp.body));
        }
        if matches!(item.kind, ItemKind::Sitemap { .. }) && status < 400 {
            return self.sitemap(item, record, meta, resp, exchange).await;
        }
        let mut content_type = record.content_type.clone();
        let html = extract::is_html(content_type.as_deref());
        let mut body = resp.body;
        if let Some(page) = resp.rendered {
            record.rendered = Some(true);
            record.subrequests = Some(page.subrequests);
            body = page.html.into_bytes();
            content_type = Some("text/html; charset=utf-8".into());
        }
        let mut follow = Vec::new();
        if status >= 400 {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("");
            record.error = Some(PageError::new(
                ErrorKind::HttpStatus,
                format!("HTTP {status} {reason}").trim_end().to_string(),
            ));
        } else if html || (s.body && charset::is_textual(content_type.as_deref())) {
            let job = Parse {
                bytes: body,
                content_type,
                html,
                url: item.current.clone(),
                deadline: resp.deadline,
                share: resp.share,
            };
            let (extracted, text) = self.parse(job).await;
            let extracted = match extracted {
                Some(Err(e)) => {
                    record.error = Some(self.dom_error(e, record.bytes));
                    None
                }
                Some(Ok(ex)) => Some(ex),
                None => None,
            };
            if let Some(ex) = extracted {
                record.title = ex.title;
                record.fields = ex.fields;
                if let Some(c) = ex.content {
                    record.markdown = record.markdown.map(|_| c.markdown);
                    record.text = record.text.map(|_| c.text);
                    record.lang = Some(c.lang);
                    record.description = Some(c.description);
                    record.canonical = Some(c.canonical);
                }
                record.links.reserve(ex.links.len());
                for (i, link) in ex.links.into_iter().enumerate() {
                    if link.nofollow {
                        meta.nofollow.push(link.url.clone());
                    } else {
                        follow.push((i as u32, link.key));
                    }
                    record.links.push(link.url);
                }
            }
            record.body = text;
        }
        if let Some(err) = resp.render_error {
            record.error = Some(err);
        }
        let retry_after = final_retry_after(&resp.headers);
        let mut outcome = done(item, record, follow, meta, retry_after);
        with_exchange(&mut outcome, exchange);
        outcome
    }

    /// A sitemap file: its URLs are the record's `links`; the engine admits
    /// the pages and fetches the sitemaps it lists (`Found`).
    async fn sitemap(
        &self,
        item: CrawlItem,
        mut record: Record,
        meta: PageMeta,
        resp: Response,
        exchange: Option<Box<Exchange>>,
    ) -> Outcome {
        let (truncated, body) = (resp.truncated, resp.body);
        let parse = move || extract::sitemap::parse(&body, truncated);
        let parsed = if parses_in_place(&self.settings, record.bytes as usize) {
            parse()
        } else {
            let _permit = self.parse_permits.acquire().await;
            tokio::task::spawn_blocking(parse)
                .await
                .unwrap_or_else(|e| Err(format!("sitemap: the parser failed: {e}")))
        };
        let mut found = Found::default();
        match parsed {
            Err(why) => record.error = Some(PageError::new(ErrorKind::Decode, why)),
            Ok(map) => {
                if let Some(cut) = &map.cut {
                    tracing::warn!("sitemap {}: cut at {cut}; the rest is not read", record.url);
                }
                let absolute = |loc: &str| normalize::parse_absolute(loc).ok();
                for entry in map.pages {
                    if let Some(url) = absolute(&entry.loc) {
                        found.pages.push((url, entry.lastmod));
                    }
                }
                found.sitemaps = map.sitemaps.iter().filter_map(|l| absolute(l)).collect();
                let mut seen = std::collections::HashSet::new();
                record.links = found
                    .pages
                    .iter()
                    .map(|(u, _)| u)
                    .chain(&found.sitemaps)
                    .map(|u| u.as_str().to_string())
                    .filter(|u| seen.insert(u.clone()))
                    .collect();
            }
        }
        let mut outcome = done(item, record, Vec::new(), meta, None);
        if let Outcome::Done { found: slot, .. } = &mut outcome {
            *slot = Some(Box::new(found));
        }
        with_exchange(&mut outcome, exchange);
        outcome
    }

    /// Decodes and (for HTML) extracts, in place or on the blocking pool,
    /// within the page's deadline; a large page's DOM takes its share of
    /// the memory budget (`budget`) for the parse.
    async fn parse(&self, job: Parse) -> (Option<Result<Extracted, DomError>>, Option<String>) {
        let Parse {
            bytes,
            content_type,
            html,
            url,
            mut deadline,
            mut share,
        } = job;
        let bytes_len = bytes.len();
        let settings = self.settings.clone();
        let dom = html && (!settings.fields.is_empty() || settings.content.any());
        if dom && bytes_len > INLINE_PARSE_MAX {
            // The body's share goes back before the DOM's is asked for, so
            // no two pages wait on each other.
            drop(share.take());
            let waited = tokio::time::Instant::now();
            share = self
                .budget
                .take(bytes_len as u64 * budget::DOM_FACTOR)
                .await;
            deadline += waited.elapsed();
        }
        let limits = extract::DomLimits {
            deadline: Some(deadline.into_std()),
            ..extract::DomLimits::default()
        };
        let work = move || {
            let text = charset::decode(&bytes, content_type.as_deref(), html);
            let extracted = html
                .then(|| extract::extract(&text, &url, &settings.fields, settings.content, limits));
            let text = settings.body.then(|| text.into_owned());
            (extracted, text)
        };
        if parses_in_place(&self.settings, bytes_len) {
            return work();
        }
        // The semaphore is never closed, so acquire cannot fail.
        let _permit = self.parse_permits.acquire().await;
        let out = match tokio::task::spawn_blocking(work).await {
            Ok(out) => out,
            Err(e) => {
                tracing::error!("parsing a page failed: {e}");
                (None, None)
            }
        };
        drop(share);
        out
    }

    /// The record's error for a DOM that was not built.
    fn dom_error(&self, e: DomError, bytes: u64) -> PageError {
        match e {
            DomError::Timeout => PageError::new(
                ErrorKind::Timeout,
                format!(
                    "the page's DOM ({bytes} bytes) was not built within --timeout {:?}",
                    self.settings.timeout
                ),
            ),
            DomError::TooLarge(n) => PageError::new(
                ErrorKind::TooLarge,
                format!(
                    "the page's DOM ({bytes} bytes) would hold more than {n} elements, \
                     comments and text runs"
                ),
            ),
        }
    }
}

/// One page to parse.
struct Parse {
    bytes: Vec<u8>,
    content_type: Option<String>,
    html: bool,
    url: Url,
    deadline: tokio::time::Instant,
    share: Option<budget::Share>,
}

/// A small page without `--select` fields or content is scanned in tens of
/// microseconds: right where it was read, which spares two thread
/// hand-offs. A large page or a DOM goes to the blocking pool, so the
/// reactor never waits on one.
fn parses_in_place(settings: &Settings, len: usize) -> bool {
    settings.fields.is_empty() && !settings.content.any() && len <= INLINE_PARSE_MAX
}

/// `Retry-After` of a final response (a 429/503 with no retries left still
/// pauses its host).
fn final_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    retry::parse_retry_after(v, SystemTime::now())
}

/// Attaches the exchange as received to a finished page.
fn with_exchange(outcome: &mut Outcome, exchange: Option<Box<Exchange>>) {
    if let Outcome::Done { exchange: slot, .. } = outcome {
        *slot = exchange;
    }
}

fn done(
    item: CrawlItem,
    record: Record,
    follow: Vec<(u32, u128)>,
    meta: PageMeta,
    retry_after: Option<Duration>,
) -> Outcome {
    Outcome::Done {
        item,
        record: Box::new(record),
        follow,
        meta,
        retry_after,
        exchange: None,
        found: None,
    }
}
