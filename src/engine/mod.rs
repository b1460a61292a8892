//! The crawl loop: one task that owns the frontier and decides what is
//! requested when.
//!
//! Each turn it admits seeds while the queues are short, releases due
//! retries, asks the per-host queues for items whose host may be requested
//! *now* (so no global slot ever waits on one host), spawns one fetch task per
//! request up to `--concurrency`, and handles what comes back: a finished
//! record goes to the writer and its links to the frontier at depth + 1; a
//! redirect becomes the next hop, queued at its own host; a retry waits on
//! the delay heap. Because every hop and retry comes back through here, the
//! per-host limits hold for all of them.
//!
//! What the crawl remembers is the store's (`state::Store`, through
//! `Backlog`): the engine asks it whether a link is known, admits new ones,
//! queues what it hands out, and sends each record's `PageMeta` with the
//! record so the writer can acknowledge it. How a request is made is the
//! transport's (`fetch::transport`), behind the `Fetcher`.
//!
//! Stopping: `--max-pages` and `--max-time` stop new pages but let started
//! ones (hops, retries) finish; a signal or a failed store stops everything
//! but requests in flight, which get 10 s; a closed output stops at once.

mod alarm;
mod delay;
mod outcome;
mod redirect;
mod retry_later;
mod sitemaps;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, Interval};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Settings;
use crate::error::PageError;
use crate::fetch::transport::Transport;
use crate::fetch::{Fetcher, Outcome};
use crate::frontier::Frontier;
use crate::frontier::hosts::{HostId, Job};
use crate::output::{Handoff, Stats};
use crate::progress::{Progress, Snapshot};
use crate::record::{CrawlItem, Source};
use crate::state::{Acks, Admission, Backlog, Store, StoreError};
use crate::urls::{Anchor, normalize};
use alarm::Alarm;
use delay::DelayQueue;
use sitemaps::Sitemaps;

/// How long requests in flight may finish after a signal (SPEC "Shutdown").
const GRACE: Duration = Duration::from_secs(10);
/// Seeds are read from their channel only while fewer fresh items wait.
const SEED_LOW_WATER: usize = 10_000;

/// Why the crawl stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `--max-pages` or `--max-time`: no new pages, started ones finish.
    Limit,
    /// SIGINT/SIGTERM: only requests in flight finish, within the grace.
    Signal,
    /// The store failed: like a signal, then the run exits 1.
    StoreFailed,
    /// The output went away: stop now.
    OutputClosed,
}

impl Stop {
    /// Only requests in flight may finish.
    fn draining(self) -> bool {
        matches!(self, Stop::Signal | Stop::StoreFailed)
    }
}

/// How a run ended.
pub struct EngineEnd<S> {
    pub stats: Stats,
    pub stop: Option<Stop>,
    /// The store failure that ended the run.
    pub fatal: Option<StoreError>,
    /// Seeds were left unread.
    pub more_seeds: bool,
    /// The store, for the end of the pass.
    pub store: S,
}

/// The seed channel and whether it is still open.
pub struct Seeds {
    rx: mpsc::Receiver<Url>,
    open: bool,
}

pub struct Engine<S: Store, T: Transport> {
    settings: Arc<Settings>,
    frontier: Frontier,
    backlog: Backlog<S>,
    fetcher: Arc<Fetcher<T>>,
    tasks: JoinSet<Outcome>,
    task_hosts: HashMap<tokio::task::Id, HostId>,
    delayed: DelayQueue,
    records: mpsc::Sender<Box<Handoff>>,
    /// Records on their way to a store that holds their slot until its ack.
    acks: Option<Arc<Acks>>,
    store_failed: CancellationToken,
    keeps_pages: bool,
    stats: Stats,
    pages_started: u64,
    stop: Option<Stop>,
    grace_end: Option<Instant>,
    fatal: Option<StoreError>,
    progress: Progress,
    sitemaps: Sitemaps,
    alarm: Alarm,
}

