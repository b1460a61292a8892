//! Per-host ready queues: the politeness heart of the scheduler.
//!
//! Each host (an authority, `host:port`, the unit RFC 9309 and servers
//! themselves use) has its own queue, in-flight count, concurrency cap and
//! pace (GCRA, burst 1: never two requests closer than 1/rate less the
//! timer's 1 ms; see `pace`). `next()` only ever hands out an item whose host may be requested
//! *now*, in turns across hosts (a host with more work keeps its turn for up
//! to `SESSION` requests, so they follow one another on its open
//! connection), so the engine never holds a global slot
//! while waiting on one slow or rate-limited host. Hosts that are at their
//! cap leave the ready list until a request to them completes; hosts waiting
//! for their rate go on a timer heap until their next slot.
//!
//! Two queues per host: `resume` (redirect hops and due retries of pages
//! already started, served first and never dropped by `--max-pages`) and
//! `fresh` (pages not started yet).

mod pace;

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::error::{ErrorKind, PageError};
use crate::record::{CrawlItem, Fresh};
use crate::robots::{self, Fetched, Rules};
pub use crate::urls::authority;
use pace::Pace;

pub type HostId = usize;

/// After robots.txt stayed unreachable through its retries, URLs of the host
/// are refused for this long before robots.txt is tried again.
const ROBOTS_RECHECK: Duration = Duration::from_secs(60);
/// An unlimited host that was slowed down is unlimited again past this rate.
const RECOVERED_RATE: f64 = 64.0;
/// Slowing down never goes below one request a minute.
const MIN_RATE: f64 = 1.0 / 60.0;
/// Requests a host may be handed in one turn before it goes to the back of
/// the line (see `Host::session`).
const SESSION: u32 = 50;

/// The per-host limits that apply to one authority.
#[derive(Debug, Clone, Copy)]
pub struct HostLimits {
    pub per_host: usize,
    /// Requests per second; 0 = unlimited.
    pub rate: f64,
    /// Whether robots.txt must be read before the first request.
    pub robots: bool,
}

/// Whether a host's URLs may be requested, as far as robots.txt goes.
#[derive(Debug)]
enum Gate {
    /// Known: `None` when robots.txt is ignored.
    Open(Option<Arc<Rules>>),
    /// robots.txt must be fetched before anything else, not before `at`.
    Need { at: Option<Instant>, attempts: u32 },
    /// The robots.txt request is in flight.
    Fetching { attempts: u32 },
    /// robots.txt was unreachable: every URL is refused with `error` until `until`.
    Unavailable { until: Instant, error: PageError },
}

/// What the scheduler hands out.
#[derive(Debug)]
pub enum Job {
    /// Request this item now.
    Page(CrawlItem),
    /// Request this robots.txt now; report with `Hosts::robots_done`.
    Robots(Url),
    /// Do not request this item: it gets a record with this error.
    Refused(CrawlItem, PageError),
}

struct Host {
    /// The authority, shared with the index.
    key: Arc<str>,
    fresh: VecDeque<Fresh>,
    resume: VecDeque<CrawlItem>,
    in_flight: usize,
    cap: usize,
    /// The configured rate, lowered by Crawl-delay; 0 = unlimited.
    base_rate: f64,
    /// The rate in force now (lower than `base_rate` after a 429/503).
    rate: f64,
    /// `None` while unlimited.
    pace: Option<Pace>,
    gate: Gate,
    /// Retry-After from the server: nothing goes to this host before then.
    paused_until: Option<Instant>,
    /// In `ready` or in `timers`.
    listed: bool,
    /// Items admitted to this host over the crawl (`--per-host-max-pages`).
    admitted: u64,
    /// Requests handed out in this host's current turn. A host in its turn
    /// goes back to the *front* of the line when a request of it completes
    /// (or its robots.txt comes in, or links arrive for it) and it has more
    /// work, so its requests follow one another on its warm keep-alive
    /// connection, instead of the connection idling (and being closed to
    /// make room) while every other host is served; more of its requests at
    /// once wait for the line to come round. After `SESSION` requests the
    /// turn ends and the host queues at the back again, so one large site
    /// cannot keep others waiting.
    session: u32,
}

