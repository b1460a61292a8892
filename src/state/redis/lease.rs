//! Leasing from the shards this worker owns, and knowing when the shared
//! crawl is over.
//!
//! A lease takes a window of pending URLs (at most `limit`, and at most
//! what is left of `--max-pages`, claimed atomically first) from the owned
//! shards, in one round trip to count and one to take. When there is
//! nothing, it waits and looks again, for work may still come: links found
//! by other workers, shards given back or taken over. It comes back empty
//! only when the crawl is finished — nothing pending or leased in any shard
//! in two scans in a row with no shard changed between them (each admission,
//! acknowledgement and handover bumps its shard's `v`), so a link admitted
//! into a scanned shard while another shard's page was still leased cannot
//! be missed — or when the `--max-pages` budget is spent.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::keys::{Decoder, SHARDS};
use super::link::{Link, int, text};
use super::scripts::Script;
use super::shards::{Shared, now_ms};
use crate::record::Fresh;
use crate::state::{Abandoned, StoreError};

/// Times workers may die holding a URL before it gets an error record.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest wait between looks when there is nothing to lease.
const MAX_PAUSE: Duration = Duration::from_millis(250);
/// Every shard of the crawl is looked at (is the crawl over?) less and less
/// often while a worker has nothing to do, down to once every this long: a
/// scan is three commands a shard, and many idle workers must not keep the
/// server busy. The end of a crawl is still seen within milliseconds when
/// the worker has just run dry.
const MAX_SCAN_GAP: Duration = Duration::from_secs(2);

