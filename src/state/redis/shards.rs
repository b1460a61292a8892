//! Which shards this worker owns, and the task that keeps it so: every
//! third of `--lease` (at most every `TICK`) it sends its heartbeat, renews
//! its shards (a shard whose token no longer matches is lost: this worker
//! was paused or cut off past its lease, and another owns it now) and
//! releases those it is handing over once their requests in flight are
//! acknowledged; now and then it rebalances (`balance`). A shard being
//! handed over is leased from no more and its queued pages go back to its
//! queue at once (`Store::give_back`), so a handover takes about a second.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::balance::balance;
use super::keys::Keys;
use super::link::{Link, int};
use super::scripts::Script;
use crate::state::{Abandoned, Acks, StoreError};

/// A shard this worker owns.
#[derive(Debug, Clone)]
pub struct Owned {
    pub token: String,
    /// Above the fair share: no more leases from it; released once
    /// nothing of it is leased.
    pub releasing: bool,
    /// Until when the lease surely holds: `--lease` from when the last
    /// renewal (or the takeover) was sent.
    pub until: Instant,
    /// `until` passed before a renewal came back (this worker was paused,
    /// or Redis was slow): its hosts are not requested until one does.
    pub expired: bool,
}

impl Owned {
    pub fn new(token: String, sent: Instant, lease: Duration) -> Owned {
        Owned {
            token,
            releasing: false,
            until: sent + lease,
            expired: false,
        }
    }

    /// Whether its hosts may be requested now.
    fn usable(&self, now: Instant) -> bool {
        !self.releasing && !self.expired && now < self.until
    }
}

/// What the parts of the Redis store share.
pub struct Shared {
    pub keys: Keys,
    pub worker: String,
    pub lease: Duration,
    /// How long a released shard is left alone (a host's request interval).
    pub quiet: Duration,
    pub owned: Mutex<BTreeMap<u16, Owned>>,
    /// A shard was lost, or is being handed over, since the engine last looked.
    pub changed: AtomicBool,
    /// The crawl's `--max-pages` is spent (said once).
    pub budget_spent: AtomicBool,
    /// Whether the crawl has a `--max-pages` budget.
    pub budgeted: bool,
    /// Live workers at the last tick.
    pub live: AtomicUsize,
    /// When the first lease of a kept shard may run out, in ms after
    /// `started` (`check_expiry` looks closer only then).
    pub earliest: AtomicU64,
    pub started: Instant,
    /// Records written whose acknowledgement the shard's new owner refused.
    pub refused: AtomicU64,
    /// Leased URLs that workers died holding too often: error records.
    pub abandoned: Mutex<Vec<Abandoned>>,
    pub acks: Arc<Acks>,
    pub failed: CancellationToken,
    pub error: Mutex<Option<StoreError>>,
}

