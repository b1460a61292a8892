//! Output: the sink port, the writer that drives the sinks, and the
//! end-of-run summary (`--stats`).
//!
//! A sink is what happens to a finished page: `records` writes it as a JSON
//! Lines or CSV record (the first sink); an archive or a mirror are others.
//! The writer hands every finished page to every sink, flushes them
//! together under the output lock, and only then tells the store the pages
//! are done. A sink that needs the response as received (`wants_exchange`)
//! gets it with the page; no page carries it otherwise.

pub mod encode;
pub mod mirror;

#[cfg(test)]
mod contract;
pub mod records;
pub mod summary;
pub mod warc;
pub mod writer;

use std::io;

use crate::fetch::transport::Exchange;
use crate::record::Record;

pub use summary::Stats;
pub use writer::{Handoff, OutputLock, WriterEnd, WriterHandle};

/// A finished page, as the sinks see it.
#[derive(Debug)]
pub struct Finished {
    pub record: Record,
    /// Every request made for the page and its response as received, in
    /// order (redirect hops, retried attempts, the last one), when a sink
    /// wants them; empty otherwise.
    pub exchanges: Vec<Exchange>,
    /// When an earlier pass fetched the page (`--state` recrawls): what an
    /// unchanged page's archive record refers to.
    pub refers_to_date: Option<String>,
}

/// Whether the reader of a sink is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    Open,
    /// The reader went away (a closed pipe): a normal end.
    Closed,
}

/// What happens to finished pages.
pub trait Sink: Send {
    /// Whether pages must carry the exchange as received.
    fn wants_exchange(&self) -> bool {
        false
    }

    /// Takes one finished page; may buffer it until `flush`. A sink may add
    /// to the record for the sinks after it (the mirror adds `saved`).
    fn take(&mut self, page: &mut Finished) -> Result<(), SinkError>;

    /// Takes exchanges that belong to no page (robots.txt), when the sink
    /// wants exchanges; may buffer them until `flush`.
    fn take_exchanges(&mut self, _exchanges: &[Exchange]) -> Result<(), SinkError> {
        Ok(())
    }

    /// Bytes waiting for `flush`, so the writer knows when a batch is full.
    fn buffered(&self) -> usize;

    /// Writes out everything taken: after it, the pages are in the output.
    fn flush(&mut self) -> Result<Flushed, SinkError>;
}

/// A sink that cannot write. Names the output.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to {name}: {source}")]
pub struct SinkError {
    pub name: String,
    #[source]
    pub source: io::Error,
}
