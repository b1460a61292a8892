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
//! Stopping: `--max-pages` and `--max-time` stop new pages but let started
//! ones (hops, retries) finish; a signal stops everything but requests in
//! flight, which get 10 s; a closed output stops at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::OptionFuture;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Settings;
use crate::fetch::retry;
use crate::fetch::{FetchCtx, Outcome, PageMeta};
use crate::frontier::hosts::{HostId, Job};
use crate::frontier::normalize;
use crate::frontier::seen::Seen;
use crate::frontier::{self, Frontier};
use crate::output::{Commits, Stats, WriterMsg};
use crate::progress::{Progress, Snapshot};
use crate::record::Record;
use crate::state::{Done, Row};

/// How long requests in flight may finish after a signal (SPEC "Shutdown").
const GRACE: Duration = Duration::from_secs(10);
/// Seeds are read from their channel only while fewer fresh items wait.
const SEED_LOW_WATER: usize = 10_000;
/// With `--state`, rows are loaded back from the store, this many at a time,
/// when fewer than `LOAD_LOW` fresh items wait in memory.
const LOAD_BATCH: usize = 2_000;
const LOAD_LOW: usize = 1_000;
/// Rows per admission message to the store.
const ADMIT_CHUNK: usize = 256;

/// Why the crawl stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `--max-pages` or `--max-time`: no new pages, started ones finish.
    Limit,
    /// SIGINT/SIGTERM: only requests in flight finish, within the grace.
    Signal,
    /// The output went away: stop now.
    OutputClosed,
}

/// How a run ended.
pub struct EngineEnd {
    pub stats: Stats,
    pub stop: Option<Stop>,
    /// An error that ended the run (the state store failed).
    pub fatal: Option<String>,
    /// Every URL of the crawl has its record (with `--state`: the next run recrawls).
    pub pass_complete: bool,
    /// URLs left for a later run (a lower bound when stopped by a signal).
    pub pending: u64,
}

mod delay;
mod redirect;

use delay::DelayQueue;

pub struct Engine<S: Seen> {
    settings: Arc<Settings>,
    frontier: Frontier<S>,
    ctx: Arc<FetchCtx>,
    tasks: JoinSet<Outcome>,
    task_hosts: HashMap<tokio::task::Id, HostId>,
    delayed: DelayQueue,
    records: mpsc::Sender<WriterMsg>,
    /// With `--state`: finished pages whose record the store has not
    /// committed yet; they hold their `--concurrency` slot until it has.
    commits: Option<Arc<Commits>>,
    stats: Stats,
    pages_started: u64,
    stop: Option<Stop>,
    fatal: Option<String>,
    /// Fresh items dropped from memory by a stop (still pending in the state).
    dropped: usize,
    progress: Progress,
}

impl<S: Seen> Engine<S> {
    pub fn new(
        settings: Arc<Settings>,
        seen: S,
        ctx: Arc<FetchCtx>,
        records: mpsc::Sender<WriterMsg>,
        progress: Progress,
    ) -> Self {
        Engine {
            frontier: Frontier::new(seen, settings.clone()),
            settings,
            ctx,
            tasks: JoinSet::new(),
            task_hosts: HashMap::new(),
            delayed: DelayQueue::default(),
            records,
            commits: None,
            stats: Stats::default(),
            pages_started: 0,
            stop: None,
            fatal: None,
            dropped: 0,
            progress,
        }
    }

    /// Keeps the frontier in the state store (`--state`), and holds each
    /// finished page's slot until `commits` says its record is stored: a
    /// kill -9 then repeats at most `--concurrency` pages.
    pub fn spill_to_state(&mut self, commits: Arc<Commits>) {
        self.frontier.spill_to_state();
        self.commits = Some(commits);
    }

    /// Slots taken: requests in flight plus records waiting for the store.
    fn busy(&self) -> usize {
        self.tasks.len() + self.commits.as_ref().map_or(0, |c| c.waiting())
    }

