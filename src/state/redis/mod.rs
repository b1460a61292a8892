//! The Redis store (`--redis URL --crawl-id ID`): several workers, on one
//! machine or many, share one crawl. The third implementation of the store
//! port; the crawl loop is the same one.
//!
//! Hosts are owned, URLs are leased: hosts fall into shards (`keys`), a
//! worker owns shards under an expiring, fenced lease (`shards`), and only
//! the owner of a host's shard leases its URLs (`lease`), so each host is
//! crawled by one worker at a time and its per-host limits, robots.txt and
//! back-off stay local and exact. Any worker admits URLs into any shard
//! directly, with a script that checks the shard's seen-set first, so a URL
//! enters the crawl once, whoever finds it. A leased URL stays in its
//! shard's `leased` set until its record is written and acknowledged; a
//! worker that dies leaves it there, and the next owner of the shard puts
//! it back in front of the queue with one more attempt.
//!
//! Writes travel in order through one task (`writer`), in pipelines, so
//! the cost per page is a fraction of a round trip; `link` makes a lost
//! connection a wait (up to `--redis-timeout`), not an error.

mod balance;
mod crawl;
mod keys;
mod lease;
mod link;
mod scripts;
mod shards;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::seen::RecentSeen;
use super::{Abandoned, Ack, Acks, Admission, Admitted, Store, StoreError, StoreFuture};
use crate::config::{RedisOptions, Settings};
use crate::record::{Fresh, PageMeta, Record};
use crate::urls::normalize;
use shards::Shared;
use writer::{AckNote, Msg, NewUrl};

pub use crawl::{JoinError, crawl_settings, purge, status};
pub use keys::Keys;
pub use link::Link;

/// Messages the write task may have waiting.
const CHANNEL: usize = 64;
/// Admissions sent in one message.
const ADMIT_CHUNK: usize = 512;

/// The engine's handle on the shared crawl.
pub struct RedisStore {
    tx: mpsc::Sender<Msg>,
    link: Link,
    shared: Arc<Shared>,
    recent: RecentSeen,
    outbox: Vec<NewUrl>,
    /// Leased pages given back, to send with the next flush.
    returns: Vec<(u16, String)>,
    budgeted: bool,
    window: usize,
    keeper: CancellationToken,
    keeper_task: Option<tokio::task::JoinHandle<()>>,
    writer_task: Option<tokio::task::JoinHandle<()>>,
}

/// The writer's handle: acknowledges written records.
pub struct RedisAck {
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
}

impl RedisStore {
    /// Connects, creates or joins the crawl, takes a first share of shards
    /// and starts the tasks that keep them and write.
    pub async fn open(
        options: &RedisOptions,
        settings: &Settings,
    ) -> Result<RedisStore, JoinError> {
        let mut link = Link::connect(&options.url, options.timeout).await?;
        let keys = Keys::new(&options.crawl_id);
        crawl::join(&mut link, &keys, settings).await?;
        let worker = format!(
            "{}-{}-{:04x}",
            shards::hostname(),
            std::process::id(),
            fastrand::u16(..)
        );
        let interval = |rate: f64| {
            if rate > 0.0 {
                Duration::from_secs_f64(1.0 / rate)
            } else {
                Duration::ZERO
            }
        };
        let quiet = settings
            .hosts
            .values()
            .filter_map(|o| o.rate)
            .chain([settings.rate])
            .map(interval)
            .max()
            .unwrap_or_default();
        let shared = Arc::new(Shared {
            keys,
            worker,
            lease: options.lease,
            quiet,
            owned: Mutex::default(),
            changed: Default::default(),
            budget_spent: Default::default(),
            budgeted: settings.max_pages.is_some(),
            live: Default::default(),
            earliest: AtomicU64::new(u64::MAX),
            started: std::time::Instant::now(),
            refused: Default::default(),
            abandoned: Mutex::default(),
            acks: Arc::default(),
            failed: CancellationToken::new(),
            error: Mutex::new(None),
        });
        shards::tick(&shared, &mut link, true, 0).await?;
        tracing::info!(
            "worker {}: {} of {} shards",
            shared.worker,
            shared.count(),
            keys::SHARDS
        );
        let keeper = CancellationToken::new();
        let keeper_task = tokio::spawn(shards::keep(
            Arc::clone(&shared),
            link.clone(),
            keeper.clone(),
        ));
        let (tx, rx) = mpsc::channel(CHANNEL);
        let writer_task = tokio::spawn(writer::run(Arc::clone(&shared), link.clone(), rx));
        Ok(RedisStore {
            tx,
            link,
            shared,
            recent: RecentSeen::default(),
            outbox: Vec::new(),
            returns: Vec::new(),
            budgeted: settings.max_pages.is_some(),
            window: (4 * settings.concurrency).clamp(64, super::backlog::LEASE_BATCH),
            keeper,
            keeper_task: Some(keeper_task),
            writer_task: Some(writer_task),
        })
    }

