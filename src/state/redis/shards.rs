//! Which shards this worker owns, and the task that keeps it so: every
//! third of `--lease` (at most every `TICK`) it sends its heartbeat, renews
//! its shards (a shard whose token no longer matches is lost: this worker
//! was paused or cut off past its lease, and another owns it now), takes
//! free shards up to its fair share (shards / live workers, rounded up) and
//! hands over those above it, so a joining worker gets work and a busy one
//! does not hoard it. A shard being handed over is leased from no more;
//! its queued pages go back to its queue at once (`Store::give_back`), and
//! it is released as soon as its requests in flight are acknowledged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::keys::{Keys, SHARDS};
use super::link::{Link, int, text};
use super::scripts::Script;
use crate::state::{Abandoned, Acks, StoreError};

/// A shard this worker owns.
#[derive(Debug, Clone)]
pub struct Owned {
    pub token: String,
    /// Above the fair share: no more leases from it; released once
    /// nothing of it is leased.
    pub releasing: bool,
}

/// What the parts of the Redis store share.
pub struct Shared {
    pub keys: Keys,
    pub worker: String,
    pub lease: Duration,
    /// How long a released shard is left alone (a host's request interval).
    pub quiet: Duration,
    pub owned: Mutex<BTreeMap<u16, Owned>>,
    /// A shard was lost since the engine last looked.
    pub changed: AtomicBool,
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
/// Below its fair share but not below the floor of it, a worker looks for
/// free shards every this many ticks (every tick below the floor), so a
/// hundred workers do not probe every shard twice a second.
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

    fn owned(&self) -> std::sync::MutexGuard<'_, BTreeMap<u16, Owned>> {
        self.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token this worker holds `shard` by.
    pub fn token(&self, shard: u16) -> Option<String> {
        self.owned().get(&shard).map(|o| o.token.clone())
    }

    /// Whether this worker holds `shard` and is not handing it over.
    pub fn owns(&self, shard: u16) -> bool {
        self.owned().get(&shard).is_some_and(|o| !o.releasing)
    }

    /// The shards to lease from, with their tokens.
    pub fn leasable(&self) -> Vec<(u16, String)> {
        self.owned()
            .iter()
            .filter(|(_, o)| !o.releasing)
            .map(|(s, o)| (*s, o.token.clone()))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.owned().len()
    }

    /// `shard` turned out to be another worker's now.
    pub fn lost(&self, shard: u16, doing: &str) {
        if self.owned().remove(&shard).is_some() {
            tracing::warn!(
                "shard {shard}: lost while {doing} (this worker was paused or cut off past \
                 --lease {:?}); its URLs are another worker's now",
                self.lease
            );
            self.changed.store(true, Ordering::Release);
        }
    }
}