impl Host {
    fn has_work(&self, fresh_allowed: bool) -> bool {
        !self.resume.is_empty() || (fresh_allowed && !self.fresh.is_empty())
    }

    /// The URL the next item would request.
    fn front_url(&self) -> Option<Cow<'_, Url>> {
        match self.resume.front() {
            Some(item) => Some(Cow::Borrowed(&item.current)),
            None => Url::parse(&self.fresh.front()?.url).ok().map(Cow::Owned),
        }
    }

    fn set_rate(&mut self, rate: f64) {
        if self.rate == rate {
            return;
        }
        self.rate = rate;
        self.pace = match self.pace {
            Some(pace) => pace.with_rate(rate),
            None => Pace::starting(rate, Instant::now()),
        };
    }
}

/// All hosts of the crawl and the order in which they may be served.
#[derive(Default)]
pub struct Hosts {
    index: HashMap<Arc<str>, HostId>,
    hosts: Vec<Host>,
    ready: VecDeque<HostId>,
    timers: BinaryHeap<Reverse<(Instant, HostId)>>,
    fresh_queued: usize,
    resume_queued: usize,
}

/// An emptied queue gives its buffer back: a host with nothing queued keeps
/// no allocation for it (thousands of finished hosts in a broad crawl).
fn release_if_empty<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > 0 {
        *queue = VecDeque::new();
    }
}

impl Hosts {
    /// The id of the host for `url`, creating it with `limits` on first sight.
    pub fn id(&mut self, url: &Url, limits: impl FnOnce() -> HostLimits) -> HostId {
        let key = authority(url);
        if let Some(&id) = self.index.get(key.as_str()) {
            return id;
        }
        let key: Arc<str> = key.into();
        let l = limits();
        let id = self.hosts.len();
        self.hosts.push(Host {
            key: key.clone(),
            fresh: VecDeque::new(),
            resume: VecDeque::new(),
            in_flight: 0,
            cap: l.per_host.max(1),
            base_rate: l.rate,
            rate: l.rate,
            pace: Pace::new(l.rate),
            gate: if l.robots {
                Gate::Need {
                    at: None,
                    attempts: 0,
                }
            } else {
                Gate::Open(None)
            },
            paused_until: None,
            listed: false,
            admitted: 0,
            session: 0,
        });
        self.index.insert(key, id);
        id
    }

    /// The authority of `id`.
    pub fn authority(&self, id: HostId) -> &str {
        &self.hosts[id].key
    }