/// Leases up to `limit` URLs; empty only when the crawl is over for this worker.
pub async fn lease(
    shared: Arc<Shared>,
    mut link: Link,
    limit: usize,
    budgeted: bool,
) -> Result<Vec<Fresh>, StoreError> {
    let mut pause = Duration::from_millis(5);
    let mut last_scan: Option<Vec<i64>> = None;
    let mut scanned: Option<tokio::time::Instant> = None;
    let mut scan_gap = Duration::ZERO;
    loop {
        if shared.failed.is_cancelled() {
            return Err(shared.error_now());
        }
        let shards = shared.leasable();
        let pending = lengths(&shared, &mut link, &shards).await?;
        let total: u64 = pending.iter().sum();
        if total > 0 {
            let want = limit.min(total as usize);
            let grant = if budgeted {
                claim_budget(&shared, &mut link, want).await?
            } else {
                want
            };
            if grant == 0 {
                if !shared.budget_spent.swap(true, Ordering::Relaxed) {
                    tracing::info!("--max-pages reached for the crawl: no new pages");
                }
                return Ok(Vec::new());
            }
            let (got, abandoned) = take(&shared, &mut link, &shards, &pending, grant).await?;
            let taken = got.len() + abandoned;
            if budgeted && taken < grant {
                let mut back = redis::pipe();
                back.cmd("INCRBY")
                    .arg(shared.keys.global("budget"))
                    .arg(grant - taken)
                    .ignore();
                link.run(&back).await?;
            }
            if taken > 0 {
                return Ok(got);
            }
            last_scan = None;
        } else if scanned.is_none_or(|t| t.elapsed() >= scan_gap) {
            scanned = Some(tokio::time::Instant::now());
            scan_gap = (scan_gap * 2).clamp(Duration::from_millis(5), MAX_SCAN_GAP);
            let scan = scan(&shared, &mut link).await?;
            let idle = scan.chunks(3).all(|c| c[0] == 0 && c[1] == 0);
            if idle && last_scan.as_ref() == Some(&scan) {
                return Ok(Vec::new());
            }
            last_scan = idle.then_some(scan);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Pending URLs of each shard in `shards`.
async fn lengths(
    shared: &Shared,
    link: &mut Link,
    shards: &[(u16, String)],
) -> Result<Vec<u64>, StoreError> {
    if shards.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for (s, _) in shards {
        pipe.cmd("LLEN").arg(shared.keys.shard(*s, "pending"));
    }
    let replies = link.run(&pipe).await?;
    Ok(replies.iter().map(|v| int(v).max(0) as u64).collect())
}

/// Every shard's pending count, leased count and change counter.
pub async fn scan(shared: &Shared, link: &mut Link) -> Result<Vec<i64>, StoreError> {
    let keys = &shared.keys;
    let mut pipe = redis::pipe();
    for s in 0..SHARDS {
        pipe.cmd("LLEN").arg(keys.shard(s, "pending"));
        pipe.cmd("ZCARD").arg(keys.shard(s, "leased"));
        pipe.cmd("HGET").arg(keys.shard(s, "info")).arg("v");
    }
    Ok(link.run(&pipe).await?.iter().map(int).collect())
}

/// Claims up to `want` pages of the crawl's budget.
async fn claim_budget(shared: &Shared, link: &mut Link, want: usize) -> Result<usize, StoreError> {
    let mut pipe = redis::pipe();
    let mut c = link
        .scripts
        .call(Script::Budget, &[shared.keys.global("budget")]);
    c.arg(want).arg(shared.live.load(Ordering::Relaxed).max(1));
    pipe.add_command(c);
    let replies = link.run(&pipe).await?;
    Ok(replies.first().map_or(0, int).max(0) as usize)
}

/// How many of `grant` URLs to take from each shard: even shares of the
/// shards that have some, what a short one cannot give going to the others,
/// so one host's backlog never fills the whole window while other hosts
/// wait in Redis.
fn shares(pending: &[u64], grant: u64) -> Vec<u64> {
    let mut want = vec![0; pending.len()];
    let mut left = grant;
    while left > 0 {
        let open: Vec<usize> = (0..pending.len())
            .filter(|&j| pending[j] > want[j])
            .collect();
        if open.is_empty() {
            break;
        }
        let share = left.div_ceil(open.len() as u64);
        let start = fastrand::usize(..open.len());
        for i in 0..open.len() {
            let j = open[(start + i) % open.len()];
            let n = (pending[j] - want[j]).min(share).min(left);
            want[j] += n;
            left -= n;
        }
    }
    want
}

/// Takes up to `grant` URLs, spread over the shards that have some; also
/// says how many of them were set aside as abandoned.
async fn take(
    shared: &Shared,
    link: &mut Link,
    shards: &[(u16, String)],
    pending: &[u64],
    grant: usize,
) -> Result<(Vec<Fresh>, usize), StoreError> {
    let keys = &shared.keys;
    let now = now_ms();
    let lease_ms = shared.lease.as_millis() as u64;
    let request = format!("{}:{}", shared.worker, fastrand::u64(..));
    let mut pipe = redis::pipe();
    let mut asked = Vec::new();
    for (j, n) in shares(pending, grant as u64).into_iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (s, token) = &shards[j];
        let k = [
            keys.shard(*s, "owner"),
            keys.shard(*s, "pending"),
            keys.shard(*s, "leased"),
            keys.shard(*s, "items"),
            keys.shard(*s, "lastlease"),
            keys.shard(*s, "info"),
        ];
        let mut c = link.scripts.call(Script::Lease, &k);
        c.arg(token)
            .arg(&request)
            .arg(now + lease_ms)
            .arg(n)
            .arg(now)
            .arg(lease_ms);
        pipe.add_command(c);
        asked.push(*s);
    }
    let replies = link.run(&pipe).await?;
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    let mut abandoned = 0;
    for (s, v) in asked.into_iter().zip(replies) {
        let redis::Value::Array(items) = v else {
            shared.lost(s, "leasing");
            continue;
        };
        for pair in items.chunks(2) {
            let (Some(hex), Some(entry)) = (text(&pair[0]), pair.get(1).and_then(text)) else {
                continue;
            };
            let Some(e) = decoder.decode(&entry) else {
                tracing::warn!("shard {s}: entry {hex} unreadable; skipped: {entry:?}");
                continue;
            };
            if e.attempts >= MAX_ATTEMPTS {
                let mut a = shared.abandoned.lock().unwrap_or_else(|p| p.into_inner());
                a.push(Abandoned {
                    fresh: e.fresh,
                    holders: e.attempts,
                });
                abandoned += 1;
            } else {
                out.push(e.fresh);
            }
        }
    }
    Ok((out, abandoned))
}

/// Pending plus leased URLs of the crawl.
pub async fn count_open(shared: &Shared, link: &mut Link) -> Result<u64, StoreError> {
    let scan = scan(shared, link).await?;
    Ok(scan.chunks(3).map(|c| (c[0] + c[1]).max(0) as u64).sum())
}

#[cfg(test)]
mod tests {
    use super::shares;

    #[test]
    fn a_window_is_shared_evenly_among_the_shards_with_work() {
        assert_eq!(shares(&[5000, 5000], 2000), [1000, 1000]);
        // What a short shard cannot give goes to the others.
        let w = shares(&[10, 5000, 0, 5000], 2000);
        assert_eq!((w[0], w[2]), (10, 0));
        assert_eq!(w[1] + w[3], 1990);
        assert!(w[1].abs_diff(w[3]) <= 1, "{w:?}");
        // Never more than a shard holds, never more than the grant.
        assert_eq!(shares(&[3, 4], 100), [3, 4]);
        assert_eq!(shares(&[1, 1, 1], 2).iter().sum::<u64>(), 2);
        assert_eq!(shares(&[], 10), Vec::<u64>::new());
    }
}
