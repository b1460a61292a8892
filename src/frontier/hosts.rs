//! Per-host ready queues: the politeness heart of the scheduler.
//!
//! Each host (an authority, `host:port`, the unit RFC 9309 and servers
//! themselves use) has its own queue, in-flight count, concurrency cap and
//! GCRA rate limiter (governor, burst 1: never two requests closer than
//! 1/rate). `next()` only ever hands out an item whose host may be requested
//! *now*, round-robin across hosts, so the engine never holds a global slot
//! while waiting on one slow or rate-limited host. Hosts that are at their
//! cap leave the ready list until a request to them completes; hosts waiting
//! for their rate go on a timer heap until their next slot.
//!
//! Two queues per host: `resume` (redirect hops and due retries of pages
//! already started, served first and never dropped by `--max-pages`) and
//! `fresh` (pages not started yet).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;
use url::Url;

use crate::record::CrawlItem;

type Limiter =
    RateLimiter<NotKeyed, InMemoryState, MonotonicClock, NoOpMiddleware<std::time::Instant>>;
pub type HostId = usize;

/// The per-host limits that apply to one authority.
#[derive(Debug, Clone, Copy)]
pub struct HostLimits {
    pub per_host: usize,
    /// Requests per second; 0 = unlimited.
    pub rate: f64,
}

struct Host {
    fresh: VecDeque<CrawlItem>,
    resume: VecDeque<CrawlItem>,
    in_flight: usize,
    cap: usize,
    rate: f64,
    limiter: Option<Limiter>,
    /// In `ready` or in `timers`.
    listed: bool,
    /// Items admitted to this host over the crawl (`--per-host-max-pages`).
    admitted: u64,
}

impl Host {
    fn has_work(&self, fresh_allowed: bool) -> bool {
        !self.resume.is_empty() || (fresh_allowed && !self.fresh.is_empty())
    }
}

/// All hosts of the crawl and the order in which they may be served.
#[derive(Default)]
pub struct Hosts {
    index: HashMap<String, HostId>,
    hosts: Vec<Host>,
    ready: VecDeque<HostId>,
    timers: BinaryHeap<Reverse<(Instant, HostId)>>,
    fresh_queued: usize,
    resume_queued: usize,
}

/// `host:port` of a URL, with the scheme's default port made explicit.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn limiter(rate: f64) -> Option<Limiter> {
    if rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
    let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
    Some(RateLimiter::direct_with_clock(quota, MonotonicClock))
}

impl Hosts {
    /// The id of the host for `url`, creating it with `limits` on first sight.
    pub fn id(&mut self, url: &Url, limits: impl FnOnce() -> HostLimits) -> HostId {
        let key = authority(url);
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let l = limits();
        let id = self.hosts.len();
        self.hosts.push(Host {
            fresh: VecDeque::new(),
            resume: VecDeque::new(),
            in_flight: 0,
            cap: l.per_host.max(1),
            rate: l.rate,
            limiter: limiter(l.rate),
            listed: false,
            admitted: 0,
        });
        self.index.insert(key, id);
        id
    }

    /// Counts one admission to `id`; `false` (and no count) past `cap`.
    pub fn admit(&mut self, id: HostId, cap: Option<u64>) -> bool {
        let host = &mut self.hosts[id];
        if cap.is_some_and(|c| host.admitted >= c) {
            return false;
        }
        host.admitted += 1;
        true
    }

    /// Queues a page not started yet.
    pub fn push_fresh(&mut self, id: HostId, item: CrawlItem) {
        self.hosts[id].fresh.push_back(item);
        self.fresh_queued += 1;
        self.relist(id);
    }

    /// Queues a started page (a redirect hop or a due retry) ahead of fresh ones.
    pub fn push_resume(&mut self, id: HostId, item: CrawlItem) {
        self.hosts[id].resume.push_back(item);
        self.resume_queued += 1;
        self.relist(id);
    }

    /// A request to `id` has finished.
    pub fn complete(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        host.in_flight = host.in_flight.saturating_sub(1);
        self.relist(id);
    }

    /// Changes the rate of `id` (Crawl-delay, back-off); the new limiter
    /// starts with one request already spent, so the gap holds across the change.
    pub fn set_rate(&mut self, id: HostId, rate: f64) {
        let host = &mut self.hosts[id];
        if host.rate == rate {
            return;
        }
        host.rate = rate;
        host.limiter = limiter(rate);
        if let Some(l) = &host.limiter {
            let _ = l.check();
        }
    }

    pub fn rate(&self, id: HostId) -> f64 {
        self.hosts[id].rate
    }

    /// Puts `id` on the ready list if it has work and room and is not listed.
    fn relist(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        if !host.listed && host.in_flight < host.cap && host.has_work(true) {
            host.listed = true;
            self.ready.push_back(id);
        }
    }

