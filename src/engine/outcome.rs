//! What comes back from a request: a robots.txt result for the host's
//! queue, a finished page (its links to the frontier, its record and
//! exchanges to the writer), a redirect (the next hop, `redirect`) or a
//! retry (`retry_later`); and the one way records leave the engine (`emit`).

use std::sync::Arc;

use url::Url;

use super::{Engine, Stop};
use crate::error::PageError;
use crate::fetch::transport::{Exchange, Transport};
use crate::fetch::{Outcome, retry};
use crate::frontier::{self, hosts::HostId};
use crate::output::{Finished, Handoff};
use crate::record::{CrawlItem, PageMeta, Record};
use crate::state::Store;
use crate::urls::normalize;

impl<S: Store, T: Transport> Engine<S, T> {
    /// What a finished request of `host` leads to.
    pub(super) async fn outcome(&mut self, host: HostId, outcome: Outcome) {
        match outcome {
            Outcome::Robots(fetched, exchanges) => {
                if let crate::robots::Fetched::Rules(rules) = &fetched
                    && !rules.sitemaps().is_empty()
                {
                    let lines = rules.sitemaps().to_vec();
                    let host_name = self.frontier.hosts.authority(host).to_string();
                    self.sitemaps_of_robots(&host_name, &lines);
                }
                if !exchanges.is_empty()
                    && self
                        .records
                        .send(Box::new(Handoff::Exchanges(exchanges)))
                        .await
                        .is_err()
                {
                    self.stop = Some(Stop::OutputClosed);
                }
                let hosts = &mut self.frontier.hosts;
                let jitter = fastrand::f64();
                let retries = self.settings.retries;
                if let Some(delay) =
                    hosts.robots_done(host, fetched, retries, |a| retry::backoff(a, jitter))
                {
                    let delay = delay.min(self.settings.max_crawl_delay);
                    tracing::info!("robots.txt Crawl-delay {delay:?}");
                    hosts.apply_crawl_delay(host, delay);
                }
            }
            Outcome::Done {
                item,
                record,
                follow,
                meta,
                retry_after,
                exchange,
                found,
            } => {
                let hosts = &mut self.frontier.hosts;
                hosts.complete(host);
                match record.status {
                    Some(429 | 503) => hosts.slow_down(host, retry_after),
                    Some(s) if s < 400 => hosts.recover(host),
                    _ => {}
                }
                // Links are admitted even while stopping: with a store that
                // keeps them they are the next run's work, and the page is
                // about to be done.
                self.admit_links(&item, &record, follow);
                if let Some(found) = found {
                    self.sitemap_found(&item, *found);
                }
                self.emit(item, *record, Some(meta), exchange).await;
            }
            Outcome::Redirect {
                item,
                status,
                location,
            } => {
                let hosts = &mut self.frontier.hosts;
                hosts.complete(host);
                hosts.recover(host);
                self.redirect(item, status, &location).await
            }
            Outcome::Retry {
                item,
                after,
                slow_down,
                pause,
                reason,
            } => self.retry_later(host, item, after, slow_down, pause, &reason),
        }
    }

    /// Offers the followable links of a finished page to the crawl.
    fn admit_links(&mut self, item: &CrawlItem, record: &Record, follow: Vec<(u32, u128)>) {
        if follow.is_empty() {
            return;
        }
        let source = frontier::source_of(item, Arc::from(record.url.as_str()));
        for (i, key) in follow {
            // Most links of a site were seen already: only the others are
            // parsed again (they were serialized from a parsed URL, so they
            // parse).
            if self.backlog.seen(key) {
                continue;
            }
            let Some(link) = record
                .links
                .get(i as usize)
                .and_then(|l| Url::parse(l).ok())
            else {
                continue;
            };
            if let Some(host) = self.frontier.admit_link(&source, &link) {
                self.admit(host, key, &link, &source);
            }
        }
    }

    /// Leased pages that workers died holding too often: an error record
    /// each, no request.
    pub(super) async fn record_abandoned(&mut self) {
        for gone in self.backlog.take_abandoned() {
            let Ok(item) = gone.fresh.into_item() else {
                continue;
            };
            let err = PageError::new(
                crate::error::ErrorKind::Abandoned,
                format!(
                    "workers stopped {} times while holding this URL, before its record was written",
                    gone.holders
                ),
            );
            let record = item.error_record(err, &self.settings.blank);
            self.emit(item, record, None, None).await;
        }
    }

    /// Counts `record` and sends it to the writer, with what a store that
    /// keeps pages keeps of it (`meta`; without one, nothing was read again)
    /// and the page's exchanges (the earlier hops', then `last`), if kept.
    pub(super) async fn emit(
        &mut self,
        mut item: CrawlItem,
        record: Record,
        meta: Option<PageMeta>,
        last: Option<Box<Exchange>>,
    ) {
        // The store must hold a page's links before it holds the page as
        // done: they are sent before the record goes to the writer.
        self.flush().await;
        let mut record = record;
        if record.lastmod.is_none() {
            record.lastmod = self.sitemaps.take_lastmod(&item.url);
        }
        self.stats.add(&record);
        let meta = self.keeps_pages.then(|| {
            let mut meta = meta.unwrap_or_else(|| PageMeta {
                kept: true,
                ..PageMeta::default()
            });
            meta.key = normalize::key(&item.url);
            Box::new(meta)
        });
        if let Some(acks) = &self.acks {
            acks.handed();
        }
        let mut exchanges = std::mem::take(&mut item.exchanges);
        exchanges.extend(last.map(|e| *e));
        let refers_to_date = item.prior.as_ref().and_then(|p| p.fetched_at.clone());
        let handoff = Box::new(Handoff::Page {
            page: Finished {
                record,
                exchanges,
                refers_to_date,
            },
            meta,
        });
        if self.records.send(handoff).await.is_err() {
            self.stop = Some(Stop::OutputClosed);
        }
    }
}