/// Keeps this worker's shards until `stop`.
pub async fn keep(shared: Arc<Shared>, mut link: Link, stop: CancellationToken) {
    let every = (shared.lease / 3).clamp(Duration::from_millis(50), TICK);
    let mut ticks = 0u64;
    loop {
        ticks += 1;
        if let Err(e) = tick(&shared, &mut link, ticks.is_multiple_of(SLOW_PROBE)).await {
            shared.fail(e);
            return;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Heartbeat, renewals, releases, then takeovers up to the fair share
/// (`probe`: look for free shards even when not below the floor of it).
pub async fn tick(shared: &Shared, link: &mut Link, probe: bool) -> Result<(), StoreError> {
    let keys = &shared.keys;
    let now = now_ms();
    let lease_ms = shared.lease.as_millis() as u64;
    let owned: Vec<(u16, Owned)> = shared
        .owned()
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
            c.arg(&o.token).arg(quiet).arg(0);
            pipe.add_command(c);
        } else {
            let mut c = link
                .scripts
                .call(Script::Renew, &[keys.shard(*shard, "owner")]);
            c.arg(&o.token).arg(lease_ms);
            pipe.add_command(c);
        }
    }
    let replies = link.run(&pipe).await?;
    let live = replies.first().map_or(1, int).max(1) as usize;
    for ((shard, o), v) in owned.iter().zip(&replies[1..]) {
        match (o.releasing, int(v)) {
            (true, 1) => {
                shared.owned().remove(shard);
                tracing::debug!("shard {shard}: released");
            }
            (false, 0) => shared.lost(*shard, "renewing its lease"),
            _ => {}
        }
    }
    balance(shared, link, live, probe).await
}

/// Takes free shards up to the fair share; hands over those above it.
async fn balance(
    shared: &Shared,
    link: &mut Link,
    live: usize,
    probe: bool,
) -> Result<(), StoreError> {
    let fair = usize::from(SHARDS).div_ceil(live);
    let floor = usize::from(SHARDS) / live;
    let (have, kept) = {
        let mut owned = shared.owned();
        let mut kept = owned.values().filter(|o| !o.releasing).count();
        if kept > fair {
            // Hand over the excess (the highest shards: any would do).
            let excess = kept - fair;
            for (_, o) in owned
                .iter_mut()
                .rev()
                .filter(|(_, o)| !o.releasing)
                .take(excess)
            {
                o.releasing = true;
            }
            tracing::debug!("{excess} shards to hand over ({live} workers)");
            shared.changed.store(true, Ordering::Release);
            return Ok(());
        }
        // Fewer workers than when the handover began: keep some after all.
        for (_, o) in owned
            .iter_mut()
            .filter(|(_, o)| o.releasing)
            .take(fair - kept)
        {
            o.releasing = false;
            kept += 1;
        }
        (owned.len(), kept)
    };
    if have >= fair || (kept >= floor && !probe) {
        return Ok(());
    }
    let keys = &shared.keys;
    // Free shards, those with work first, in an order of this worker's own.
    let mut probe = redis::pipe();
    for s in 0..SHARDS {
        probe.cmd("EXISTS").arg(keys.shard(s, "owner"));
        probe.cmd("LLEN").arg(keys.shard(s, "pending"));
    }
    let replies = link.run(&probe).await?;
    let mut free: Vec<(bool, u64, u16)> = (0..SHARDS)
        .filter(|s| !shared.owns(*s))
        .filter(|s| int(&replies[2 * usize::from(*s)]) == 0)
        .map(|s| {
            let pending = int(&replies[2 * usize::from(s) + 1]) > 0;
            (!pending, fastrand::u64(..), s)
        })
        .collect();
    free.sort_unstable();
    free.truncate(fair - have);
    if free.is_empty() {
        return Ok(());
    }
    let lease_ms = shared.lease.as_millis() as u64;
    let mut pipe = redis::pipe();
    for (_, _, s) in &free {
        let k = [
            keys.shard(*s, "owner"),
            keys.shard(*s, "epoch"),
            keys.shard(*s, "pending"),
            keys.shard(*s, "leased"),
            keys.shard(*s, "items"),
            keys.shard(*s, "lastlease"),
            keys.shard(*s, "info"),
        ];
        let mut c = link.scripts.call(Script::Acquire, &k);
        c.arg(&shared.worker).arg(lease_ms);
        pipe.add_command(c);
    }
    let replies = link.run(&pipe).await?;
    let mut owned = shared.owned();
    for ((_, _, s), v) in free.iter().zip(&replies) {
        let redis::Value::Array(parts) = v else {
            continue;
        };
        let (Some(token), Some(given_back)) = (parts.first().and_then(text), parts.get(1)) else {
            continue;
        };
        let given_back = int(given_back);
        if given_back > 0 {
            tracing::info!(
                "shard {s}: taken over; {given_back} URLs its last owner held are pending again"
            );
        }
        owned.insert(
            *s,
            Owned {
                token,
                releasing: false,
            },
        );
    }
    Ok(())
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
        .owned()
        .iter()
        .map(|(s, o)| (*s, o.token.clone()))
        .collect();
    let quiet = now_ms() + shared.quiet.as_millis() as u64;
    let mut pipe = redis::pipe();
    for (shard, token) in &owned {
        let mut c = link
            .scripts
            .call(Script::Release, &release_keys(keys, *shard));
        c.arg(token).arg(quiet).arg(1);
        pipe.add_command(c).ignore();
    }
    pipe.cmd("ZREM")
        .arg(keys.global("workers"))
        .arg(&shared.worker)
        .ignore();
    pipe.cmd("HDEL")
        .arg(keys.global("winfo"))
        .arg(&shared.worker)
        .ignore();
    link.run(&pipe).await?;
    shared.owned().clear();
    Ok(())
}

/// This machine's name, for `status`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}
