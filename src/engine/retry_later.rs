//! A request worth another attempt: what the engine does with it — the
//! host slows down if the server asked, and the item waits on the delay
//! heap for its back-off (`fetch::retry`) before it goes back to its host.

use std::time::Duration;

use tokio::time::Instant;

use super::{Engine, Stop};
use crate::fetch::transport::Transport;
use crate::frontier::hosts::HostId;
use crate::record::CrawlItem;
use crate::state::Store;

impl<S: Store, T: Transport> Engine<S, T> {
    /// A request worth another attempt: the host slows down if it asked
    /// to, and the item waits on the delay heap (not while draining).
    pub(super) fn retry_later(
        &mut self,
        host: HostId,
        item: CrawlItem,
        after: Duration,
        slow_down: bool,
        pause: Option<Duration>,
        reason: &str,
    ) {
        let hosts = &mut self.frontier.hosts;
        hosts.complete(host);
        if slow_down {
            hosts.slow_down(host, pause);
            tracing::info!(
                "{} asked to slow down; rate now {:.2}/s",
                item.current,
                hosts.rate(host)
            );
        } else if pause.is_some() {
            hosts.slow_down(host, pause);
        }
        if self.stop.is_some_and(Stop::draining) {
            return;
        }
        tracing::debug!("retrying {} in {after:?}: {reason}", item.current);
        self.delayed.push(Instant::now() + after, host, item);
    }
}
