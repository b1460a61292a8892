//! Seen-sets in memory: which URL keys (128-bit hashes of normalized URLs)
//! have entered the crawl.
//!
//! The memory store keeps the whole set (`MemorySeen`). A store whose
//! seen-set lives elsewhere (SQLite's unique index, Redis) keeps only
//! `RecentSeen`, a bounded cache that spares it the duplicates it has seen
//! lately; a key the cache forgot is deduplicated by the store itself.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

pub use crate::urls::normalize::PassThrough;

/// An in-memory seen-set: 16 bytes a URL plus the table's overhead.
#[derive(Default)]
pub struct MemorySeen(HashSet<u128, BuildHasherDefault<PassThrough>>);

impl MemorySeen {
    /// Adds `key`; `true` if it was not there before.
    pub fn insert(&mut self, key: u128) -> bool {
        self.0.insert(key)
    }
    pub fn contains(&self, key: u128) -> bool {
        self.0.contains(&key)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Keys per generation of `RecentSeen`: two generations of 2^18 keys cost
/// about 18 MiB however large the crawl grows.
const RECENT: usize = 1 << 18;

/// A bounded cache of recently seen keys: when the current generation is
/// full it becomes the previous one and the oldest generation is dropped.
#[derive(Default)]
pub struct RecentSeen {
    current: HashSet<u128, BuildHasherDefault<PassThrough>>,
    previous: HashSet<u128, BuildHasherDefault<PassThrough>>,
}

impl RecentSeen {
    /// Adds `key`; `true` if the cache did not have it.
    pub fn insert(&mut self, key: u128) -> bool {
        if self.previous.contains(&key) {
            return false;
        }
        if self.current.len() >= RECENT {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key)
    }
    pub fn contains(&self, key: u128) -> bool {
        self.current.contains(&key) || self.previous.contains(&key)
    }
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_cache_is_bounded_and_remembers_the_last_generation() {
        let mut s = RecentSeen::default();
        for k in 0..(RECENT as u128 * 2 + 10) {
            assert!(s.insert(k));
        }
        assert!(s.len() <= 2 * RECENT);
        assert!(
            s.contains(RECENT as u128 * 2 + 9),
            "the newest are remembered"
        );
        assert!(
            !s.contains(0),
            "the oldest are forgotten (the store dedupes them)"
        );
        assert!(!s.insert(RECENT as u128 * 2 + 9));
    }

    #[test]
    fn inserts_once() {
        let mut s = MemorySeen::default();
        assert!(s.insert(7));
        assert!(!s.insert(7));
        assert!(s.contains(7));
        assert!(!s.contains(8));
        assert_eq!(s.len(), 1);
    }
}
