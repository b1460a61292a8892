//! The frontier: every URL the crawl knows about, and the rules that decide
//! whether a URL enters it.
//!
//! Receives seeds and the links extracted from fetched pages; hands out, via
//! `Hosts::next`, the items that may be requested now. A discovered link
//! enters only if it passes, in order: depth, scope, `--max-url-length`, the
//! repeated-segment trap rule, `--include`/`--exclude`, the seen-set, and
//! `--per-host-max-pages`. It never performs I/O.

pub mod hosts;
pub mod normalize;
pub mod scope;
pub mod seen;

use std::sync::Arc;

use url::Url;

use crate::cli::RobotsMode;
use crate::config::{Mode, Settings};
use crate::record::{CrawlItem, Fresh, Source};
use crate::state::{NewRow, Row};
use hosts::{HostId, HostLimits, Hosts};
use scope::Anchor;
use seen::Seen;

/// The crawl's URLs: seen-set plus per-host queues.
///
/// With `--state` the frontier lives on disk: admitted URLs go to `outbox`
/// (which the engine sends to the store) instead of the host queues, and come
/// back in admission order through `enqueue_row` when the queues run low, so
/// memory holds only a window of the frontier however large it grows.
pub struct Frontier<S: Seen> {
    seen: S,
    pub hosts: Hosts,
    settings: Arc<Settings>,
    spill: bool,
    /// Rows admitted and not yet sent to the store.
    pub outbox: Vec<NewRow>,
    /// With `--state`: every pending row of the store has been loaded back
    /// (a load came back short with no admission sent since it was asked).
    pub caught_up: bool,
    /// Rows were sent to the store since the last load was asked for.
    pub dirty: bool,
}

impl<S: Seen> Frontier<S> {
    pub fn new(seen: S, settings: Arc<Settings>) -> Self {
        Frontier {
            seen,
            hosts: Hosts::default(),
            settings,
            spill: false,
            outbox: Vec::new(),
            caught_up: true,
            dirty: false,
        }
    }

    /// Keeps the frontier in the state store, which may hold pending rows.
    pub fn spill_to_state(&mut self) {
        self.spill = true;
        self.caught_up = false;
    }

    /// Queues `item` (whose key is `key`), in memory or (with `--state`)
    /// through the store; `done` rows are only recorded as seen.
    fn enqueue(&mut self, id: HostId, key: u128, item: Fresh, done: bool) {
        if !self.spill {
            if !done {
                self.hosts.push_fresh(id, item);
            }
            return;
        }
        let src = &item.source;
        self.outbox.push(NewRow {
            key,
            url: item.url,
            seed: src.seed.clone(),
            anchor: src.anchor.clone(),
            parent: src.parent.clone(),
            depth: src.depth,
            done,
        });
        if !done {
            self.caught_up = false;
            self.dirty = true;
        }
    }

    /// Queues a row loaded back from the store (already admitted and seen).
    pub fn enqueue_row(&mut self, row: Row) {
        let (Ok(url), Ok(anchor)) = (Url::parse(&row.url), Url::parse(&row.anchor)) else {
            tracing::warn!("state row with an unparsable URL skipped: {:?}", row.url);
            return;
        };
        let id = self.host_id(&url);
        let source = Source {
            seed: Arc::from(row.seed.as_str()),
            anchor: Arc::new(Anchor::new(&anchor)),
            parent: row.parent.map(|p| Arc::from(p.as_str())),
            depth: row.depth,
        };
        let item = Fresh {
            url: row.url.into(),
            source: Arc::new(source),
            prior: row.prior.map(Arc::new),
        };
        self.hosts.push_fresh(id, item);
    }

    /// The host id of `url`, created with the limits that apply to it.
    pub fn host_id(&mut self, url: &Url) -> HostId {
        let settings = &self.settings;
        self.hosts.id(url, || {
            let o = url
                .host_str()
                .and_then(|h| settings.host_override(h, url.port_or_known_default()));
            HostLimits {
                per_host: o
                    .and_then(|o| o.per_host)
                    .map_or(settings.per_host, |n| n as usize),
                rate: o.and_then(|o| o.rate).unwrap_or(settings.rate),
                robots: settings.robots == RobotsMode::Obey,
            }
        })
    }

