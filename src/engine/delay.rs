//! The retry delay queue: items waiting for their back-off or `Retry-After`
//! before they go back to their host's queue. Ordered by due time, then by
//! arrival, so equal times keep their order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tokio::time::Instant;

use crate::frontier::hosts::HostId;
use crate::record::CrawlItem;

struct Delayed {
    at: Instant,
    seq: u64,
    host: HostId,
    item: CrawlItem,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
pub struct DelayQueue {
    heap: BinaryHeap<Reverse<Delayed>>,
    seq: u64,
}

impl DelayQueue {
    /// Holds `item` (for `host`) until `at`.
    pub fn push(&mut self, at: Instant, host: HostId, item: CrawlItem) {
        self.seq += 1;
        let seq = self.seq;
        self.heap.push(Reverse(Delayed {
            at,
            seq,
            host,
            item,
        }));
    }

    /// The next item due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(HostId, CrawlItem)> {
        if self.heap.peek()?.0.at > now {
            return None;
        }
        self.heap.pop().map(|Reverse(d)| (d.host, d.item))
    }

    /// When the next item is due.
    pub fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|d| d.0.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urls::Anchor;
    use std::sync::Arc;
    use std::time::Duration;

    fn item(path: &str) -> CrawlItem {
        let u = url::Url::parse(&format!("http://a.test{path}")).unwrap();
        CrawlItem::new(
            u.clone(),
            Arc::from("s"),
            Arc::new(Anchor::new(&u)),
            None,
            0,
        )
    }

    #[test]
    fn due_in_time_order_ties_in_arrival_order() {
        let now = Instant::now();
        let mut q = DelayQueue::default();
        q.push(now + Duration::from_secs(2), 0, item("/late"));
        q.push(now, 0, item("/first"));
        q.push(now, 1, item("/second"));
        assert_eq!(q.next_at(), Some(now));
        assert_eq!(q.pop_due(now).unwrap().1.url.path(), "/first");
        assert_eq!(q.pop_due(now).unwrap().1.url.path(), "/second");
        assert!(q.pop_due(now).is_none(), "not due yet");
        assert_eq!(q.len(), 1);
        let (host, late) = q.pop_due(now + Duration::from_secs(2)).unwrap();
        assert_eq!((host, late.url.path()), (0, "/late"));
        assert!(q.is_empty());
    }
}
