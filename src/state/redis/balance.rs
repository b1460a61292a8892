//! How workers share the shards: by work, not by count. A probe reads
//! every shard's owner, pending and leased counts; `plan` decides, from
//! that view alone, what this worker hands over and what it takes, and
//! `balance` carries it out.
//!
//! A shard with work (something pending or leased) is *busy*. Each live
//! worker's fair share of the busy shards is their number over the workers,
//! rounded up: a worker above it hands its excess over (the busy shards
//! with the fewest leased URLs first: they are released soonest); a worker
//! below it takes free busy shards. Shards without work are spread the same
//! way by count, so new hosts usually land in a shard that has an owner
//! already. Every worker plans from the same kind of view, so the crawl
//! converges within a few ticks of a join or a departure, and a worker
//! that holds no busy shard does not sit idle while another holds all.

use super::keys::SHARDS;
use super::link::{Link, int, text};
use super::scripts::Script;
use super::shards::{Owned, Shared};
use crate::state::StoreError;

/// One shard as a probe saw it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShardView {
    /// Nobody holds it.
    pub free: bool,
    /// This worker holds it.
    pub mine: bool,
    /// This worker is handing it over.
    pub releasing: bool,
    pub pending: u64,
    pub leased: u64,
}

impl ShardView {
    fn busy(&self) -> bool {
        self.pending + self.leased > 0
    }
}

/// What to change, shard numbers each.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub hand_over: Vec<u16>,
    /// Shards being handed over that this worker keeps after all.
    pub keep: Vec<u16>,
    pub take: Vec<u16>,
}

/// Decides this worker's moves from `view` (indexed by shard) with `live`
/// workers in the crawl.
pub fn plan(view: &[ShardView], live: usize) -> Plan {
    let live = live.max(1);
    let mut plan = Plan::default();
    let busy_total = view.iter().filter(|v| v.busy()).count();
    let fair_busy = busy_total.div_ceil(live);
    let fair_all = view.len().div_ceil(live);
    let kept = |v: &ShardView| v.mine && !v.releasing;
    let shard = |i: usize| i as u16;

    // Busy shards first: they are what the workers' time goes to.
    let mut mine_busy: Vec<usize> = (0..view.len())
        .filter(|&i| kept(&view[i]) && view[i].busy())
        .collect();
    let mut have_busy = mine_busy.len();
    if have_busy > fair_busy {
        mine_busy.sort_by_key(|&i| (view[i].leased, std::cmp::Reverse(i)));
        plan.hand_over
            .extend(mine_busy[..have_busy - fair_busy].iter().map(|&i| shard(i)));
    } else {
        let back = (0..view.len()).filter(|&i| view[i].mine && view[i].releasing && view[i].busy());
        plan.keep
            .extend(back.take(fair_busy - have_busy).map(shard));
        have_busy += plan.keep.len();
        let mut free: Vec<usize> = (0..view.len())
            .filter(|&i| view[i].free && view[i].busy())
            .collect();
        fastrand::shuffle(&mut free);
        plan.take
            .extend(free.into_iter().take(fair_busy - have_busy).map(shard));
    }

    // Then the idle ones, by count.
    let have_all = view.iter().filter(|v| kept(v)).count() + plan.keep.len() + plan.take.len()
        - plan.hand_over.len();
    if have_all > fair_all {
        let idle = (0..view.len()).filter(|&i| kept(&view[i]) && !view[i].busy());
        plan.hand_over
            .extend(idle.rev().take(have_all - fair_all).map(shard));
    } else {
        let mut free: Vec<usize> = (0..view.len())
            .filter(|&i| view[i].free && !view[i].busy())
            .collect();
        fastrand::shuffle(&mut free);
        plan.take
            .extend(free.into_iter().take(fair_all - have_all).map(shard));
    }
    plan
}

