//! trawl's DNS resolver: `--resolve` overrides, a small cache with lookup
//! coalescing in front of the system resolver, and `--deny-private-ips`.
//!
//! Why the system resolver (`getaddrinfo`, on tokio's blocking pool) and not
//! a resolver crate such as hickory: users expect a crawler to resolve names
//! as every other program on the machine does — `/etc/hosts`, nsswitch,
//! search domains, a local caching daemon if there is one. `getaddrinfo`
//! reports no TTL, so results are kept for a fixed `MAX_AGE` of 60 s, the
//! figure Chromium's host cache uses for system-resolver results: long
//! enough that a host's robots.txt, its pages and their reconnects cost one
//! lookup, short enough that a moved site is followed within a minute.
//! Lookups of one name that overlap share one `getaddrinfo` call. Failures
//! are not cached (the next connection asks again; retries are the fetch
//! stage's). The cache holds at most `MAX_ENTRIES` names, oldest out first.
//!
//! `--deny-private-ips` looks at the addresses *after* resolution (a public
//! name can point at 127.0.0.1), so it applies to cached answers too.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::OnceCell;

use super::classify::{DnsError, PrivateAddressError};
use crate::fetch::private::is_private;

/// How long a lookup's answer is used.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Names kept at most.
const MAX_ENTRIES: usize = 4096;

type Answer = Result<Arc<[SocketAddr]>, String>;

/// One name's lookup: in progress (the cell is empty) or done.
struct Entry {
    at: Instant,
    answer: Arc<OnceCell<Answer>>,
}

#[derive(Default)]
struct Cache {
    names: HashMap<String, Entry>,
    /// Names in the order they were looked up (= the order they expire).
    order: VecDeque<(Instant, String)>,
}

impl Cache {
    /// The lookup to wait on for `host`: a fresh cached one, or a new one.
    fn slot(&mut self, host: &str, now: Instant) -> Arc<OnceCell<Answer>> {
        self.expire(now);
        if let Some(e) = self.names.get(host)
            && now.duration_since(e.at) < MAX_AGE
        {
            return e.answer.clone();
        }
        let answer = Arc::new(OnceCell::new());
        self.names.insert(
            host.to_string(),
            Entry {
                at: now,
                answer: answer.clone(),
            },
        );
        self.order.push_back((now, host.to_string()));
        answer
    }

    /// Drops answers past their age, and the oldest past `MAX_ENTRIES`.
    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            let old = now.duration_since(*at) >= MAX_AGE;
            if !old && self.order.len() < MAX_ENTRIES {
                break;
            }
            let Some((at, name)) = self.order.pop_front() else {
                break;
            };
            // The name may have been looked up again since: keep that one.
            if self.names.get(&name).is_some_and(|e| e.at == at) {
                self.names.remove(&name);
            }
        }
    }

    /// Forgets a failed lookup so the next connection asks again.
    fn forget(&mut self, host: &str, answer: &Arc<OnceCell<Answer>>) {
        if self
            .names
            .get(host)
            .is_some_and(|e| Arc::ptr_eq(&e.answer, answer))
        {
            self.names.remove(host);
        }
    }
}

/// The resolver shared by every host's connection pool.
pub struct Resolver {
    overrides: HashMap<String, IpAddr>,
    deny_private: bool,
    cache: Mutex<Cache>,
}

impl Resolver {
    pub fn new(overrides: HashMap<String, IpAddr>, deny_private: bool) -> Resolver {
        Resolver {
            overrides,
            deny_private,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The addresses of `host`, from an override, the cache or the system.
    async fn lookup(&self, host: &str) -> Answer {
        if let Some(ip) = self.overrides.get(host) {
            return Ok(Arc::from([SocketAddr::new(*ip, 0)]));
        }
        let slot = self.lock().slot(host, Instant::now());
        let answer = slot
            .get_or_init(|| async {
                match tokio::net::lookup_host((host, 0)).await {
                    Ok(addrs) => Ok(addrs.collect::<Arc<[SocketAddr]>>()),
                    Err(e) => Err(e.to_string()),
                }
            })
            .await
            .clone();
        if answer.is_err() {
            self.lock().forget(host, &slot);
        }
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves a cache that is still
        // consistent (every change is one insert or remove): keep using it.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The resolver as reqwest calls it: an `Arc` shared by every client.
#[derive(Clone)]
pub struct SharedResolver(pub Arc<Resolver>);

impl SharedResolver {
    /// The addresses `host` may be asked at: a typed `DnsError` if it has
    /// none, a `PrivateAddressError` if `--deny-private-ips` leaves none.
    pub async fn allowed(
        &self,
        host: &str,
    ) -> Result<std::vec::IntoIter<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let host = host.to_ascii_lowercase();
        let addrs = self.0.lookup(&host).await.map_err(|reason| DnsError {
            host: host.clone(),
            reason,
        })?;
        let Some(first) = addrs.first().map(|a| a.ip()) else {
            return Err(Box::new(DnsError {
                host,
                reason: "no addresses".into(),
            }));
        };
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .filter(|a| !(self.0.deny_private && is_private(a.ip())))
            .copied()
            .collect();
        if allowed.is_empty() {
            return Err(Box::new(PrivateAddressError { host, addr: first }));
        }
        Ok(allowed.into_iter())
    }
}

impl Resolve for SharedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addrs = resolver.allowed(name.as_str()).await?;
            Ok(Box::new(addrs) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_shared_until_it_is_old() {
        let mut cache = Cache::default();
        let t0 = Instant::now();
        let a = cache.slot("example.org", t0);
        let b = cache.slot("example.org", t0 + Duration::from_secs(59));
        assert!(Arc::ptr_eq(&a, &b), "one lookup within MAX_AGE");
        let c = cache.slot("example.org", t0 + MAX_AGE);
        assert!(!Arc::ptr_eq(&a, &c), "a new lookup once old");
        assert_eq!(cache.names.len(), 1);
    }

    #[test]
    fn the_cache_is_bounded_oldest_out_first() {
        let mut cache = Cache::default();
        let t0 = Instant::now();
        for i in 0..MAX_ENTRIES + 10 {
            cache.slot(&format!("h{i}.test"), t0);
        }
        assert!(cache.names.len() <= MAX_ENTRIES);
        assert!(cache.order.len() <= MAX_ENTRIES);
        assert!(!cache.names.contains_key("h0.test"));
        assert!(
            cache
                .names
                .contains_key(&format!("h{}.test", MAX_ENTRIES + 9))
        );
    }

    #[test]
    fn a_failed_lookup_is_forgotten() {
        let mut cache = Cache::default();
        let t0 = Instant::now();
        let a = cache.slot("bad.test", t0);
        cache.forget("bad.test", &a);
        let b = cache.slot("bad.test", t0);
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[tokio::test]
    async fn overlapping_lookups_of_one_name_share_one_entry() {
        let resolver = Resolver::new(HashMap::new(), false);
        let (a, b) = tokio::join!(resolver.lookup("localhost"), resolver.lookup("localhost"));
        assert_eq!(a, b);
        assert!(a.is_ok_and(|addrs| addrs.iter().all(|s| s.ip().is_loopback())));
        assert_eq!(resolver.lock().names.len(), 1);
    }
}