/// The longest pause between two ticks, whatever `--lease`: how soon a
/// joining worker is noticed and a handed-over shard is released.
const TICK: Duration = Duration::from_millis(500);
/// Rebalancing probes every shard (three commands each): every tick for
/// the first `EARLY_TICKS` and when the number of live workers changes,
/// else every `SLOW_PROBE` ticks, so a hundred workers do not probe the
/// whole crawl twice a second each.
const EARLY_TICKS: u64 = 20;
const SLOW_PROBE: u64 = 10;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Shared {
    pub fn fail(&self, e: StoreError) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
        self.failed.cancel();
    }

    /// Why the store failed (or a word that it did).
    pub fn error_now(&self) -> StoreError {
        let slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone().unwrap_or_else(|| StoreError::Failed {
            path: "redis".into(),
            why: "the store has stopped".into(),
        })
    }

    pub(super) fn owned_map(&self) -> std::sync::MutexGuard<'_, BTreeMap<u16, Owned>> {
        self.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token this worker holds `shard` by.
    pub fn token(&self, shard: u16) -> Option<String> {
        self.owned_map().get(&shard).map(|o| o.token.clone())
    }

    /// Whether this worker holds `shard`, is not handing it over, and its
    /// lease surely holds now.
    pub fn owns(&self, shard: u16) -> bool {
        let now = Instant::now();
        self.owned_map().get(&shard).is_some_and(|o| o.usable(now))
    }

    /// Marks the kept shards whose lease may have run out (their renewal
    /// is overdue: this worker was paused, say, and another may own them
    /// now); `true` if there are new ones. Cheap until one is due.
    pub fn check_expiry(&self) -> bool {
        let now = Instant::now();
        let ms = |t: Instant| t.saturating_duration_since(self.started).as_millis() as u64;
        if ms(now) < self.earliest.load(Ordering::Relaxed) {
            return false;
        }
        let mut owned = self.owned_map();
        let mut found = false;
        for (shard, o) in owned.iter_mut() {
            if !o.releasing && !o.expired && o.until <= now {
                o.expired = true;
                found = true;
                tracing::warn!(
                    "shard {shard}: its lease was not renewed within --lease {:?}; its hosts \
                     wait until it is",
                    self.lease
                );
            }
        }
        self.set_earliest(&owned);
        found
    }

    /// Recomputes `earliest` from `owned`.
    pub fn set_earliest(&self, owned: &BTreeMap<u16, Owned>) {
        let first = owned
            .values()
            .filter(|o| !o.releasing && !o.expired)
            .map(|o| o.until)
            .min();
        let ms = first.map_or(u64::MAX, |t| {
            t.saturating_duration_since(self.started).as_millis() as u64
        });
        self.earliest.store(ms, Ordering::Relaxed);
    }

    /// The shards to lease from, with their tokens.
    pub fn leasable(&self) -> Vec<(u16, String)> {
        let now = Instant::now();
        self.owned_map()
            .iter()
            .filter(|(_, o)| o.usable(now))
            .map(|(s, o)| (*s, o.token.clone()))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.owned_map().len()
    }

    /// Tells the engine to look at which hosts it may still request.
    pub fn note_change(&self) {
        self.changed.store(true, Ordering::Release);
    }

    /// `shard` turned out to be another worker's now.
    pub fn lost(&self, shard: u16, doing: &str) {
        if self.owned_map().remove(&shard).is_some() {
            tracing::warn!(
                "shard {shard}: lost while {doing} (this worker was paused or cut off past \
                 --lease {:?}); its URLs are another worker's now",
                self.lease
            );
            self.note_change();
        }
    }
}