    /// Crawls until the work is done or a stop condition ends it.
    pub async fn run(
        mut self,
        first_seed: Url,
        mut seeds: mpsc::Receiver<Url>,
        shutdown: CancellationToken,
        output_closed: CancellationToken,
    ) -> EngineEnd {
        let started = Instant::now();
        let max_time = self.settings.max_time.map(|d| started + d);
        let mut grace_end: Option<Instant> = None;
        let mut seeds_open = true;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        // With --state: the frontier's rows come back from the store in id order.
        let mut load: Option<oneshot::Receiver<Result<Vec<Row>, String>>> = None;
        let mut cursor: i64 = 0;
        self.frontier.add_seed(first_seed);

        loop {
            // Seeds: keep the fresh queues fed, never flooded.
            while seeds_open
                && self.fresh_allowed()
                && self.frontier.hosts.queued().0 < SEED_LOW_WATER
            {
                match seeds.try_recv() {
                    Ok(url) => {
                        self.frontier.add_seed(url);
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => seeds_open = false,
                }
            }
            let now = Instant::now();
            if max_time.is_some_and(|t| now >= t) && self.stop.is_none() {
                tracing::info!("--max-time reached: no new pages");
                self.stop = Some(Stop::Limit);
            }
            self.release_due(now);
            self.frontier.hosts.wake(now);
            for record in self.dispatch() {
                self.emit(record).await;
            }
            self.flush_admissions().await;

            match self.stop {
                Some(Stop::OutputClosed) => break,
                Some(Stop::Signal) if self.tasks.is_empty() => break,
                Some(Stop::Signal) if grace_end.is_some_and(|g| now >= g) => {
                    tracing::warn!(
                        "{} requests still in flight after {GRACE:?}; abandoning them",
                        self.tasks.len()
                    );
                    break;
                }
                _ => {}
            }
            let (fresh, resume) = self.frontier.hosts.queued();
            if load.is_none()
                && !self.frontier.caught_up
                && self.fresh_allowed()
                && fresh < LOAD_LOW
            {
                let (reply, rx) = oneshot::channel();
                let msg = WriterMsg::Load {
                    after: cursor,
                    limit: LOAD_BATCH,
                    reply,
                };
                if self.records.send(msg).await.is_ok() {
                    load = Some(rx);
                    self.frontier.dirty = false;
                }
            }
            let more_fresh = self.fresh_allowed()
                && (fresh > 0 || seeds_open || !self.frontier.caught_up || load.is_some());
            if self.tasks.is_empty() && resume == 0 && self.delayed.is_empty() && !more_fresh {
                break;
            }

            let want_seeds = seeds_open && self.fresh_allowed() && fresh < SEED_LOW_WATER;
            let wake = [
                self.frontier.hosts.next_wake(),
                self.delayed.next_at(),
                max_time.filter(|_| self.stop.is_none()),
                grace_end,
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                biased;
                _ = shutdown.cancelled(), if self.stop != Some(Stop::Signal) && self.stop != Some(Stop::OutputClosed) => {
                    self.stop = Some(Stop::Signal);
                    grace_end = Some(Instant::now() + GRACE);
                    self.delayed.clear();
                    self.dropped += self.frontier.hosts.drop_fresh();
                }
                _ = output_closed.cancelled(), if self.stop != Some(Stop::OutputClosed) => {
                    self.stop = Some(Stop::OutputClosed);
                }
                Some(joined) = self.tasks.join_next_with_id() => self.handle(joined).await,
                Some(rows) = OptionFuture::from(load.as_mut()), if load.is_some() => {
                    load = None;
                    match rows {
                        Ok(Ok(rows)) => {
                            // The load saw every row admitted before it was
                            // asked for (one FIFO channel): a short answer with
                            // nothing admitted since means the store is drained.
                            if rows.len() < LOAD_BATCH && !self.frontier.dirty {
                                self.frontier.caught_up = true;
                            }
                            cursor = rows.last().map_or(cursor, |r| r.id);
                            for row in rows {
                                self.frontier.enqueue_row(row);
                            }
                        }
                        Ok(Err(e)) => {
                            self.fatal = Some(e);
                            self.stop = Some(Stop::OutputClosed);
                        }
                        Err(_) => self.stop = Some(Stop::OutputClosed),
                    }
                }
                seed = seeds.recv(), if want_seeds => match seed {
                    Some(url) => { self.frontier.add_seed(url); }
                    None => seeds_open = false,
                },
                _ = sleep_until(wake.unwrap_or(now)), if wake.is_some() => {}
                () = commits_of(&self.commits), if self.busy() > self.tasks.len() => {}
                _ = tick.tick(), if self.progress.enabled() => self.show_progress(started),
            }
        }

        self.tasks.abort_all();
        self.progress.finish();
        // Work left for another run: queued, waiting, on disk, or unread seeds.
        let (fresh, resume) = self.frontier.hosts.queued();
        let more_seeds = seeds_open
            && !matches!(
                seeds.try_recv(),
                Err(mpsc::error::TryRecvError::Disconnected)
            );
        let mut pending = (fresh + resume + self.delayed.len() + self.dropped) as u64;
        if self.settings.state.is_some() && self.fatal.is_none() {
            // The store knows what is left, once everything sent is applied.
            self.flush_admissions().await;
            let (reply, rx) = oneshot::channel();
            if self
                .records
                .send(WriterMsg::CountPending { reply })
                .await
                .is_ok()
            {
                match rx.await {
                    Ok(Ok(n)) => pending = n,
                    Ok(Err(e)) => self.fatal = Some(e),
                    Err(_) => {}
                }
            }
        }
        // A run stopped by a limit right after its last page still completes the pass.
        let pass_complete = match self.stop {
            None => true,
            Some(Stop::Limit) => pending == 0 && !more_seeds && load.is_none(),
            Some(_) => false,
        };
        if pass_complete && self.settings.state.is_some() && self.fatal.is_none() {
            // Every page of this pass has its record: the next run recrawls.
            let _ = self.records.send(WriterMsg::FinishPass).await;
        }
        let mut stats = self.stats;
        stats.finish(started.elapsed(), self.stop == Some(Stop::Signal));
        EngineEnd {
            stats,
            stop: self.stop,
            fatal: self.fatal,
            pass_complete,
            pending,
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
    /// now; returns the records of URLs refused without a request (robots).
    fn dispatch(&mut self) -> Vec<Record> {
        let mut refused = Vec::new();
        if matches!(self.stop, Some(Stop::Signal | Stop::OutputClosed)) {
            return refused;
        }
        while self.busy() < self.settings.concurrency {
            let fresh_ok = self.fresh_allowed();
            let Some((host, job)) = self.frontier.hosts.next(fresh_ok) else {
                break;
            };
            let ctx = self.ctx.clone();
            let handle = match job {
                Job::Refused(item, err) => {
                    refused.push(item.error_record(err));
                    continue;
                }
                Job::Robots(url) => self.tasks.spawn(async move { ctx.robots(url).await }),
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
                    self.tasks.spawn(async move { ctx.fetch(item).await })
                }
            };
            self.task_hosts.insert(handle.id(), host);
        }
        if self.stop == Some(Stop::Limit) && self.frontier.hosts.queued().0 > 0 {
            self.dropped += self.frontier.hosts.drop_fresh();
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
        let hosts = &mut self.frontier.hosts;
        match outcome {
            Outcome::Robots(fetched) => {
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
            } => {
                hosts.complete(host);
                match record.status {
                    Some(429 | 503) => hosts.slow_down(host, meta.retry_after),
                    Some(s) if s < 400 => hosts.recover(host),
                    _ => {}
                }
                // Links are admitted even while stopping: with --state they
                // are the next run's work, and the page is about to be done.
                if !follow.is_empty() {
                    let source = frontier::source_of(&item, Arc::from(record.url.as_str()));
                    for (i, key) in follow {
                        // Most links of a site were seen already: only the
                        // others are parsed again (they were serialized from
                        // a parsed URL, so they parse).
                        if self.frontier.is_seen(key) {
                            continue;
                        }
                        let link = record
                            .links
                            .get(i as usize)
                            .and_then(|l| Url::parse(l).ok());
                        if let Some(link) = link {
                            self.frontier.add_link(&source, &link, key);
                        }
                    }
                }
                self.emit_with(*record, Some(meta)).await;
            }
            Outcome::Redirect {
                item,
                status,
                location,
            } => {
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
            } => {
                hosts.complete(host);
                if slow_down {
                    hosts.slow_down(host, pause);
                    tracing::info!(
                        "{} asked to slow down; rate now {:.2}/s",
                        item.current,
                        hosts.rate(host)
                    );
                } else if pause.is_some() {
                    hosts.slow_down(host, pause);
                }
                if self.stop == Some(Stop::Signal) {
                    return;
                }
                tracing::debug!("retrying {} in {after:?}: {reason}", item.current);
                self.delayed.push(Instant::now() + after, host, item);
            }
        }
    }

    async fn emit(&mut self, record: Record) {
        self.emit_with(record, None).await;
    }

    /// Counts `record` and sends it to the writer; with `--state`, with what
    /// the store keeps of the page (`meta` from a fetch, if there was one).
    async fn emit_with(&mut self, record: Record, meta: Option<PageMeta>) {
        // The store must hold a page's links before it holds the page as done:
        // the same channel carries both, in order.
        self.flush_admissions().await;
        self.stats.add(&record);
        let done = self.settings.state.as_ref().and_then(|_| {
            let key = normalize::key(&Url::parse(&record.url).ok()?);
            let meta = meta.unwrap_or(PageMeta {
                kept: true,
                ..PageMeta::default()
            });
            let fresh = !meta.kept;
            Some(Box::new(Done {
                key,
                status: record.status,
                final_url: record.final_url.clone(),
                content_type: record.content_type.clone(),
                title: record.title.clone(),
                fetched_at: record.fetched_at.clone(),
                etag: meta.etag,
                last_modified: meta.last_modified,
                body_hash: meta.body_hash,
                links_json: None,
                store_links: fresh,
                nofollow: fresh.then_some(meta.nofollow),
            }))
        });
        let show = !(self.settings.changed_only && record.unchanged == Some(true));
        if let (Some(commits), Some(_)) = (&self.commits, &done) {
            commits.sent();
        }
        let msg = WriterMsg::Record {
            record: Box::new(record),
            done,
            show,
        };
        if self.records.send(msg).await.is_err() {
            self.stop = Some(Stop::OutputClosed);
        }
    }

    /// Sends the URLs admitted since the last call to the store, in chunks,
    /// so the bounded channel bounds rows and not just messages (a page may
    /// carry ten thousand links).
    async fn flush_admissions(&mut self) {
        if self.frontier.outbox.is_empty() {
            return;
        }
        let mut rows = std::mem::take(&mut self.frontier.outbox);
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ADMIT_CHUNK));
            if self.records.send(WriterMsg::Admit(rows)).await.is_err() {
                self.stop = Some(Stop::OutputClosed);
                return;
            }
            rows = rest;
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

/// The next commit of the store, or never without one.
async fn commits_of(commits: &Option<Arc<Commits>>) {
    match commits {
        Some(c) => c.committed().await,
        None => std::future::pending().await,
    }
}
