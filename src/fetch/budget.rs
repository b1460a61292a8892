//! The memory that large bodies and the DOMs made of them share, so `-j 64`
//! of large or hostile pages cannot hold 64 times what one may.
//!
//! A body over `INLINE_PARSE_MAX` (by its declared length) takes its size
//! from the budget before its first byte is read and holds it to the end
//! of its parse. A page that goes through a DOM (`--select`) and is that
//! large gives its body's share back and takes `DOM_FACTOR` times its size
//! instead, for the parse (a DOM costs about twenty times its text; the guard in
//! `extract::dom` bounds the rest). A wait for the budget does not count
//! against `--timeout`. Nothing takes more than the whole budget, so one
//! page alone always proceeds, and nothing holds a share while it waits for
//! another: no two pages can wait on each other.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The least memory large bodies share: with it, `-j 64` on a site of
/// multi-MiB pages holds ~16 MiB of them, not 64 × their size.
pub const MIN: u64 = 16 << 20;
/// What a DOM is reckoned to cost per byte of its page: 200,000 links
/// (5.7 MB) made a 100 MB DOM.
pub const DOM_FACTOR: u64 = 20;

/// `max(--max-body, MIN)` bytes, counted in KiB.
pub struct Budget {
    permits: Arc<Semaphore>,
    kib: u32,
}

/// A share of the budget, given back when dropped.
pub type Share = OwnedSemaphorePermit;

impl Budget {
    pub fn new(max_body: u64) -> Budget {
        let kib = u32::try_from(max_body.max(MIN) / 1024).unwrap_or(u32::MAX);
        Budget {
            permits: Arc::new(Semaphore::new(kib as usize)),
            kib,
        }
    }

    /// Waits for `bytes` of the budget (at most all of it).
    pub async fn take(&self, bytes: u64) -> Option<Share> {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.kib);
        // The semaphore is never closed, so this cannot fail.
        Arc::clone(&self.permits).acquire_many_owned(kib).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shares_are_capped_at_the_whole_and_given_back() {
        let b = Budget::new(0);
        let all = b.take(u64::MAX).await.unwrap();
        assert_eq!(all.num_permits(), (MIN / 1024) as usize, "capped");
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), b.take(1)).await;
        assert!(waiting.is_err(), "nothing left while it is held");
        drop(all);
        assert!(b.take(1024).await.is_some());
    }
}