    /// Queues a seed (depth 0); `false` if the same URL was already queued.
    pub fn add_seed(&mut self, url: Url) -> bool {
        let key = normalize::key(&url);
        if !self.seen.insert(key) {
            return false;
        }
        let id = self.host_id(&url);
        self.hosts.admit(id, None);
        let source = Source {
            seed: Arc::from(url.as_str()),
            anchor: Arc::new(Anchor::new(&url)),
            parent: None,
            depth: 0,
        };
        let item = Fresh {
            url: url.as_str().into(),
            source: Arc::new(source),
            prior: None,
        };
        self.enqueue(id, key, item, false);
        true
    }

    /// Whether the URL with seen-set key `key` was admitted already (with
    /// `--state`: recently enough for the memory cache to know).
    pub fn is_seen(&self, key: u128) -> bool {
        self.seen.contains(key)
    }

    /// Queues a link from `source` if every rule lets it in; `key` is
    /// `normalize::key(link)`, computed where the link was extracted.
    pub fn add_link(&mut self, source: &Arc<Source>, link: &Url, key: u128) -> bool {
        debug_assert_eq!(key, normalize::key(link), "key of {link}");
        let s = &self.settings;
        // most links of a site point to pages already seen: ask that first
        if s.mode == Mode::Fetch || self.seen.contains(key) {
            return false;
        }
        if source.depth > s.depth
            || !source.anchor.allows(s.scope, link)
            || link.as_str().len() > s.max_url_length
            || repeats_a_segment(link)
            || (!s.include.is_empty() && !s.include.iter().any(|re| re.is_match(link.as_str())))
            || s.exclude.iter().any(|re| re.is_match(link.as_str()))
        {
            return false;
        }
        let id = self.host_id(link);
        if !self.hosts.admit(id, self.settings.per_host_max_pages) {
            return false;
        }
        self.seen.insert(key);
        let item = Fresh {
            url: link.as_str().into(),
            source: source.clone(),
            prior: None,
        };
        self.enqueue(id, key, item, false);
        true
    }

    /// Marks `target`, a redirect hop of `item`, as seen; `false` if it
    /// already was. With `--state` the answer is only "not in the recent
    /// cache": the engine then claims `claim_row` in the store, which knows.
    pub fn mark_seen(&mut self, target: &Url) -> bool {
        self.seen.insert(normalize::key(target))
    }

    /// Whether the store must confirm `mark_seen` (with `--state`).
    pub fn store_decides(&self) -> bool {
        self.spill
    }

    /// The store row that claims `target`, a redirect hop of `item`.
    pub fn claim_row(item: &CrawlItem, target: &Url) -> NewRow {
        NewRow {
            key: normalize::key(target),
            url: target.as_str().into(),
            seed: item.seed.clone(),
            anchor: item.anchor.clone(),
            parent: item.parent.clone(),
            depth: item.depth,
            done: true,
        }
    }

    /// Whether `url` would be followed from `item` under `--scope`.
    pub fn in_scope(&self, item: &CrawlItem, url: &Url) -> bool {
        item.anchor.allows(self.settings.scope, url)
    }

    pub fn seen_len(&self) -> usize {
        self.seen.len()
    }
}

/// What the links found on `page` (whose record `url` is `page_url`) share.
pub fn source_of(page: &CrawlItem, page_url: Arc<str>) -> Arc<Source> {
    Arc::new(Source {
        seed: page.seed.clone(),
        anchor: page.anchor.clone(),
        parent: Some(page_url),
        depth: page.depth + 1,
    })
}

/// A path in which one segment occurs more than twice (`/a/b/a/b/a/`,
/// `/x/x/x`): the mark of a spider trap (SPEC "Spider traps").
pub fn repeats_a_segment(url: &Url) -> bool {
    let Some(segments) = url.path_segments() else {
        return false;
    };
    let segments: Vec<&str> = segments.filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .any(|s| segments.iter().filter(|t| *t == s).count() > 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_segments() {
        let cases = [
            ("http://a/x/x/x", true),
            ("http://a/a/b/a/b/a/", true),
            ("http://a/x/x/y", false),
            ("http://a/docs/v1/docs/", false),
            ("http://a/", false),
            ("http://a/cal/2026/01/01/01", true),
        ];
        for (url, want) in cases {
            assert_eq!(repeats_a_segment(&Url::parse(url).unwrap()), want, "{url}");
        }
    }
}
