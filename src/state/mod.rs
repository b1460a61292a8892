//! The store port: the crawl's memory of which URLs it has, which are still
//! to do and what each page looked like last time — and its
//! implementations: `memory` (one run, nothing kept; the default) and
//! `sqlite` (`--state PATH`: resume after any kill, incremental recrawls).
//!
//! The engine drives a store only through `Store` (by way of `Backlog`,
//! which decides when to lease more); the writer only through `Ack`, after
//! a page's record is written. A store never sees the network, the host
//! queues or the output.
//!
//! The contract, which `contract` tests against every implementation:
//! - `admit` deduplicates: a URL enters a pass once, however often it is
//!   offered (a key a bounded cache forgot is deduplicated by the store);
//! - every admitted URL is handed out exactly once per run: at once
//!   (`Admitted::Queue`) or later by `lease`, in admission order;
//! - a handed-out URL is *leased, not acknowledged* until the writer has
//!   written its record and `Ack::commit` has marked it done; until then it
//!   counts as pending, and a run that dies holding it gives it to the next
//!   run (or, for a shared store, to another worker): at-least-once;
//! - a page's links, admitted before its record was sent to the writer,
//!   reach the store before its done mark (`flush` orders them);
//! - `claim` admits a redirect target as seen, with no record of its own.
//!
//! A store shared by several processes (`redis`) fits the same trait: its
//! admissions are buffered and sent in batches by `flush`, `lease` takes
//! URLs of the shards it owns and waits while others may still add work,
//! `Ack::commit` acknowledges them, `Acks` holds each page's slot until
//! then, and `owns` tells the engine which hosts are this process's.

pub mod backlog;
pub mod lock;
pub mod memory;
pub mod redis;
pub mod seen;
pub mod sqlite;

#[cfg(test)]
mod contract;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::record::{Fresh, PageMeta, Record, Source};

pub use backlog::Backlog;

/// A store call under way: it owns what it needs, so the engine can go on
/// while it runs.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

/// A URL the frontier's rules let in, offered to the store.
#[derive(Debug, Clone)]
pub struct Admission {
    /// `normalize::key` of `url`.
    pub key: u128,
    pub url: Box<str>,
    pub source: Arc<Source>,
}

/// What the store did with an admission.
#[derive(Debug)]
pub enum Admitted {
    /// This pass has it already.
    Known,
    /// New, and the store keeps nothing of it elsewhere: queue it now.
    Queue(Fresh),
    /// New, and the store keeps it: it comes back through `lease`.
    Stored,
}

/// A page a shared crawl gave up on: the workers that leased it stopped
/// (killed, cut off) before writing its record, `holders` times.
#[derive(Debug)]
pub struct Abandoned {
    pub fresh: Fresh,
    pub holders: u32,
}

/// The crawl's durable memory, as the engine sees it.
pub trait Store: Send + 'static {
    /// The writer's handle on this store.
    type Ack: Ack;

    /// Whether `key` has entered this pass, as far as memory knows: exact
    /// for a store in memory; for the others a bounded cache of recent keys,
    /// and `admit` has the last word.
    fn seen(&self, key: u128) -> bool;

    /// Offers a URL to this pass. Synchronous: a store that keeps its
    /// frontier elsewhere buffers the admission until `flush`.
    fn admit(&mut self, admission: Admission) -> Admitted;

    /// Sends the buffered admissions; `None` when nothing is buffered. Once
    /// it resolves, whatever is acknowledged later, through any handle, is
    /// applied after them.
    fn flush(&mut self) -> Option<StoreFuture<()>>;

    /// Whether the store may hold pending URLs that were never handed out
    /// in this run (it was opened on an unfinished pass, or admissions went
    /// to it with `Admitted::Stored`).
    fn has_backlog(&self) -> bool;

    /// Up to `limit` pending URLs of this pass that this run has not been
    /// handed yet, in admission order; they are leased until acknowledged.
    fn lease(&mut self, limit: usize) -> StoreFuture<Vec<Fresh>>;

    /// Admits a redirect target as seen (it gets no record of its own);
    /// `true` if it was new to this pass.
    fn claim(&mut self, admission: Admission) -> StoreFuture<bool>;

    /// URLs of this pass without their record yet, leased ones included.
    /// Call it after the writer has finished, so every ack is counted.
    fn count_pending(&mut self) -> StoreFuture<u64>;

    /// Every URL of this pass has its record: the next run starts a new pass.
    fn finish_pass(&mut self) -> StoreFuture<()>;

    /// Applies everything sent and lets the store go.
    fn close(self) -> StoreFuture<()>;

    /// Whether the store keeps pages for a later pass: then the engine hands
    /// each record's `PageMeta` to the writer for `Ack::note`.
    fn keeps_pages(&self) -> bool;

    /// The handle the writer acknowledges written records with.
    fn ack(&self) -> Self::Ack;

    /// For a store that a kill would make fetch unacknowledged pages again:
    /// the count of records on their way to it, which hold their page's
    /// `--concurrency` slot until acknowledged.
    fn acks(&self) -> Option<Arc<Acks>>;

    /// Cancelled when the store has failed for good; `error` says why.
    fn failed(&self) -> CancellationToken;

    /// Why the store failed, once it has.
    fn error(&self) -> Option<StoreError>;

    /// URLs to lease at a time (a new lease starts below half of it).
    fn window(&self) -> usize {
        backlog::LEASE_BATCH
    }

    /// Whether other processes share the crawl: then a lease that comes
    /// back short is only a window, and one comes back empty only when the
    /// crawl is over.
    fn shared(&self) -> bool {
        false
    }

    /// Whether this process may request the host `authority` (a shared
    /// store gives each host to one worker at a time).
    fn owns(&self, _authority: &str) -> bool {
        true
    }

    /// Whether hosts this process owned became another's, or are to be
    /// handed over, since the last call: the engine then takes their queued
    /// pages out and gives them back.
    fn ownership_changed(&mut self) -> bool {
        false
    }

    /// Pages this process leased and will not request, because `owns` says
    /// no to their hosts now: a shared store puts them back for the host's
    /// next owner (or leaves them where a new owner already took them).
    fn give_back(&mut self, _pages: Vec<Fresh>) {}

    /// Pages the last lease set aside because processes that held them
    /// stopped before writing their record too often: each gets an error
    /// record instead of a request.
    fn abandoned(&mut self) -> Vec<Abandoned> {
        Vec::new()
    }
}

