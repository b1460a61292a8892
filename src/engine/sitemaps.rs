//! `--sitemaps`: sitemap files as a discovery source. For the host of every
//! seed the engine fetches `/sitemap.xml` and the files its robots.txt
//! names (`Sitemap:` lines), each once a run, through the host's queue like
//! any request (robots.txt, `--per-host`, `--rate` apply). An index leads to
//! more files, `MAX_LEVEL` deep; the pages a file lists enter the crawl at
//! depth 0 under the usual scope rules, from the seed the host was found
//! by, with the file as their parent and their `<lastmod>` kept for their
//! record. Sitemap files are read again at the start of each run, so a
//! resumed crawl still has their pages' `lastmod` (while this run holds
//! them: at most `MAX_LASTMODS`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use url::Url;

use super::Engine;
use crate::fetch::page::Found;
use crate::fetch::transport::Transport;
use crate::record::{CrawlItem, ItemKind, Source};
use crate::state::Store;
use crate::urls::{authority, normalize};

/// Index files followed below the first sitemap file.
const MAX_LEVEL: u8 = 3;
/// Sitemap files fetched in one run, all hosts together.
const MAX_FILES: usize = 10_000;
/// `<lastmod>` values held for pages not fetched yet.
const MAX_LASTMODS: usize = 1_000_000;

#[derive(Default)]
pub(super) struct Sitemaps {
    pub on: bool,
    /// Hosts whose sitemaps are read, by authority: the seed their pages
    /// enter the crawl from.
    hosts: HashMap<String, Arc<Source>>,
    /// Sitemap files queued this run.
    queued: HashSet<u128>,
    /// Pages' `<lastmod>`, by key, until their record is made.
    lastmods: HashMap<u128, Box<str>>,
}

impl Sitemaps {
    pub fn new(on: bool) -> Sitemaps {
        Sitemaps {
            on,
            ..Sitemaps::default()
        }
    }

    /// The `<lastmod>` a sitemap gave `url`, once.
    pub fn take_lastmod(&mut self, url: &Url) -> Option<String> {
        if self.lastmods.is_empty() {
            return None;
        }
        self.lastmods.remove(&normalize::key(url)).map(String::from)
    }
}

impl<S: Store, T: Transport> Engine<S, T> {
    /// A seed's host: its `/sitemap.xml`, and later its robots.txt's.
    pub(super) fn sitemaps_of_seed(&mut self, url: &Url) {
        if !self.sitemaps.on {
            return;
        }
        let host = authority(url);
        if self.sitemaps.hosts.contains_key(&host) {
            return;
        }
        let source = Arc::new(Source {
            seed: Arc::from(url.as_str()),
            anchor: Arc::new(crate::urls::Anchor::new(url)),
            parent: None,
            depth: 0,
        });
        self.sitemaps.hosts.insert(host, Arc::clone(&source));
        if let Ok(file) = url.join("/sitemap.xml") {
            self.queue_sitemap(file, &source, 0);
        }
    }

    /// The `Sitemap:` lines of a host's robots.txt.
    pub(super) fn sitemaps_of_robots(&mut self, host: &str, lines: &[String]) {
        let Some(source) = self.sitemaps.hosts.get(host).cloned() else {
            return;
        };
        for line in lines {
            match normalize::parse_absolute(line) {
                Ok(file) => self.queue_sitemap(file, &source, 0),
                Err(e) => tracing::info!("robots.txt of {host}: Sitemap {e}"),
            }
        }
    }

    /// What a sitemap file listed: its pages enter the crawl, its files
    /// are fetched.
    pub(super) fn sitemap_found(&mut self, item: &CrawlItem, found: Found) {
        let ItemKind::Sitemap { level } = item.kind else {
            return;
        };
        let source = Arc::new(Source {
            seed: item.seed.clone(),
            anchor: item.anchor.clone(),
            parent: Some(Arc::from(item.url.as_str())),
            depth: 0,
        });
        for (page, lastmod) in found.pages {
            let key = normalize::key(&page);
            // A page the crawl has (pending, it may be) keeps its lastmod too.
            let admitted = self.backlog.seen(key)
                || match self.frontier.admit_link(&source, &page) {
                    Some(host) => {
                        self.admit(host, key, &page, &source);
                        true
                    }
                    None => false,
                };
            if let Some(m) = lastmod.filter(|_| admitted)
                && self.sitemaps.lastmods.len() < MAX_LASTMODS
            {
                self.sitemaps.lastmods.insert(key, m.into_boxed_str());
            }
        }
        if level < MAX_LEVEL {
            for file in found.sitemaps {
                self.queue_sitemap(file, &source, level + 1);
            }
        } else if !found.sitemaps.is_empty() {
            tracing::warn!(
                "sitemap {}: index files nested deeper than {MAX_LEVEL} are not read",
                item.url
            );
        }
    }

    /// Queues a sitemap file at its host, once a run.
    fn queue_sitemap(&mut self, file: Url, source: &Arc<Source>, level: u8) {
        if self.sitemaps.queued.len() >= MAX_FILES {
            tracing::warn!("{MAX_FILES} sitemap files this run: {file} is not read");
            return;
        }
        if !self.sitemaps.queued.insert(normalize::key(&file)) {
            return;
        }
        let mut item = CrawlItem::new(
            file,
            source.seed.clone(),
            source.anchor.clone(),
            source.parent.clone(),
            0,
        );
        item.kind = ItemKind::Sitemap { level };
        let host = self.frontier.host_id(&item.current);
        self.frontier.hosts.push_resume(host, item);
    }
}
