//! The memory store: the default without `--state`. The whole seen-set is
//! in memory and nothing outlives the run, so every admitted URL goes
//! straight to the host queues (`Admitted::Queue`) and nothing is ever
//! leased; acknowledgements only count, for `count_pending`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

use super::seen::MemorySeen;
use super::{Ack, Acks, Admission, Admitted, Store, StoreError, StoreFuture};
use crate::record::{Fresh, PageMeta, Record};

/// One run's seen-set and counts.
#[derive(Default)]
pub struct MemoryStore {
    seen: MemorySeen,
    /// Pages admitted (redirect targets claimed are not pages).
    admitted: u64,
    acked: Arc<AtomicU64>,
    /// Never cancelled: memory does not fail.
    failed: CancellationToken,
}

/// The writer's side: counts the records written.
pub struct MemoryAck {
    acked: Arc<AtomicU64>,
}

fn ready<T: Send + 'static>(value: T) -> StoreFuture<T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl Store for MemoryStore {
    type Ack = MemoryAck;

    fn seen(&self, key: u128) -> bool {
        self.seen.contains(key)
    }

    fn admit(&mut self, a: Admission) -> Admitted {
        if !self.seen.insert(a.key) {
            return Admitted::Known;
        }
        self.admitted += 1;
        Admitted::Queue(Fresh {
            url: a.url,
            source: a.source,
            prior: None,
        })
    }

    fn flush(&mut self) -> Option<StoreFuture<()>> {
        None
    }

    fn has_backlog(&self) -> bool {
        false
    }

    fn lease(&mut self, _limit: usize) -> StoreFuture<Vec<Fresh>> {
        ready(Vec::new())
    }

    fn claim(&mut self, a: Admission) -> StoreFuture<bool> {
        ready(self.seen.insert(a.key))
    }

    fn count_pending(&mut self) -> StoreFuture<u64> {
        let acked = self.acked.load(Ordering::Acquire);
        ready(self.admitted.saturating_sub(acked))
    }

    fn finish_pass(&mut self) -> StoreFuture<()> {
        ready(())
    }

    fn close(self) -> StoreFuture<()> {
        ready(())
    }

    fn keeps_pages(&self) -> bool {
        false
    }

    fn ack(&self) -> MemoryAck {
        MemoryAck {
            acked: Arc::clone(&self.acked),
        }
    }

    fn acks(&self) -> Option<Arc<Acks>> {
        None
    }

    fn failed(&self) -> CancellationToken {
        self.failed.clone()
    }

    fn error(&self) -> Option<StoreError> {
        None
    }
}

impl Ack for MemoryAck {
    type Note = ();

    fn note(&mut self, _record: &Record, _meta: Option<Box<PageMeta>>) {}

    fn commit(&mut self, notes: Vec<()>) -> Result<(), StoreError> {
        self.acked.fetch_add(notes.len() as u64, Ordering::AcqRel);
        Ok(())
    }

    fn prompt(&self) -> bool {
        false
    }
}
