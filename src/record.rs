//! The output row (`Record`, exactly SPEC's fields) and the unit of work that
//! travels through the frontier and the fetcher (`CrawlItem`).
//!
//! A `CrawlItem` is created once per URL admitted to the frontier and carries
//! everything its record will need; its redirect hops and retries mutate it in
//! place, so one URL yields exactly one record.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::error::PageError;
use crate::frontier::scope::Anchor;
use crate::state::Prior;

/// One line of output.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub url: String,
    pub final_url: String,
    pub seed: Arc<str>,
    pub parent: Option<Arc<str>>,
    pub depth: u32,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: u64,
    pub elapsed_ms: u64,
    pub attempts: u32,
    pub fetched_at: Option<String>,
    pub title: Option<String>,
    pub links: Vec<String>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub error: Option<PageError>,
    /// Only with `--body`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Only in incremental recrawls with `--state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<bool>,
}

/// A URL on its way through the crawl.
#[derive(Debug, Clone)]
pub struct CrawlItem {
    /// The URL as the link wrote it (fragment dropped): what the record calls `url`.
    pub url: Url,
    /// The hop being requested now: `url`, or a redirect target.
    pub current: Url,
    /// Earlier hops of the redirect chain (loop detection, `--max-redirects`).
    pub hops: Vec<Url>,
    pub seed: Arc<str>,
    /// What `--scope` compares discovered links against.
    pub anchor: Arc<Anchor>,
    pub parent: Option<Arc<str>>,
    pub depth: u32,
    /// Requests made for the current hop so far.
    pub attempts: u32,
    /// Time spent in requests so far, all hops and attempts together.
    pub elapsed: Duration,
    /// What an earlier pass saw (`--state` recrawls): conditional request validators.
    pub prior: Option<Arc<Prior>>,
}

/// Where a set of links came from: shared by every link of one page, so a
/// waiting URL costs its own text and one pointer.
#[derive(Debug)]
pub struct Source {
    pub seed: Arc<str>,
    pub anchor: Arc<Anchor>,
    /// The `url` of the page the links were found on; `None` for seeds.
    pub parent: Option<Arc<str>>,
    /// The depth of the links (the page's depth + 1).
    pub depth: u32,
}

/// A page waiting in the frontier, not started yet. Kept compact (the URL
/// as text, the rest shared), because a big crawl holds a million of these.
#[derive(Debug, Clone)]
pub struct Fresh {
    pub url: Box<str>,
    pub source: Arc<Source>,
    pub prior: Option<Arc<Prior>>,
}

impl Fresh {
    /// The item to request. The text came from a parsed `Url`, so it parses again.
    pub fn into_item(self) -> Result<CrawlItem, (Fresh, url::ParseError)> {
        let url = match Url::parse(&self.url) {
            Ok(u) => u,
            Err(e) => return Err((self, e)),
        };
        let s = &self.source;
        let mut item = CrawlItem::new(
            url,
            s.seed.clone(),
            s.anchor.clone(),
            s.parent.clone(),
            s.depth,
        );
        item.prior = self.prior;
        Ok(item)
    }
}

impl CrawlItem {
    /// A fresh item about to be queued.
    pub fn new(
        url: Url,
        seed: Arc<str>,
        anchor: Arc<Anchor>,
        parent: Option<Arc<str>>,
        depth: u32,
    ) -> Self {
        CrawlItem {
            current: url.clone(),
            url,
            hops: Vec::new(),
            seed,
            anchor,
            parent,
            depth,
            attempts: 0,
            elapsed: Duration::ZERO,
            prior: None,
        }
    }

    /// A record for this item with no response: an error before or instead of a fetch.
    pub fn error_record(&self, error: PageError) -> Record {
        let mut r = self.blank_record();
        r.error = Some(error);
        r
    }

    /// A record with the identity fields filled and nothing fetched.
    pub fn blank_record(&self) -> Record {
        Record {
            url: self.url.to_string(),
            final_url: self.current.to_string(),
            seed: self.seed.clone(),
            parent: self.parent.clone(),
            depth: self.depth,
            status: None,
            content_type: None,
            bytes: 0,
            elapsed_ms: self.elapsed.as_millis() as u64,
            attempts: self.attempts,
            fetched_at: None,
            title: None,
            links: Vec::new(),
            fields: serde_json::Map::new(),
            error: None,
            body: None,
            unchanged: None,
        }
    }
}
