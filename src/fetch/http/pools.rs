//! Connection pools per host, within a budget of open sockets.
//!
//! Each host (authority) that has a request in flight, or had one lately,
//! has its own client and so its own keep-alive pool. That makes
//! connections follow work: a pool is dropped — its idle connections closed
//! at once — when the crawl says the host has nothing left
//! (`Transport::host_idle`), when it has been idle for `IDLE_KEEP` (checked
//! whenever a request starts), or when
//! its sockets are needed elsewhere, least recently used first.
//!
//! Idle pools are also bounded in number (`idle_max`, the run's
//! concurrency): hosts with work queued but nothing in flight (a broad
//! crawl's thousands, between their robots.txt and their pages) keep their
//! connections only while they are among the most recently used, so memory
//! and descriptors stay proportional to the concurrency, not to the hosts.
//!
//! The budget counts the sockets a pool may hold: as many as the most
//! requests it has had in flight at once (a keep-alive pool reuses a
//! connection, so that is what it opens). A request that needs one more
//! takes it from the budget; when the budget is spent, idle pools are
//! dropped until it fits, and if none is idle the request waits for one.
//! When the system says the descriptors ran out anyway (EMFILE/ENFILE:
//! something else holds them), the budget shrinks to what is open now.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How long a pool with nothing in flight is kept for a next request.
const IDLE_KEEP: Duration = Duration::from_secs(15);
/// The budget never shrinks below this.
const MIN_BUDGET: usize = 4;

struct Pool<C> {
    client: C,
    in_flight: usize,
    /// Sockets this pool may hold (taken from the budget).
    sockets: usize,
    /// When idle: its key in `Inner::idle`.
    idle: Option<(Instant, u64)>,
}

struct Inner<C> {
    pools: HashMap<String, Pool<C>>,
    /// Pools with nothing in flight, least recently used first.
    idle: BTreeMap<(Instant, u64), String>,
    seq: u64,
    /// Sockets taken by all pools.
    taken: usize,
    budget: usize,
    /// Pools with nothing in flight kept at most.
    idle_max: usize,
    /// Most sockets taken at once over the run.
    peak: usize,
}

/// The pools of a run and their socket budget.
pub struct Pools<C> {
    inner: Mutex<Inner<C>>,
    freed: Notify,
    build: Box<dyn Fn() -> Result<C, String> + Send + Sync>,
}

/// A request's hold on its host's pool; dropping it ends the request.
pub struct Lease<C: Clone> {
    pools: Arc<Pools<C>>,
    host: String,
}

