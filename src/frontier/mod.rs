//! The frontier: the URLs waiting to be requested, in their host queues,
//! and the rules that decide whether a URL enters the crawl at all.
//!
//! Receives seeds and the links extracted from fetched pages (after the
//! store has said they are not seen); hands out, via `Hosts::next`, the
//! items that may be requested now. A discovered link enters only if it
//! passes, in order: depth, scope, `--max-url-length`, the repeated-segment
//! trap rule, `--include`/`--exclude`, and `--per-host-max-pages`; the
//! store then deduplicates it. It never performs I/O.

pub mod hosts;

use std::sync::Arc;

use url::Url;

use crate::config::Settings;
use crate::options::{Mode, RobotsMode};
use crate::record::{CrawlItem, Fresh, Source};
use hosts::{HostId, HostLimits, Hosts};

/// The crawl's host queues and the rules that let a URL in.
pub struct Frontier {
    pub hosts: Hosts,
    settings: Arc<Settings>,
}

impl Frontier {
    pub fn new(settings: Arc<Settings>) -> Self {
        Frontier {
            hosts: Hosts::default(),
            settings,
        }
    }

    /// Queues a URL the store handed out (already admitted and seen).
    pub fn enqueue(&mut self, fresh: Fresh) {
        let Ok(url) = Url::parse(&fresh.url) else {
            tracing::warn!("queued URL {:?} does not parse; skipped", fresh.url);
            return;
        };
        let id = self.host_id(&url);
        self.hosts.push_fresh(id, fresh);
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

    /// The host of a seed, which counts as admitted to it: seeds pass no
    /// other rule.
    pub fn seed_host(&mut self, url: &Url) -> HostId {
        let id = self.host_id(url);
        self.hosts.admit(id, None);
        id
    }

    /// The host to queue a link from `source` at, if every rule lets it in
    /// (the caller has checked it is not seen); counts it against
    /// `--per-host-max-pages`.
    pub fn admit_link(&mut self, source: &Source, link: &Url) -> Option<HostId> {
        let s = &self.settings;
        if s.mode == Mode::Fetch
            || source.depth > s.depth
            || !source.anchor.allows(s.scope, link)
            || link.as_str().len() > s.max_url_length
            || repeats_a_segment(link)
            || (!s.include.is_empty() && !s.include.iter().any(|re| re.is_match(link.as_str())))
            || s.exclude.iter().any(|re| re.is_match(link.as_str()))
        {
            return None;
        }
        let id = self.host_id(link);
        self.hosts
            .admit(id, self.settings.per_host_max_pages)
            .then_some(id)
    }

    /// Whether `url` would be followed from `item` under `--scope`.
    pub fn in_scope(&self, item: &CrawlItem, url: &Url) -> bool {
        item.anchor.allows(self.settings.scope, url)
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