/// The writer's side of a store: told, after a batch of records is written
/// and flushed, which pages are done.
pub trait Ack: Send + 'static {
    /// What is kept of one page until its batch is committed.
    type Note: Send;

    /// Called when the sinks have taken a page's record (before it is
    /// flushed): what to mark done once it is out. `meta` is what the engine
    /// sends for a store that `keeps_pages`.
    fn note(&mut self, record: &Record, meta: Option<Box<PageMeta>>) -> Self::Note;

    /// The records of `notes` are written and flushed: mark their pages
    /// done. An error means the store has failed; it reports itself through
    /// `Store::failed`, so the writer goes on writing records.
    fn commit(&mut self, notes: Vec<Self::Note>) -> Result<(), StoreError>;

    /// Whether each record should be committed as soon as it is written,
    /// rather than in batches (its page holds a slot until then, and a kill
    /// before the commit fetches it again).
    fn prompt(&self) -> bool;
}

/// Records handed to the writer and not yet acknowledged by the store. Such
/// a page is still "in flight" for a kill -9 (the next run fetches it
/// again), so the engine counts it against `--concurrency` until its ack.
#[derive(Debug, Default)]
pub struct Acks {
    waiting: AtomicUsize,
    acked: Notify,
}

impl Acks {
    /// One more record on its way to the store.
    pub fn handed(&self) {
        self.waiting.fetch_add(1, Ordering::AcqRel);
    }

    /// Records handed and not yet acknowledged.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Resolves after the next acknowledgement (at once if one happened
    /// since the last wait: `Notify` keeps one permit, so none is missed).
    pub async fn acked(&self) {
        self.acked.notified().await;
    }

    /// `n` records are acknowledged.
    pub fn done(&self, n: usize) {
        if n > 0 {
            self.waiting.fetch_sub(n, Ordering::AcqRel);
            self.acked.notify_one();
        }
    }
}

/// Why a store cannot go on. Names the store (`state PATH`) and what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("state {path}: {why}", path = .path.display())]
    Failed { path: PathBuf, why: String },
    #[error("state {path} is locked by pid {pid}", path = .path.display())]
    Locked { path: PathBuf, pid: String },
    #[error("redis {url}: {why}")]
    Redis { url: String, why: String },
}

#[cfg(test)]
mod tests {
    use super::Acks;
    use std::time::Duration;

    #[tokio::test]
    async fn acks_count_down_and_wake_a_later_waiter() {
        let a = Acks::default();
        a.handed();
        a.handed();
        assert_eq!(a.waiting(), 2);
        a.done(0);
        assert_eq!(a.waiting(), 2, "an empty commit acknowledges nothing");
        a.done(2);
        assert_eq!(a.waiting(), 0);
        // The ack came before anyone waited: the wait still ends.
        tokio::time::timeout(Duration::from_secs(5), a.acked())
            .await
            .expect("an ack before the wait was missed");
    }
}