    /// Moves hosts whose rate slot has come from the timer heap to the ready list.
    pub fn wake(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.ready.push_back(id);
        }
    }

    /// When the next rate-limited host may be served, if any is waiting.
    pub fn next_wake(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// The next item that may be requested now, and its host; the host's
    /// in-flight count already includes it. `fresh_allowed` is false once no
    /// new page may start (`--max-pages`, `--max-time`); once false it must
    /// stay false, since hosts left with only fresh work are unlisted.
    pub fn next(&mut self, fresh_allowed: bool) -> Option<(HostId, CrawlItem)> {
        while let Some(id) = self.ready.pop_front() {
            let host = &mut self.hosts[id];
            if host.in_flight >= host.cap || !host.has_work(fresh_allowed) {
                host.listed = false;
                continue;
            }
            if let Some(l) = &host.limiter {
                if let Err(not_until) = l.check() {
                    let wait = not_until.wait_time_from(MonotonicClock.now());
                    self.timers.push(Reverse((Instant::now() + wait, id)));
                    continue;
                }
            }
            let item = match host.resume.pop_front() {
                Some(item) => {
                    self.resume_queued -= 1;
                    item
                }
                None => {
                    self.fresh_queued -= 1;
                    host.fresh.pop_front()?
                }
            };
            host.in_flight += 1;
            if host.in_flight < host.cap && host.has_work(fresh_allowed) {
                self.ready.push_back(id);
            } else {
                host.listed = false;
            }
            return Some((id, item));
        }
        None
    }

    /// Items queued and not yet handed out: (fresh, resume).
    pub fn queued(&self) -> (usize, usize) {
        (self.fresh_queued, self.resume_queued)
    }

    /// Hosts that could be served now or after their rate wait.
    pub fn ready_hosts(&self) -> usize {
        self.ready.len() + self.timers.len()
    }

    /// Drops every fresh item (after `--max-pages`); they get no record.
    pub fn drop_fresh(&mut self) {
        for host in &mut self.hosts {
            host.fresh = VecDeque::new();
        }
        self.fresh_queued = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontier::scope::Anchor;
    use std::sync::Arc;

    fn item(url: &str) -> CrawlItem {
        let u = Url::parse(url).unwrap();
        CrawlItem::new(
            u.clone(),
            Arc::from(url),
            Arc::new(Anchor::new(&u)),
            None,
            0,
        )
    }

    fn limits(per_host: usize, rate: f64) -> impl FnOnce() -> HostLimits {
        move || HostLimits { per_host, rate }
    }

    #[test]
    fn authority_makes_default_ports_explicit() {
        let a = |s| authority(&Url::parse(s).unwrap());
        assert_eq!(a("http://Example.com/x"), "example.com:80");
        assert_eq!(a("https://example.com./"), "example.com:443");
        assert_eq!(a("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }

    #[test]
    fn per_host_cap_holds_and_other_hosts_proceed() {
        let mut h = Hosts::default();
        let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(2, 0.0));
        let b = h.id(&Url::parse("http://b.test/").unwrap(), limits(2, 0.0));
        for i in 0..5 {
            h.push_fresh(a, item(&format!("http://a.test/{i}")));
        }
        h.push_fresh(b, item("http://b.test/0"));
        let mut got = Vec::new();
        while let Some((id, _)) = h.next(true) {
            got.push(id);
        }
        assert_eq!(
            got.iter().filter(|&&id| id == a).count(),
            2,
            "cap of 2 for a"
        );
        assert_eq!(got.iter().filter(|&&id| id == b).count(), 1);
        h.complete(a);
        assert_eq!(
            h.next(true).map(|(id, _)| id),
            Some(a),
            "a again after a completion"
        );
        assert!(h.next(true).is_none());
        assert_eq!(h.queued(), (2, 0));
    }

    #[test]
    fn rate_limited_host_waits_on_timer_not_in_line() {
        let mut h = Hosts::default();
        let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(4, 2.0));
        let b = h.id(&Url::parse("http://b.test/").unwrap(), limits(4, 0.0));
        h.push_fresh(a, item("http://a.test/1"));
        h.push_fresh(a, item("http://a.test/2"));
        h.push_fresh(b, item("http://b.test/1"));
        h.push_fresh(b, item("http://b.test/2"));
        let mut got = Vec::new();
        while let Some((id, it)) = h.next(true) {
            got.push((id, it.url.path().to_string()));
        }
        // a's second request must wait ~500 ms; b's both go now.
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got.iter().filter(|(id, _)| *id == b).count(), 2);
        let wake = h.next_wake().expect("a is on the timer heap");
        let wait = wake - Instant::now();
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        h.wake(Instant::now());
        assert!(h.next(true).is_none(), "not before its slot");
        std::thread::sleep(wake - Instant::now());
        h.wake(Instant::now());
        assert_eq!(h.next(true).map(|(id, _)| id), Some(a));
    }

    #[test]
    fn resume_items_go_first_and_survive_fresh_stop() {
        let mut h = Hosts::default();
        let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(1, 0.0));
        h.push_fresh(a, item("http://a.test/fresh"));
        h.push_resume(a, item("http://a.test/hop"));
        let (_, first) = h.next(true).unwrap();
        assert_eq!(first.url.path(), "/hop");
        h.complete(a);
        assert!(h.next(false).is_none(), "no fresh pages once stopped");
        h.push_resume(a, item("http://a.test/retry"));
        assert_eq!(h.next(false).unwrap().1.url.path(), "/retry");
    }

    #[test]
    fn admission_cap() {
        let mut h = Hosts::default();
        let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(1, 0.0));
        assert!(h.admit(a, Some(2)));
        assert!(h.admit(a, Some(2)));
        assert!(!h.admit(a, Some(2)));
        assert!(h.admit(a, None));
    }
}