    /// Whether `id` has nothing queued and nothing in flight.
    pub fn is_idle(&self, id: HostId) -> bool {
        let host = &self.hosts[id];
        host.in_flight == 0 && host.fresh.is_empty() && host.resume.is_empty()
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
    pub fn push_fresh(&mut self, id: HostId, item: Fresh) {
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

    /// A page request to `id` has finished. A host in its turn is served
    /// next (again: it may also wait further back in the line).
    pub fn complete(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        host.in_flight = host.in_flight.saturating_sub(1);
        let in_turn = host.session > 0 && host.session < SESSION;
        if host.listed && in_turn && host.in_flight < host.cap && host.has_work(true) {
            self.ready.push_front(id);
        } else {
            self.relist(id);
        }
    }

    /// The robots.txt request of `id` has finished. A failure is retried
    /// `retries` times after `backoff(attempt)`, then every URL of the host
    /// is refused for a while. Returns the Crawl-delay the rules set.
    pub fn robots_done(
        &mut self,
        id: HostId,
        fetched: Fetched,
        retries: u32,
        backoff: impl FnOnce(u32) -> Duration,
    ) -> Option<Duration> {
        let host = &mut self.hosts[id];
        host.in_flight = host.in_flight.saturating_sub(1);
        let attempts = match host.gate {
            Gate::Fetching { attempts } => attempts,
            _ => 1,
        };
        let mut delay = None;
        host.gate = match fetched {
            Fetched::Rules(rules) => {
                delay = rules.crawl_delay();
                Gate::Open(Some(Arc::new(rules)))
            }
            f @ Fetched::Unavailable(_) if f.is_retryable() && attempts <= retries => {
                tracing::debug!("robots.txt attempt {attempts} failed: {f:?}");
                Gate::Need {
                    at: Some(Instant::now() + backoff(attempts)),
                    attempts,
                }
            }
            Fetched::Unavailable(error) => {
                tracing::info!("{}; refusing the host's URLs for now", error.message);
                Gate::Unavailable {
                    until: Instant::now() + ROBOTS_RECHECK,
                    error,
                }
            }
        };
        self.relist(id);
        delay
    }

    /// Lowers the base rate of `id` to at most one request per `delay`
    /// (robots.txt Crawl-delay).
    pub fn apply_crawl_delay(&mut self, id: HostId, delay: Duration) {
        let host = &mut self.hosts[id];
        let rate = 1.0 / delay.as_secs_f64();
        if host.base_rate == 0.0 || rate < host.base_rate {
            host.base_rate = rate;
        }
        if host.rate == 0.0 || host.rate > host.base_rate {
            let base = host.base_rate;
            host.set_rate(base);
        }
    }

    /// The server asked to slow down (429, 503): halve the rate and, with a
    /// `Retry-After`, send nothing before it.
    pub fn slow_down(&mut self, id: HostId, pause: Option<Duration>) {
        let host = &mut self.hosts[id];
        let current = if host.rate > 0.0 {
            host.rate
        } else {
            host.cap as f64
        };
        host.set_rate((current / 2.0).max(MIN_RATE));
        if let Some(p) = pause {
            let until = Instant::now() + p;
            host.paused_until = Some(host.paused_until.map_or(until, |t| t.max(until)));
        }
    }

    /// A successful response: a slowed-down host recovers by 5%, up to its base rate.
    pub fn recover(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        if host.rate == host.base_rate {
            return;
        }
        let next = host.rate * 1.05;
        let rate = if host.base_rate > 0.0 {
            next.min(host.base_rate)
        } else if next >= RECOVERED_RATE {
            0.0
        } else {
            next
        };
        host.set_rate(rate);
    }

    /// The rate in force for `id` (0 = unlimited).
    pub fn rate(&self, id: HostId) -> f64 {
        self.hosts[id].rate
    }

    /// Puts `id` on the ready list if it has work and room and is not listed.
    fn relist(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        if !host.listed && host.in_flight < host.cap && host.has_work(true) {
            host.listed = true;
            self.line_up(id);
        }
    }

    /// Queues listed host `id`: at the front while in its turn, else at the back.
    fn line_up(&mut self, id: HostId) {
        let host = &mut self.hosts[id];
        if host.session > 0 && host.session < SESSION {
            self.ready.push_front(id);
        } else {
            host.session = 0;
            self.ready.push_back(id);
        }
    }

    /// Moves hosts whose wait is over from the timer heap to the ready list.
    pub fn wake(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.ready.push_back(id);
        }
    }

    /// When the next waiting host may be served, if any is waiting.
    pub fn next_wake(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    fn pop(&mut self, id: HostId) -> Option<CrawlItem> {
        let host = &mut self.hosts[id];
        if let Some(item) = host.resume.pop_front() {
            self.resume_queued -= 1;
            release_if_empty(&mut host.resume);
            return Some(item);
        }
        while let Some(fresh) = host.fresh.pop_front() {
            self.fresh_queued -= 1;
            release_if_empty(&mut host.fresh);
            match fresh.into_item() {
                Ok(item) => return Some(item),
                // Cannot happen: the text was serialized from a parsed URL.
                Err((fresh, e)) => {
                    tracing::error!("queued URL {:?} no longer parses: {e}", fresh.url)
                }
            }
        }
        None
    }

    /// The next job that may be done now, and its host; a request's host
    /// already counts it in flight. `fresh_allowed` is false once no new page
    /// may start (`--max-pages`, `--max-time`); once false it must stay
    /// false, since hosts left with only fresh work are unlisted.
    pub fn next(&mut self, fresh_allowed: bool) -> Option<(HostId, Job)> {
        let now = Instant::now();
        while let Some(id) = self.ready.pop_front() {
            let host = &mut self.hosts[id];
            if host.in_flight >= host.cap || !host.has_work(fresh_allowed) {
                host.listed = false;
                continue;
            }
            if let Some(t) = host.paused_until {
                if t > now {
                    self.timers.push(Reverse((t, id)));
                    continue;
                }
                host.paused_until = None;
            }
            match &host.gate {
                Gate::Fetching { .. } => {
                    // Nothing for this host until its robots.txt is known.
                    host.listed = false;
                    continue;
                }
                Gate::Need { at: Some(t), .. } if *t > now => {
                    let t = *t;
                    self.timers.push(Reverse((t, id)));
                    continue;
                }
                Gate::Unavailable { until, .. } if *until <= now => {
                    host.gate = Gate::Need {
                        at: None,
                        attempts: 0,
                    };
                }
                _ => {}
            }
            // Refusals cost no request: no slot, no rate.
            let refusal = match &host.gate {
                Gate::Unavailable { error, .. } => Some(error.clone()),
                Gate::Open(Some(rules)) if host.front_url().is_some_and(|u| !rules.allowed(&u)) => {
                    Some(PageError::new(
                        ErrorKind::Robots,
                        "disallowed by robots.txt",
                    ))
                }
                _ => None,
            };
            if let Some(err) = refusal {
                let Some(item) = self.pop(id) else {
                    self.hosts[id].listed = false;
                    continue;
                };
                self.ready.push_front(id);
                return Some((id, Job::Refused(item, err)));
            }
            if let Some(pace) = &mut host.pace
                && let Err(due) = pace.take(now)
            {
                self.timers.push(Reverse((due, id)));
                continue;
            }
            host.in_flight += 1;
            host.session += 1;
            if let Gate::Need { attempts, .. } = host.gate {
                host.gate = Gate::Fetching {
                    attempts: attempts + 1,
                };
                host.listed = false;
                let Some(front) = host.front_url() else {
                    host.in_flight -= 1;
                    host.listed = false;
                    continue;
                };
                let url = robots::robots_url(&front);
                return Some((id, Job::Robots(url)));
            }
            let Some(item) = self.pop(id) else {
                let host = &mut self.hosts[id];
                host.in_flight -= 1;
                host.listed = false;
                continue;
            };
            let host = &mut self.hosts[id];
            if host.in_flight < host.cap && host.has_work(fresh_allowed) {
                // More at once only when the line comes round again: within
                // a turn, the next request follows a completed one (its
                // connection is free then) rather than opening another.
                if host.session >= SESSION {
                    host.session = 0;
                }
                self.ready.push_back(id);
            } else {
                host.listed = false;
            }
            return Some((id, Job::Page(item)));
        }
        None
    }

    /// Items queued and not yet handed out: (fresh, resume).
    pub fn queued(&self) -> (usize, usize) {
        (self.fresh_queued, self.resume_queued)
    }

    /// Hosts that could be served now or after their wait.
    pub fn ready_hosts(&self) -> usize {
        self.ready.len() + self.timers.len()
    }

    /// Takes the fresh items of the hosts `keep` says no to (their shard
    /// is another worker's now, or being handed over) out of the queues.
    pub fn drop_fresh_where(&mut self, keep: impl Fn(&str) -> bool) -> Vec<Fresh> {
        let mut dropped = Vec::new();
        for host in &mut self.hosts {
            if !host.fresh.is_empty() && !keep(&host.key) {
                dropped.extend(std::mem::take(&mut host.fresh));
            }
        }
        self.fresh_queued -= dropped.len();
        dropped
    }

    /// Drops every fresh item (after `--max-pages`); they get no record.
    /// Returns how many were dropped.
    pub fn drop_fresh(&mut self) -> usize {
        for host in &mut self.hosts {
            host.fresh = VecDeque::new();
        }
        std::mem::take(&mut self.fresh_queued)
    }
}

#[cfg(test)]
mod tests;
