//! The backlog: the engine's side of a store. It keeps the host queues fed
//! from a store that keeps its frontier elsewhere, a window at a time, so
//! memory holds only a window of the frontier however large it grows.
//!
//! When fewer than half a window of fresh URLs wait in memory it leases a
//! window more (`Store::window`: `LEASE_BATCH` unless the store says
//! otherwise); the lease runs while the engine goes on. A lease that
//! comes back short, with nothing stored since it was asked for, means the
//! store has nothing more this run has not been handed (every store call
//! sends the buffered admissions first, so the lease saw all of those);
//! from a shared store, only an empty lease means that. A store that queues
//! every URL at once (memory) is never leased from.

use super::{Abandoned, Admission, Admitted, Store, StoreError, StoreFuture};
use crate::record::Fresh;

/// URLs leased from the store at a time, unless it asks for another window.
pub const LEASE_BATCH: usize = 2_000;

pub struct Backlog<S: Store> {
    store: S,
    leasing: Option<StoreFuture<Vec<Fresh>>>,
    /// Every pending URL of the store has been handed to this run.
    drained: bool,
    /// URLs went to the store since the current lease was asked for.
    stored_since_lease: bool,
    /// Leased pages that get an error record instead of a request.
    abandoned: Vec<Abandoned>,
}

impl<S: Store> Backlog<S> {
    pub fn new(store: S) -> Backlog<S> {
        Backlog {
            drained: !store.has_backlog(),
            store,
            leasing: None,
            stored_since_lease: false,
            abandoned: Vec::new(),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// Whether `key` has entered the crawl, as far as memory knows.
    pub fn seen(&self, key: u128) -> bool {
        self.store.seen(key)
    }

    /// Offers a URL; returns it when it is to be queued now.
    pub fn admit(&mut self, admission: Admission) -> Option<Fresh> {
        match self.store.admit(admission) {
            Admitted::Known => None,
            Admitted::Queue(fresh) => Some(fresh),
            Admitted::Stored => {
                self.drained = false;
                self.stored_since_lease = true;
                None
            }
        }
    }

    /// Sends what `admit` buffered.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        match self.store.flush() {
            Some(sent) => sent.await,
            None => Ok(()),
        }
    }

    /// Starts a lease if memory runs low (`fresh_waiting` URLs queued) and
    /// the store may have more.
    pub fn refill(&mut self, fresh_waiting: usize) {
        let window = self.store.window();
        if self.leasing.is_none() && !self.drained && fresh_waiting < window / 2 {
            self.leasing = Some(self.store.lease(window));
            self.stored_since_lease = false;
        }
    }

    /// Whether a lease is under way.
    pub fn leasing(&self) -> bool {
        self.leasing.is_some()
    }

    /// The URLs of the lease under way, when it is done (never without one).
    pub async fn leased(&mut self) -> Result<Vec<Fresh>, StoreError> {
        let Some(lease) = self.leasing.as_mut() else {
            return std::future::pending().await;
        };
        let rows = lease.await;
        self.leasing = None;
        if let Ok(rows) = &rows {
            let abandoned = self.store.abandoned();
            let over = if self.store.shared() {
                rows.is_empty() && abandoned.is_empty() && !self.stored_since_lease
            } else {
                rows.len() < self.store.window() && !self.stored_since_lease
            };
            self.drained |= over;
            self.abandoned.extend(abandoned);
        }
        rows
    }

    /// The pages the leases set aside as abandoned, to be recorded as such.
    pub fn take_abandoned(&mut self) -> Vec<Abandoned> {
        std::mem::take(&mut self.abandoned)
    }

    /// Whether the store may still hand out URLs this run.
    pub fn has_more(&self) -> bool {
        !self.drained || self.leasing.is_some()
    }

    /// Claims a redirect target; `true` if it was new to the crawl.
    pub async fn claim(&mut self, admission: Admission) -> Result<bool, StoreError> {
        self.store.claim(admission).await
    }
}