impl<S: Store, T: Transport> Engine<S, T> {
    pub fn new(
        settings: Arc<Settings>,
        store: S,
        fetcher: Arc<Fetcher<T>>,
        records: mpsc::Sender<Box<Handoff>>,
        progress: Progress,
    ) -> Self {
        Engine {
            frontier: Frontier::new(settings.clone()),
            sitemaps: Sitemaps::new(settings.sitemaps),
            alarm: Alarm::new(),
            acks: store.acks(),
            store_failed: store.failed(),
            keeps_pages: store.keeps_pages(),
            backlog: Backlog::new(store),
            settings,
            fetcher,
            tasks: JoinSet::new(),
            task_hosts: HashMap::new(),
            delayed: DelayQueue::default(),
            records,
            stats: Stats::default(),
            pages_started: 0,
            stop: None,
            grace_end: None,
            fatal: None,
            progress,
        }
    }

    /// Slots taken: requests in flight plus records waiting for the store.
    fn busy(&self) -> usize {
        self.tasks.len() + self.acks.as_ref().map_or(0, |a| a.waiting())
    }

    /// Crawls until the work is done or a stop condition ends it.
    pub async fn run(
        mut self,
        first_seed: Url,
        seeds: mpsc::Receiver<Url>,
        shutdown: CancellationToken,
        output_closed: CancellationToken,
    ) -> EngineEnd<S> {
        let started = Instant::now();
        let max_time = self.settings.max_time.map(|d| started + d);
        let mut seeds = Seeds {
            rx: seeds,
            open: true,
        };
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        self.add_seed(first_seed);
        loop {
            self.feed_seeds(&mut seeds);
            let now = Instant::now();
            if max_time.is_some_and(|t| now >= t) && self.stop.is_none() {
                tracing::info!("--max-time reached: no new pages");
                self.stop = Some(Stop::Limit);
            }
            self.release_due(now);
            self.drop_lost_hosts();
            self.frontier.hosts.wake(now);
            for (item, err) in self.dispatch() {
                let record = item.error_record(err, &self.settings.blank);
                self.emit(item, record, None, None).await;
            }
            self.flush().await;
            if self.finished(now, seeds.open) {
                break;
            }
            let wake = [
                self.frontier.hosts.next_wake(),
                self.delayed.next_at(),
                max_time.filter(|_| self.stop.is_none()),
                self.grace_end,
            ]
            .into_iter()
            .flatten()
            .min();
            let signals = (&shutdown, &output_closed);
            self.wait(&mut seeds, signals, wake, &mut tick, started)
                .await;
        }
        self.end(seeds, started).await
    }

    /// Whether the loop is over: stopped, or nothing left to do. Starts a
    /// lease from the store when the queues run low.
    fn finished(&mut self, now: Instant, seeds_open: bool) -> bool {
        match self.stop {
            Some(Stop::OutputClosed) => return true,
            Some(s) if s.draining() && self.tasks.is_empty() => return true,
            Some(s) if s.draining() && self.grace_end.is_some_and(|g| now >= g) => {
                tracing::warn!(
                    "{} requests still in flight after {GRACE:?}; abandoning them",
                    self.tasks.len()
                );
                return true;
            }
            _ => {}
        }
        let (fresh, resume) = self.frontier.hosts.queued();
        if self.fresh_allowed() {
            self.backlog.refill(fresh);
        }
        let more_fresh =
            self.fresh_allowed() && (fresh > 0 || seeds_open || self.backlog.has_more());
        self.tasks.is_empty() && resume == 0 && self.delayed.is_empty() && !more_fresh
    }

