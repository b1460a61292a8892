//! The key layout of a shared crawl in Redis, which shard a host falls in,
//! and how a waiting URL is written in a shard's `items` hash.
//!
//! Every key starts with `trawl:` and carries a Redis Cluster hash tag:
//! `{ID}` for the crawl's few global keys, `{ID:S}` for shard S's keys, so
//! each Lua script touches keys of one slot and runs on a cluster too.
//!
//! ```text
//! trawl:{ID}:meta        hash    settings (JSON), shards, created
//! trawl:{ID}:budget      string  --max-pages not yet claimed
//! trawl:{ID}:workers     zset    worker id -> last heartbeat (ms)
//! trawl:{ID}:winfo       hash    worker id -> {"host","pid","shards"}
//! trawl:{ID:S}:owner     string  "WORKER:EPOCH", expires after --lease
//! trawl:{ID:S}:epoch     string  fencing counter, INCR on every takeover
//! trawl:{ID:S}:pending   list    URL keys (hex) in admission order
//! trawl:{ID:S}:leased    zset    URL key -> lease deadline (ms)
//! trawl:{ID:S}:items     hash    URL key -> entry, while pending or leased
//! trawl:{ID:S}:seen      set     16-byte URL keys that entered the crawl
//! trawl:{ID:S}:info      hash    done, e:KIND, v (changes), quiet (ms)
//! trawl:{ID:S}:lastlease string  the last lease's reply, for its retry
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

use crate::record::{Fresh, Source};
use crate::urls::Anchor;

/// Shards of a crawl. Fixed for the crawl (stored in `meta`); 256 spreads
/// hosts evenly over tens of workers while a scan of every shard (for the
/// end of the crawl, or `status`) stays one pipelined round trip.
pub const SHARDS: u16 = 256;

/// The keys of one crawl.
#[derive(Debug, Clone)]
pub struct Keys {
    id: Arc<str>,
}

impl Keys {
    pub fn new(id: &str) -> Keys {
        Keys { id: Arc::from(id) }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A global key of the crawl.
    pub fn global(&self, name: &str) -> String {
        format!("trawl:{{{}}}:{name}", self.id)
    }

    /// A key of shard `shard`.
    pub fn shard(&self, shard: u16, name: &str) -> String {
        format!("trawl:{{{}:{shard}}}:{name}", self.id)
    }

    /// The `SCAN` pattern that matches every key of the crawl and no other
    /// crawl's (an id has no ':' or '}').
    pub fn pattern(&self) -> String {
        format!("trawl:{{{}[:}}]*", self.id)
    }
}

/// The shard of a host (`urls::authority`, as the frontier keys hosts).
pub fn shard_of(authority: &str) -> u16 {
    (xxhash_rust::xxh3::xxh3_64(authority.as_bytes()) % u64::from(SHARDS)) as u16
}

/// The shard of a URL's host.
pub fn shard_of_url(url: &str) -> Option<u16> {
    Url::parse(url)
        .ok()
        .map(|u| shard_of(&crate::urls::authority(&u)))
}

/// A URL key as the hex text that names it in lists, sets and hashes.
pub fn key_hex(key: u128) -> String {
    format!("{key:032x}")
}

/// A waiting URL as stored: `attempts \n depth \n url \n seed \n anchor \n
/// parent`, the anchor empty when it is the seed and the parent empty for a
/// seed. URLs are serialized by `url`, so none holds a newline.
pub fn encode_entry(url: &str, source: &Source) -> String {
    let anchor = source.anchor.url().as_str();
    let anchor = if anchor == &*source.seed { "" } else { anchor };
    format!(
        "0\n{}\n{}\n{}\n{}\n{}",
        source.depth,
        url,
        source.seed,
        anchor,
        source.parent.as_deref().unwrap_or("")
    )
}

/// A leased entry: the page to queue, and how often workers that stopped
/// before writing its record held it before.
pub struct Entry {
    pub fresh: Fresh,
    pub attempts: u32,
}

/// Shares one `Source` among the entries of a lease that came from the
/// same page.
#[derive(Default)]
pub struct Decoder {
    sources: HashMap<(String, String, u32), Arc<Source>>,
}

impl Decoder {
    /// Reads an entry back; `None` for one this version cannot read.
    pub fn decode(&mut self, entry: &str) -> Option<Entry> {
        let mut f = entry.split('\n');
        let attempts = f.next()?.parse().ok()?;
        let depth: u32 = f.next()?.parse().ok()?;
        let (url, seed, anchor, parent) = (f.next()?, f.next()?, f.next()?, f.next()?);
        let anchor = if anchor.is_empty() { seed } else { anchor };
        let source = match self
            .sources
            .get(&(seed.to_string(), parent.to_string(), depth))
        {
            Some(s) => Arc::clone(s),
            None => {
                let anchor = Url::parse(anchor).ok()?;
                let source = Arc::new(Source {
                    seed: Arc::from(seed),
                    anchor: Arc::new(Anchor::new(&anchor)),
                    parent: (!parent.is_empty()).then(|| Arc::from(parent)),
                    depth,
                });
                self.sources.insert(
                    (seed.to_string(), parent.to_string(), depth),
                    source.clone(),
                );
                source
            }
        };
        Some(Entry {
            fresh: Fresh {
                url: url.into(),
                source,
                prior: None,
            },
            attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written() {
        let seed = Url::parse("http://a.test/").unwrap();
        let source = Source {
            seed: Arc::from(seed.as_str()),
            anchor: Arc::new(Anchor::new(&seed)),
            parent: Some(Arc::from("http://a.test/p")),
            depth: 2,
        };
        let text = encode_entry("http://a.test/x?q=1", &source);
        let mut d = Decoder::default();
        let e = d.decode(&text).unwrap();
        assert_eq!((&*e.fresh.url, e.attempts), ("http://a.test/x?q=1", 0));
        let s = &e.fresh.source;
        assert_eq!(
            (&*s.seed, s.parent.as_deref(), s.depth),
            ("http://a.test/", Some("http://a.test/p"), 2)
        );
        let again = d.decode(&text).unwrap();
        assert!(
            Arc::ptr_eq(&again.fresh.source, s),
            "one page's links share a source"
        );
        assert!(d.decode("x\n1").is_none());
    }

    #[test]
    fn keys_carry_hash_tags() {
        let k = Keys::new("c1");
        assert_eq!(k.global("meta"), "trawl:{c1}:meta");
        assert_eq!(k.shard(7, "pending"), "trawl:{c1:7}:pending");
        assert_eq!(k.pattern(), "trawl:{c1[:}]*");
        assert!(shard_of("a.test:80") < SHARDS);
    }
}
