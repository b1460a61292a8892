//! The output row (`Record`, exactly SPEC's fields), the unit of work that
//! travels through the frontier and the fetcher (`CrawlItem`), and what a
//! store keeps of a page between passes (`Prior` read back, `PageMeta`
//! handed over with the record).
//!
//! A `CrawlItem` is created once per URL admitted to the frontier and carries
//! everything its record will need; its redirect hops and retries mutate it in
//! place, so one URL yields exactly one record. Every record is made by
//! `CrawlItem::record`, so every record follows one rule for its identity
//! fields, `fetched_at` and `fields`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::error::PageError;
use crate::exchange::Exchange;
use crate::urls::Anchor;

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
    /// With `--save`: where the body went, relative to DIR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
    /// With `--sitemaps`: what the URL is, when it is not a page
    /// (`{"kind": "sitemap"}`).
    #[serde(rename = "source", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// With `--sitemaps`: the `<lastmod>` a sitemap gave the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastmod: Option<String>,
    /// With `--markdown`: the main content (or whole page) as Markdown;
    /// null for a page that is not HTML or not fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<Option<String>>,
    /// With `--text`: the same as plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Option<String>>,
    /// With `--markdown` or `--text`: `<html lang>`, the description meta,
    /// the canonical URL (absolute); each null when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<Option<String>>,
    /// With `--render auto|always`: whether the page's DOM is the browser's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<bool>,
    /// Of a rendered page: the sub-requests it asked for (scripts, XHR, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subrequests: Option<u32>,
}

/// What a record holds before its page is read: one key per `--select`
/// field (null or `[]`), and the content fields asked for (null).
#[derive(Debug, Clone, Default)]
pub struct Blank {
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub markdown: bool,
    pub text: bool,
    /// `--render auto|always`: every record says whether it was rendered.
    pub render: bool,
}

/// What a record's URL was fetched as, besides a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub kind: &'static str,
}

impl Origin {
    pub const SITEMAP: Origin = Origin { kind: "sitemap" };
}

/// What an item is fetched as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Page,
    /// A sitemap file, `level` index files down from the first.
    Sitemap {
        level: u8,
    },
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
    /// The exchanges of earlier hops and attempts (redirects, retries), as
    /// received, when a sink archives them; empty otherwise.
    pub exchanges: Vec<Exchange>,
    pub kind: ItemKind,
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
            exchanges: Vec::new(),
            kind: ItemKind::Page,
        }
    }

    /// The record of this item, and the one place records are made: the
    /// identity fields come from the item, `fields` and the content fields
    /// start as `blank` says, and `fetched_at` is set when there was a
    /// response (`status`).
    pub fn record(&self, status: Option<u16>, blank: &Blank) -> Record {
        let content = blank.markdown || blank.text;
        Record {
            url: self.url.to_string(),
            final_url: self.current.to_string(),
            seed: self.seed.clone(),
            parent: self.parent.clone(),
            depth: self.depth,
            status,
            content_type: None,
            bytes: 0,
            elapsed_ms: self.elapsed.as_millis() as u64,
            attempts: self.attempts,
            fetched_at: status.map(|_| now_rfc3339()),
            title: None,
            links: Vec::new(),
            fields: blank.fields.clone(),
            error: None,
            body: None,
            unchanged: None,
            saved: None,
            origin: matches!(self.kind, ItemKind::Sitemap { .. }).then_some(Origin::SITEMAP),
            lastmod: None,
            markdown: blank.markdown.then_some(None),
            text: blank.text.then_some(None),
            lang: content.then_some(None),
            description: content.then_some(None),
            canonical: content.then_some(None),
            rendered: blank.render.then_some(false),
            subrequests: None,
        }
    }

    /// The record of an item that got no response: an error before or
    /// instead of a request.
    pub fn error_record(&self, error: PageError, blank: &Blank) -> Record {
        let mut r = self.record(None, blank);
        r.error = Some(error);
        r
    }
}

/// The current time as a record's `fetched_at` (RFC 3339, UTC, seconds).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// What an earlier pass stored about a page (`--state` recrawls): the
/// validators of a conditional request and what an unchanged record repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub status: u16,
    pub content_type: Option<String>,
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// When it was fetched (RFC 3339), for an archive's revisit record.
    pub fetched_at: Option<String>,
    /// All links of the page, and those of them marked nofollow.
    pub links: Vec<String>,
    pub nofollow: Vec<String>,
}

/// What a store may keep of a finished page besides its record, for the
/// next pass: its key, validators, body hash and which links were nofollow.
/// Handed to the writer with the record, and from there to the store.
#[derive(Debug, Default)]
pub struct PageMeta {
    /// `normalize::key` of the record's `url` (set by the engine, for a
    /// store that keeps pages).
    pub key: u128,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// The links of `record.links` marked nofollow.
    pub nofollow: Vec<String>,
    /// The page was not read again (a 304, or no request at all): the store
    /// keeps the links and validators it has.
    pub kept: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_record_follows_one_rule() {
        let url = Url::parse("http://a.test/x").unwrap();
        let mut item = CrawlItem::new(
            url.clone(),
            Arc::from("http://a.test/"),
            Arc::new(Anchor::new(&url)),
            None,
            1,
        );
        item.attempts = 2;
        let mut fields = serde_json::Map::new();
        fields.insert("price".into(), serde_json::Value::Null);
        fields.insert("tags".into(), serde_json::Value::Array(Vec::new()));
        let blank = Blank {
            fields: fields.clone(),
            markdown: true,
            text: false,
            render: false,
        };
        let fetched = item.record(Some(200), &blank);
        let failed = item.error_record(PageError::new(ErrorKind::Connect, "refused"), &blank);
        for r in [&fetched, &failed] {
            assert_eq!(r.fields, fields, "one key per field, also on errors");
            let json = serde_json::to_value(r).unwrap();
            assert!(json["markdown"].is_null() && json.get("markdown").is_some());
            assert!(json.get("text").is_none(), "only what was asked for");
            assert!(json.get("lang").is_some_and(serde_json::Value::is_null));
            assert_eq!(
                (r.url.as_str(), r.depth, r.attempts),
                ("http://a.test/x", 1, 2)
            );
        }
        assert!(fetched.fetched_at.is_some(), "a response has a time");
        assert!(failed.fetched_at.is_none() && failed.status.is_none());
        assert_eq!(
            failed.error.as_ref().map(|e| e.kind),
            Some(ErrorKind::Connect)
        );
    }
}