    /// Waits for the next thing to happen and handles it.
    async fn wait(
        &mut self,
        seeds: &mut Seeds,
        (shutdown, output_closed): (&CancellationToken, &CancellationToken),
        wake: Option<Instant>,
        tick: &mut Interval,
        started: Instant,
    ) {
        let (fresh, _) = self.frontier.hosts.queued();
        let want_seeds = seeds.open && self.fresh_allowed() && fresh < SEED_LOW_WATER;
        let draining = self.stop.is_some_and(Stop::draining);
        let closed = self.stop == Some(Stop::OutputClosed);
        // Any ack wakes the loop, also one that came after `dispatch` saw
        // its slot taken (`Acks` keeps that wake as a permit).
        let acks = self.acks.clone();
        self.alarm.set(wake);
        tokio::select! {
            biased;
            _ = shutdown.cancelled(), if !draining && !closed => self.drain(Stop::Signal),
            _ = output_closed.cancelled(), if !closed => self.stop = Some(Stop::OutputClosed),
            _ = self.store_failed.cancelled(), if self.fatal.is_none() => {
                let e = self.backlog.store().error();
                self.fail(e.unwrap_or_else(|| StoreError::Failed {
                    path: "?".into(),
                    why: "the store failed".into(),
                }));
            }
            Some(joined) = self.tasks.join_next_with_id() => self.handle(joined).await,
            rows = self.backlog.leased(), if self.backlog.leasing() => match rows {
                Ok(rows) => {
                    rows.into_iter().for_each(|f| self.frontier.enqueue(f));
                    self.record_abandoned().await;
                }
                Err(e) => self.fail(e),
            },
            seed = seeds.rx.recv(), if want_seeds => match seed {
                Some(url) => self.add_seed(url),
                None => seeds.open = false,
            },
            () = self.alarm.rung() => {}
            () = acked(acks.as_deref()), if acks.is_some() => {}
            _ = tick.tick(), if self.progress.enabled() => self.show_progress(started),
        }
    }

    /// Hosts of a shared crawl that became, or are becoming, another
    /// worker's: their queued pages go back to the store for the new owner.
    fn drop_lost_hosts(&mut self) {
        if !self.backlog.store_mut().ownership_changed() {
            return;
        }
        let store = self.backlog.store();
        let dropped = self.frontier.hosts.drop_fresh_where(|a| store.owns(a));
        if !dropped.is_empty() {
            tracing::info!(
                "{} queued pages of hosts handed to another worker given back",
                dropped.len()
            );
            self.backlog.store_mut().give_back(dropped);
        }
    }

    /// Stops scheduling; requests in flight finish within the grace.
    fn drain(&mut self, why: Stop) {
        if self.stop == Some(Stop::OutputClosed) {
            return;
        }
        self.stop = Some(why);
        self.grace_end.get_or_insert_with(|| Instant::now() + GRACE);
        self.delayed.clear();
        self.frontier.hosts.drop_fresh();
    }

    /// The store failed: drain, then the run ends with its error.
    fn fail(&mut self, e: StoreError) {
        if self.fatal.is_none() {
            tracing::error!("{e}; finishing the requests in flight");
            self.fatal = Some(e);
        }
        self.drain(Stop::StoreFailed);
    }

    /// After the loop: what is left for another run.
    async fn end(mut self, mut seeds: Seeds, started: Instant) -> EngineEnd<S> {
        self.tasks.abort_all();
        self.progress.finish();
        let more_seeds = seeds.open
            && !matches!(
                seeds.rx.try_recv(),
                Err(mpsc::error::TryRecvError::Disconnected)
            );
        if self.fatal.is_none() {
            self.flush().await;
        }
        let mut stats = self.stats;
        stats.finish(started.elapsed(), self.stop == Some(Stop::Signal));
        EngineEnd {
            stats,
            stop: self.stop,
            fatal: self.fatal,
            more_seeds,
            store: self.backlog.into_store(),
        }
    }

    /// Seeds: keep the fresh queues fed, never flooded.
    fn feed_seeds(&mut self, seeds: &mut Seeds) {
        while seeds.open && self.fresh_allowed() && self.frontier.hosts.queued().0 < SEED_LOW_WATER
        {
            match seeds.rx.try_recv() {
                Ok(url) => self.add_seed(url),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => seeds.open = false,
            }
        }
    }

    /// Whether a page not started yet may start now.
    fn fresh_allowed(&self) -> bool {
        self.stop.is_none()
            && self
                .settings
                .max_pages
                .is_none_or(|m| self.pages_started < m)
    }