/// Keeps this worker's shards until `stop`.
pub async fn keep(shared: Arc<Shared>, mut link: Link, stop: CancellationToken) {
    let every = (shared.lease / 3).clamp(Duration::from_millis(50), TICK);
    let mut ticks = 0u64;
    let mut last_live = 0;
    loop {
        ticks += 1;
        let probe = ticks <= EARLY_TICKS || ticks.is_multiple_of(SLOW_PROBE);
        match tick(&shared, &mut link, probe, last_live).await {
            Ok(live) => last_live = live,
            Err(e) => {
                shared.fail(e);
                return;
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Heartbeat, renewals and releases, then a rebalance when `probe` or when
/// the number of live workers is no longer `last_live`; returns that
/// number.
pub async fn tick(
    shared: &Shared,
    link: &mut Link,
    probe: bool,
    last_live: usize,
) -> Result<usize, StoreError> {
    let keys = &shared.keys;
    let now = now_ms();
    let lease_ms = shared.lease.as_millis() as u64;
    let owned: Vec<(u16, Owned)> = shared
        .owned_map()
        .iter()
        .map(|(s, o)| (*s, o.clone()))
        .collect();
    let mut pipe = redis::pipe();
    let workers = keys.global("workers");
    pipe.cmd("ZADD")
        .arg(&workers)
        .arg(now)
        .arg(&shared.worker)
        .ignore();
    let info = serde_json::json!({
        "host": hostname(),
        "pid": std::process::id(),
        "shards": owned.len(),
        "lease_ms": lease_ms,
    });
    pipe.cmd("HSET")
        .arg(keys.global("winfo"))
        .arg(&shared.worker)
        .arg(info.to_string())
        .ignore();
    pipe.cmd("ZCOUNT")
        .arg(&workers)
        .arg(now.saturating_sub(lease_ms))
        .arg("+inf");
    let quiet = now + shared.quiet.as_millis() as u64;
    for (shard, o) in &owned {
        if o.releasing {
            let mut c = link
                .scripts
                .call(Script::Release, &release_keys(keys, *shard));
            c.arg(&o.token).arg(quiet).arg(0).arg(lease_ms);
            pipe.add_command(c);
        } else {
            let mut c = link
                .scripts
                .call(Script::Renew, &[keys.shard(*shard, "owner")]);
            c.arg(&o.token).arg(lease_ms);
            pipe.add_command(c);
        }
    }
    let sent = Instant::now();
    let replies = link.run(&pipe).await?;
    let live = replies.first().map_or(1, int).max(1) as usize;
    shared.live.store(live, Ordering::Relaxed);
    for ((shard, o), v) in owned.iter().zip(&replies[1..]) {
        match (o.releasing, int(v)) {
            (true, 1) => {
                shared.owned_map().remove(shard);
                tracing::debug!("shard {shard}: released");
            }
            (true, -1) => shared.lost(*shard, "handing it over"),
            (false, 0) => shared.lost(*shard, "renewing its lease"),
            // Renewed (a release that must wait renews too).
            (_, n) if n >= 0 => {
                if let Some(o) = shared.owned_map().get_mut(shard) {
                    if o.expired {
                        tracing::info!("shard {shard}: lease renewed; its hosts go on");
                        shared.note_change();
                    }
                    o.until = sent + shared.lease;
                    o.expired = false;
                }
            }
            _ => {}
        }
    }
    shared.set_earliest(&shared.owned_map());
    if probe || live != last_live {
        balance(shared, link, live).await?;
    }
    Ok(live)
}

pub fn release_keys(keys: &Keys, shard: u16) -> [String; 5] {
    [
        keys.shard(shard, "owner"),
        keys.shard(shard, "pending"),
        keys.shard(shard, "leased"),
        keys.shard(shard, "info"),
        keys.shard(shard, "lastlease"),
    ]
}

/// Gives every shard back (at exit): what is still leased goes back in
/// front of its queue; the worker leaves the list.
pub async fn release_all(shared: &Shared, link: &mut Link) -> Result<(), StoreError> {
    let keys = &shared.keys;
    let owned: Vec<(u16, String)> = shared
        .owned_map()
        .iter()
        .map(|(s, o)| (*s, o.token.clone()))
        .collect();
    let quiet = now_ms() + shared.quiet.as_millis() as u64;
    let mut pipe = redis::pipe();
    for (shard, token) in &owned {
        let mut c = link
            .scripts
            .call(Script::Release, &release_keys(keys, *shard));
        c.arg(token).arg(quiet).arg(1).arg(0);
        pipe.add_command(c);
    }
    pipe.cmd("ZREM")
        .arg(keys.global("workers"))
        .arg(&shared.worker)
        .ignore();
    pipe.cmd("HDEL")
        .arg(keys.global("winfo"))
        .arg(&shared.worker)
        .ignore();
    let replies = link.run(&pipe).await?;
    // What went back unfetched gives its pages of --max-pages back too.
    let back: i64 = replies.iter().map(|v| (int(v) - 1).max(0)).sum();
    return_budget(shared, link, back).await?;
    shared.owned_map().clear();
    Ok(())
}

/// This machine's name, for `status`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Gives `n` pages back to the crawl's `--max-pages` (leased pages that
/// were not fetched), when it has one.
pub async fn return_budget(shared: &Shared, link: &mut Link, n: i64) -> Result<(), StoreError> {
    if !shared.budgeted || n <= 0 {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    pipe.cmd("INCRBY")
        .arg(shared.keys.global("budget"))
        .arg(n)
        .ignore();
    link.run(&pipe).await?;
    Ok(())
}