    /// The buffered admissions as messages.
    fn take_outbox(&mut self) -> Vec<Msg> {
        let mut rows = std::mem::take(&mut self.outbox);
        let mut msgs = Vec::with_capacity(rows.len().div_ceil(ADMIT_CHUNK));
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ADMIT_CHUNK));
            msgs.push(Msg::Admit(rows));
            rows = rest;
        }
        if !self.returns.is_empty() {
            msgs.push(Msg::GiveBack(std::mem::take(&mut self.returns)));
        }
        msgs
    }

    /// Sends the buffered admissions and `last`, in order.
    fn send(&mut self, last: Option<Msg>) -> StoreFuture<()> {
        let msgs = self.take_outbox();
        let tx = self.tx.clone();
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            for m in msgs.into_iter().chain(last) {
                tx.send(m).await.map_err(|_| shared.error_now())?;
            }
            Ok(())
        })
    }

    /// A future that resolves once everything sent so far is applied.
    fn synced(&mut self) -> StoreFuture<()> {
        let (reply, done) = oneshot::channel();
        let sent = self.send(Some(Msg::Sync(reply)));
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            sent.await?;
            done.await.map_err(|_| shared.error_now())?
        })
    }
}

impl Store for RedisStore {
    type Ack = RedisAck;

    fn seen(&self, key: u128) -> bool {
        self.recent.contains(key)
    }

    fn admit(&mut self, a: Admission) -> Admitted {
        if !self.recent.insert(a.key) {
            return Admitted::Known;
        }
        let Some(shard) = keys::shard_of_url(&a.url) else {
            return Admitted::Known;
        };
        self.outbox.push(NewUrl {
            shard,
            key: a.key,
            entry: keys::encode_entry(&a.url, &a.source),
        });
        Admitted::Stored
    }

    fn flush(&mut self) -> Option<StoreFuture<()>> {
        (!self.outbox.is_empty() || !self.returns.is_empty()).then(|| self.send(None))
    }

    fn has_backlog(&self) -> bool {
        true
    }

    fn shared(&self) -> bool {
        true
    }

    /// A few requests' worth per slot of `--concurrency`: what a worker
    /// holds leased is what it keeps from the others (and, with
    /// `--max-pages`, budget it alone can spend), so it holds little.
    fn window(&self) -> usize {
        self.window
    }

    fn lease(&mut self, limit: usize) -> StoreFuture<Vec<Fresh>> {
        let synced = self.synced();
        let shared = Arc::clone(&self.shared);
        let link = self.link.clone();
        let budgeted = self.budgeted;
        Box::pin(async move {
            synced.await?;
            lease::lease(shared, link, limit, budgeted).await
        })
    }