impl<C: Clone> Pools<C> {
    /// Pools whose clients `build` makes, holding at most `budget` sockets
    /// and keeping at most `idle_max` idle pools.
    pub fn new(
        budget: usize,
        idle_max: usize,
        build: impl Fn() -> Result<C, String> + Send + Sync + 'static,
    ) -> Pools<C> {
        Pools {
            inner: Mutex::new(Inner {
                pools: HashMap::new(),
                idle: BTreeMap::new(),
                seq: 0,
                taken: 0,
                budget: budget.max(MIN_BUDGET),
                idle_max: idle_max.max(1),
                peak: 0,
            }),
            freed: Notify::new(),
            build: Box::new(build),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<C>> {
        // Every change under the lock keeps the counts consistent before it
        // can panic (building a client happens outside it): keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A lease on `host`'s pool for one request, and the pool's client:
    /// waits while the budget has no socket for it and no idle pool to
    /// close.
    pub async fn lease(self: &Arc<Self>, host: &str) -> Result<(Lease<C>, C), String> {
        loop {
            let freed = self.freed.notified();
            match self.try_lease(host)? {
                Some(client) => {
                    let lease = Lease {
                        pools: self.clone(),
                        host: host.to_string(),
                    };
                    return Ok((lease, client));
                }
                // Re-checked at least every 100 ms, whatever wakes it.
                None => {
                    let _ = tokio::time::timeout(Duration::from_millis(100), freed).await;
                }
            }
        }
    }

    fn try_lease(&self, host: &str) -> Result<Option<C>, String> {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.sweep(now);
        if !inner.pools.contains_key(host) {
            drop(inner);
            let client = (self.build)()?;
            inner = self.lock();
            inner.pools.entry(host.to_string()).or_insert(Pool {
                client,
                in_flight: 0,
                sockets: 0,
                idle: None,
            });
        }
        let inner = &mut *inner;
        let Some(pool) = inner.pools.get(host) else {
            return Ok(None);
        };
        if pool.in_flight >= pool.sockets {
            while inner.taken >= inner.budget {
                let Some((_, victim)) = inner.idle.pop_first() else {
                    return Ok(None);
                };
                inner.close(&victim);
            }
        }
        let Some(pool) = inner.pools.get_mut(host) else {
            // It was the idle one closed to make room: build it again.
            return Ok(None);
        };
        if pool.in_flight >= pool.sockets {
            pool.sockets += 1;
            inner.taken += 1;
            inner.peak = inner.peak.max(inner.taken);
        }
        pool.in_flight += 1;
        if let Some(key) = pool.idle.take() {
            inner.idle.remove(&key);
        }
        Ok(Some(pool.client.clone()))
    }

    /// The crawl has nothing left for `host`: close its pool if idle.
    pub fn host_idle(&self, host: &str) {
        let mut inner = self.lock();
        if let Some(key) = inner.pools.get(host).and_then(|p| p.idle) {
            inner.idle.remove(&key);
            inner.close(host);
            drop(inner);
            self.freed.notify_waiters();
        }
    }

    /// The descriptors ran out with `taken` sockets counted: keep at most
    /// that many less one from now on, and close the least recently used
    /// idle pool.
    pub fn exhausted(&self) {
        let mut inner = self.lock();
        let budget = inner.taken.saturating_sub(1).max(MIN_BUDGET);
        if budget < inner.budget {
            tracing::info!(
                "the open-file limit was reached with {} sockets counted: keeping at most {budget} open",
                inner.taken
            );
            inner.budget = budget;
        }
        if let Some((_, victim)) = inner.idle.pop_first() {
            inner.close(&victim);
        }
    }

    /// (pools, sockets counted, the most counted at once, the budget).
    pub fn usage(&self) -> (usize, usize, usize, usize) {
        let inner = self.lock();
        (inner.pools.len(), inner.taken, inner.peak, inner.budget)
    }

    fn end(&self, host: &str) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let Some(pool) = inner.pools.get_mut(host) else {
            return;
        };
        pool.in_flight = pool.in_flight.saturating_sub(1);
        if pool.in_flight == 0 {
            inner.seq += 1;
            let key = (Instant::now(), inner.seq);
            pool.idle = Some(key);
            inner.idle.insert(key, host.to_string());
            while inner.idle.len() > inner.idle_max {
                let Some((_, victim)) = inner.idle.pop_first() else {
                    break;
                };
                inner.close(&victim);
            }
        }
        self.freed.notify_waiters();
    }
}

impl<C> Inner<C> {
    /// Drops pools idle for longer than `IDLE_KEEP`.
    fn sweep(&mut self, now: Instant) {
        while let Some(entry) = self.idle.first_entry() {
            if now.duration_since(entry.key().0) < IDLE_KEEP {
                break;
            }
            let host = entry.remove();
            self.close(&host);
        }
    }

    /// Drops `host`'s pool (its idle connections close) and frees its sockets.
    fn close(&mut self, host: &str) {
        if let Some(pool) = self.pools.remove(host) {
            self.taken -= pool.sockets;
        }
    }
}

impl<C: Clone> Drop for Lease<C> {
    fn drop(&mut self) {
        self.pools.end(&self.host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools(budget: usize) -> Arc<Pools<()>> {
        pools_idle(budget, 100)
    }

    fn pools_idle(budget: usize, idle_max: usize) -> Arc<Pools<()>> {
        Arc::new(Pools::new(budget, idle_max, || Ok(())))
    }

    #[tokio::test]
    async fn a_pool_counts_the_most_requests_it_had_at_once() {
        let p = pools(8);
        let a = p.lease("a:80").await.unwrap();
        let b = p.lease("a:80").await.unwrap();
        assert_eq!(p.usage().1, 2);
        drop(a);
        let c = p.lease("a:80").await.unwrap();
        assert_eq!(p.usage().1, 2, "a second connection is reused, not opened");
        drop((b, c));
        assert_eq!(p.usage(), (1, 2, 2, 8));
        p.host_idle("a:80");
        assert_eq!(p.usage().0, 0);
        assert_eq!(p.usage().1, 0);
    }

    #[tokio::test]
    async fn a_spent_budget_closes_the_least_recently_used_idle_pool() {
        let p = pools(4);
        let held: Vec<(Lease<()>, ())> =
            futures::future::join_all(["a:80", "b:80", "c:80", "d:80"].map(|h| p.lease(h)))
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
        let mut held = held.into_iter();
        drop(held.next()); // a idle first
        drop(held.next()); // then b
        let _e = p.lease("e:80").await.unwrap();
        let inner = p.lock();
        assert!(
            !inner.pools.contains_key("a:80"),
            "a, least recently used, closed"
        );
        assert!(inner.pools.contains_key("b:80"));
        assert_eq!(inner.taken, 4);
    }

    #[tokio::test]
    async fn a_request_waits_while_every_socket_is_busy() {
        let p = pools(4);
        let mut held = Vec::new();
        for h in ["a:80", "b:80", "c:80", "d:80"] {
            held.push(p.lease(h).await.unwrap());
        }
        let waiting = tokio::spawn({
            let p = p.clone();
            async move { p.lease("e:80").await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "no socket free: it waits");
        held.pop();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("a freed socket lets it go")
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn idle_pools_are_bounded_in_number() {
        let p = pools_idle(100, 2);
        for h in ["a:80", "b:80", "c:80", "d:80"] {
            drop(p.lease(h).await.unwrap());
        }
        let inner = p.lock();
        assert_eq!(inner.idle.len(), 2);
        assert!(inner.pools.contains_key("c:80") && inner.pools.contains_key("d:80"));
        assert_eq!(inner.taken, 2, "the closed pools' sockets are free");
    }

    #[tokio::test]
    async fn running_out_shrinks_the_budget_to_what_is_open() {
        let p = pools(100);
        let mut held = Vec::new();
        for i in 0..10 {
            held.push(p.lease(&format!("h{i}:80")).await.unwrap());
        }
        p.exhausted();
        assert_eq!(p.usage().3, 9);
    }
}