/// Probes every shard, plans, and carries the plan out: shards to hand
/// over stop being leased from (their queued pages go back through the
/// engine), free ones are acquired.
pub async fn balance(shared: &Shared, link: &mut Link, live: usize) -> Result<(), StoreError> {
    let keys = &shared.keys;
    let mut probe = redis::pipe();
    for s in 0..SHARDS {
        probe.cmd("EXISTS").arg(keys.shard(s, "owner"));
        probe.cmd("LLEN").arg(keys.shard(s, "pending"));
        probe.cmd("ZCARD").arg(keys.shard(s, "leased"));
    }
    let replies = link.run(&probe).await?;
    let plan = {
        let owned = shared.owned_map();
        let view: Vec<ShardView> = (0..SHARDS)
            .map(|s| {
                let r = &replies[3 * usize::from(s)..];
                let o = owned.get(&s);
                ShardView {
                    free: int(&r[0]) == 0,
                    mine: o.is_some(),
                    releasing: o.is_some_and(|o| o.releasing),
                    pending: int(&r[1]).max(0) as u64,
                    leased: int(&r[2]).max(0) as u64,
                }
            })
            .collect();
        plan(&view, live)
    };
    if !plan.hand_over.is_empty() || !plan.keep.is_empty() {
        let mut owned = shared.owned_map();
        for s in &plan.hand_over {
            if let Some(o) = owned.get_mut(s) {
                o.releasing = true;
            }
        }
        for s in &plan.keep {
            if let Some(o) = owned.get_mut(s) {
                o.releasing = false;
            }
        }
        tracing::debug!(
            "{} shards to hand over, {} kept after all ({live} workers)",
            plan.hand_over.len(),
            plan.keep.len()
        );
        shared.note_change();
    }
    acquire(shared, link, &plan.take).await
}

/// Takes the free shards `take`; those another worker took first are
/// skipped.
async fn acquire(shared: &Shared, link: &mut Link, take: &[u16]) -> Result<(), StoreError> {
    if take.is_empty() {
        return Ok(());
    }
    let keys = &shared.keys;
    let lease_ms = shared.lease.as_millis() as u64;
    let mut pipe = redis::pipe();
    for s in take {
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
    let sent = std::time::Instant::now();
    let replies = link.run(&pipe).await?;
    let mut owned = shared.owned_map();
    for (s, v) in take.iter().zip(&replies) {
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
        owned.insert(*s, Owned::new(token, sent, shared.lease));
    }
    shared.set_earliest(&owned);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(n: usize) -> Vec<ShardView> {
        vec![
            ShardView {
                free: true,
                ..ShardView::default()
            };
            n
        ]
    }

    fn mine(v: &mut ShardView) {
        v.free = false;
        v.mine = true;
    }

    #[test]
    fn a_lone_worker_takes_every_shard() {
        let mut v = view(16);
        v[3].pending = 5;
        let p = plan(&v, 1);
        assert_eq!(p.take.len(), 16);
        assert!(p.hand_over.is_empty());
    }

    #[test]
    fn a_worker_holding_all_the_work_hands_the_excess_over() {
        // 16 shards, 6 busy, all mine; three workers: two busy ones kept.
        let mut v = view(16);
        for (i, s) in v.iter_mut().enumerate() {
            mine(s);
            if i < 6 {
                s.pending = 10;
                s.leased = i as u64;
            }
        }
        let p = plan(&v, 3);
        let busy_out: Vec<u16> = p.hand_over.iter().copied().filter(|&s| s < 6).collect();
        assert_eq!(busy_out.len(), 4, "{p:?}");
        // The ones with the fewest leased go first.
        assert!(busy_out.contains(&0) && busy_out.contains(&1), "{p:?}");
        // And idle ones down to a third of all (6 of 16, rounded up).
        let kept = 16 - p.hand_over.len();
        assert_eq!(kept, 6, "{p:?}");
        assert!(p.take.is_empty());
    }

    #[test]
    fn a_joining_worker_takes_free_busy_shards_first() {
        // 16 shards: 4 busy and free, 4 idle and free, 8 another's.
        let mut v = view(16);
        for s in &mut v[..4] {
            s.pending = 3;
        }
        for s in &mut v[8..] {
            s.free = false;
            s.leased = 1;
        }
        // 12 busy: a fair share of 6 busy ones (two workers), so all 4
        // free busy shards, and idle ones up to 8 in all.
        let p = plan(&v, 2);
        let busy: Vec<u16> = p.take.iter().copied().filter(|&s| s < 4).collect();
        assert_eq!(busy.len(), 4, "{p:?}");
        assert_eq!(p.take.len(), 8, "{p:?}");
    }

    #[test]
    fn a_balanced_worker_changes_nothing() {
        let mut v = view(8);
        for (i, s) in v.iter_mut().enumerate() {
            if i % 2 == 0 {
                mine(s);
            } else {
                s.free = false;
            }
            s.pending = u64::from(i < 4);
        }
        assert_eq!(plan(&v, 2), Plan::default());
    }

    #[test]
    fn a_handover_in_progress_is_kept_when_workers_leave() {
        let mut v = view(4);
        for s in &mut v {
            mine(s);
            s.pending = 1;
            s.releasing = true;
        }
        let p = plan(&v, 1);
        assert_eq!(p.keep, [0, 1, 2, 3]);
        assert!(p.hand_over.is_empty() && p.take.is_empty());
    }
}