    fn claim(&mut self, a: Admission) -> StoreFuture<bool> {
        if !self.recent.insert(a.key) {
            return Box::pin(std::future::ready(Ok(false)));
        }
        let Some(shard) = keys::shard_of_url(&a.url) else {
            return Box::pin(std::future::ready(Ok(false)));
        };
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Some(Msg::Claim {
            shard,
            key: a.key,
            reply,
        }));
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            sent.await?;
            answer.await.map_err(|_| shared.error_now())?
        })
    }

    fn count_pending(&mut self) -> StoreFuture<u64> {
        let synced = self.synced();
        let shared = Arc::clone(&self.shared);
        let mut link = self.link.clone();
        Box::pin(async move {
            synced.await?;
            lease::count_open(&shared, &mut link).await
        })
    }

    fn finish_pass(&mut self) -> StoreFuture<()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn close(mut self) -> StoreFuture<()> {
        let synced = self.synced();
        Box::pin(async move {
            synced.await?;
            self.keeper.cancel();
            if let Some(t) = self.keeper_task.take() {
                let _ = t.await;
            }
            let refused = self.shared.refused.load(Ordering::Relaxed);
            if refused > 0 {
                tracing::warn!(
                    "{refused} records were written after their shard was lost; its new owner \
                     fetches them again"
                );
            }
            shards::release_all(&self.shared, &mut self.link).await?;
            let (round_trips, commands) = self.link.counts();
            tracing::info!("redis: {round_trips} round trips, {commands} commands");
            drop(self.tx);
            if let Some(t) = self.writer_task.take() {
                let _ = t.await;
            }
            Ok(())
        })
    }

    fn keeps_pages(&self) -> bool {
        false
    }

    fn ack(&self) -> RedisAck {
        RedisAck {
            tx: self.tx.clone(),
            shared: Arc::clone(&self.shared),
        }
    }

    fn acks(&self) -> Option<Arc<Acks>> {
        Some(Arc::clone(&self.shared.acks))
    }

    fn failed(&self) -> CancellationToken {
        self.shared.failed.clone()
    }

    fn error(&self) -> Option<StoreError> {
        self.shared
            .failed
            .is_cancelled()
            .then(|| self.shared.error_now())
    }

    fn owns(&self, authority: &str) -> bool {
        self.shared.owns(keys::shard_of(authority))
    }

    fn ownership_changed(&mut self) -> bool {
        let expired = self.shared.check_expiry();
        self.shared.changed.swap(false, Ordering::AcqRel) || expired
    }

    fn give_back(&mut self, pages: Vec<Fresh>) {
        let back: Vec<(u16, String)> = pages
            .iter()
            .filter_map(|f| {
                let url = Url::parse(&f.url).ok()?;
                let shard = keys::shard_of(&crate::urls::authority(&url));
                Some((shard, keys::key_hex(normalize::key(&url))))
            })
            .collect();
        // Sent with the next flush, after the admissions buffered before.
        self.returns.extend(back);
    }

    fn abandoned(&mut self) -> Vec<Abandoned> {
        let mut a = self
            .shared
            .abandoned
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *a)
    }
}

impl Ack for RedisAck {
    type Note = Option<AckNote>;

    fn note(&mut self, r: &Record, _meta: Option<Box<PageMeta>>) -> Option<AckNote> {
        let url = Url::parse(&r.url).ok()?;
        Some(AckNote {
            shard: keys::shard_of(&crate::urls::authority(&url)),
            hex: keys::key_hex(normalize::key(&url)),
            kind: r.error.as_ref().map_or("", |e| e.kind.as_str()),
        })
    }

    fn commit(&mut self, notes: Vec<Option<AckNote>>) -> Result<(), StoreError> {
        let n = notes.len();
        let notes: Vec<AckNote> = notes.into_iter().flatten().collect();
        // A record whose URL does not parse was never leased: nothing to mark.
        self.shared.acks.done(n - notes.len());
        if notes.is_empty() {
            return Ok(());
        }
        self.tx
            .blocking_send(Msg::Ack(notes))
            .map_err(|_| self.shared.error_now())
    }

    fn prompt(&self) -> bool {
        true
    }
}