    /// Starts requests while there are free slots and hosts that may be asked
    /// now; returns the URLs refused without a request (robots), with why.
    fn dispatch(&mut self) -> Vec<(CrawlItem, PageError)> {
        let mut refused = Vec::new();
        if self
            .stop
            .is_some_and(|s| s.draining() || s == Stop::OutputClosed)
        {
            return refused;
        }
        while self.busy() < self.settings.concurrency {
            let fresh_ok = self.fresh_allowed();
            let Some((host, job)) = self.frontier.hosts.next(fresh_ok) else {
                break;
            };
            let fetcher = self.fetcher.clone();
            let handle = match job {
                Job::Refused(item, err) => {
                    refused.push((item, err));
                    continue;
                }
                Job::Robots(url) => self.tasks.spawn(async move { fetcher.robots(url).await }),
                Job::Page(item) => {
                    if item.attempts == 0 && item.hops.is_empty() {
                        self.pages_started += 1;
                        if !self.fresh_allowed() && self.stop.is_none() {
                            tracing::info!(
                                "--max-pages {} reached: no new pages",
                                self.pages_started
                            );
                            self.stop = Some(Stop::Limit);
                        }
                    }
                    self.tasks.spawn(async move { fetcher.fetch(item).await })
                }
            };
            self.task_hosts.insert(handle.id(), host);
        }
        if self.stop == Some(Stop::Limit) && self.frontier.hosts.queued().0 > 0 {
            self.frontier.hosts.drop_fresh();
        }
        refused
    }

    /// Moves retries whose time has come back to their host's queue.
    fn release_due(&mut self, now: Instant) {
        while let Some((host, item)) = self.delayed.pop_due(now) {
            self.frontier.hosts.push_resume(host, item);
        }
    }

    async fn handle(&mut self, joined: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>) {
        let (id, outcome) = match joined {
            Ok(ok) => ok,
            Err(e) => {
                if let Some(host) = self.task_hosts.remove(&e.id()) {
                    self.frontier.hosts.complete(host);
                }
                if e.is_panic() {
                    tracing::error!("a fetch task panicked; its page has no record: {e}");
                }
                return;
            }
        };
        let Some(host) = self.task_hosts.remove(&id) else {
            return;
        };
        self.outcome(host, outcome).await;
        if self.frontier.hosts.is_idle(host) {
            let key = self.frontier.hosts.authority(host);
            self.fetcher.transport().host_idle(key);
        }
    }

    /// Queues a seed (depth 0) unless the crawl has it already.
    fn add_seed(&mut self, url: Url) {
        // Every run reads the sitemaps again, a resumed one too.
        self.sitemaps_of_seed(&url);
        let key = normalize::key(&url);
        if self.backlog.seen(key) {
            return;
        }
        let host = self.frontier.seed_host(&url);
        let source = Arc::new(Source {
            seed: Arc::from(url.as_str()),
            anchor: Arc::new(Anchor::new(&url)),
            parent: None,
            depth: 0,
        });
        self.admit(host, key, &url, &source);
    }

    /// Admits a URL the frontier let in; queues it if the store hands it back.
    fn admit(&mut self, host: HostId, key: u128, url: &Url, source: &Arc<Source>) {
        let admission = Admission {
            key,
            url: url.as_str().into(),
            source: Arc::clone(source),
        };
        if let Some(fresh) = self.backlog.admit(admission) {
            self.frontier.hosts.push_fresh(host, fresh);
        }
    }

    /// Sends the buffered admissions to the store.
    async fn flush(&mut self) {
        if let Err(e) = self.backlog.flush().await {
            self.fail(e);
        }
    }

    fn show_progress(&self, started: Instant) {
        let (fresh, resume) = self.frontier.hosts.queued();
        let secs = started.elapsed().as_secs_f64();
        self.progress.update(&Snapshot {
            done: self.stats.pages,
            queued: fresh + resume + self.delayed.len(),
            in_flight: self.tasks.len(),
            ready_hosts: self.frontier.hosts.ready_hosts(),
            pages_per_s: if secs > 0.0 {
                self.stats.pages as f64 / secs
            } else {
                0.0
            },
        });
    }
}

/// The next acknowledgement of the store, or never without one.
async fn acked(acks: Option<&Acks>) {
    match acks {
        Some(a) => a.acked().await,
        None => std::future::pending().await,
    }
}
