//! The writer thread: the one place finished pages go. It hands each page
//! to every sink, flushes the sinks together under the `OutputLock`, and
//! only then tells the store (through its `Ack`) that those pages are done.
//! A kill therefore never loses a record; it can at worst repeat one.
//!
//! It runs on its own OS thread (blocking I/O, off the async workers) and
//! drains its channel in batches. When the store holds each page's slot
//! until its ack (`Ack::prompt`), every record is committed as soon as its
//! line is out; otherwise records gather for a moment between batches. A
//! closed stdout (`trawl … | head`) is a normal end: the thread cancels
//! `closed` and stops.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Finished, Flushed, Sink, SinkError};
use crate::exchange::Exchange;
use crate::record::PageMeta;
use crate::state::Ack;

/// Held while a batch is being written; the second-signal exit takes it first.
pub type OutputLock = Arc<Mutex<()>>;

/// Bytes gathered before a write: big enough to amortize syscalls, small
/// enough that records appear promptly.
const BATCH: usize = 64 * 1024;

/// How long the writer lets records gather after writing a batch.
const LINGER: std::time::Duration = std::time::Duration::from_micros(500);

/// Pages the writer may have waiting.
const CHANNEL: usize = 16;

/// What goes to the sinks.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "it travels boxed (the channel holds Box<Handoff>)"
)]
pub enum Handoff {
    /// A finished page, with what the store keeps of it (for a store that
    /// keeps pages); acknowledged once written.
    Page {
        page: Finished,
        meta: Option<Box<PageMeta>>,
    },
    /// Exchanges of no page (robots.txt), for the sinks that archive them.
    Exchanges(Vec<Exchange>),
}

/// How the writer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WriterEnd {
    /// Every record written and flushed.
    Finished,
    /// The reader went away (broken pipe).
    Closed,
}

pub struct WriterHandle {
    pub tx: mpsc::Sender<Box<Handoff>>,
    thread: JoinHandle<Result<WriterEnd, SinkError>>,
}

impl WriterHandle {
    /// Starts the writer thread over `sinks`, acknowledging to `ack`.
    pub fn spawn<A: Ack>(
        sinks: Vec<Box<dyn Sink>>,
        ack: A,
        lock: OutputLock,
        closed: CancellationToken,
    ) -> Result<WriterHandle, String> {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let thread = std::thread::Builder::new()
            .name("trawl-writer".into())
            .spawn(move || {
                let mut w = Writer {
                    sinks,
                    ack,
                    acking: true,
                    notes: Vec::new(),
                    lock,
                };
                let end = w.run(rx);
                if !matches!(end, Ok(WriterEnd::Finished)) {
                    closed.cancel();
                }
                end
            })
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(WriterHandle { tx, thread })
    }

    /// Closes the channel and waits for every record to be written and
    /// handed to the store.
    pub fn finish(self) -> Result<WriterEnd, SinkError> {
        drop(self.tx);
        self.thread.join().unwrap_or_else(|_| {
            Err(SinkError {
                name: "the output".into(),
                source: std::io::Error::other("the writer thread panicked"),
            })
        })
    }
}

struct Writer<A: Ack> {
    sinks: Vec<Box<dyn Sink>>,
    ack: A,
    /// False once the store has failed: records are still written.
    acking: bool,
    notes: Vec<A::Note>,
    lock: OutputLock,
}

impl<A: Ack> Writer<A> {
    fn run(&mut self, mut rx: mpsc::Receiver<Box<Handoff>>) -> Result<WriterEnd, SinkError> {
        let prompt = self.ack.prompt();
        loop {
            let Some(first) = rx.blocking_recv() else {
                return Ok(match self.flush()? {
                    Flushed::Open => WriterEnd::Finished,
                    Flushed::Closed => WriterEnd::Closed,
                });
            };
            let mut next = Some(first);
            // Gather a batch: everything already waiting, up to BATCH bytes.
            let mut full = false;
            while let Some(handoff) = next.take() {
                self.take(*handoff)?;
                full = self.buffered() >= BATCH;
                // A record that holds a slot is committed at once.
                if (!prompt || self.notes.is_empty()) && !full {
                    next = rx.try_recv().ok();
                }
            }
            if self.flush()? == Flushed::Closed {
                return Ok(WriterEnd::Closed);
            }
            // Let the next records gather instead of waking for each one:
            // at thousands of pages a second a wake per record costs more
            // CPU than encoding it. The channel holds 16 pages, more than a
            // fast crawl makes in this time, so the engine never waits. Not
            // when records hold slots: there a record waiting in the
            // channel is a page a kill -9 makes trawl fetch again.
            // Not either when the batch was full: more is waiting already
            // (an archive fills a batch in a few pages).
            if !prompt && !full {
                std::thread::sleep(LINGER);
            }
        }
    }

    fn take(&mut self, handoff: Handoff) -> Result<(), SinkError> {
        match handoff {
            Handoff::Page { mut page, meta } => {
                for sink in &mut self.sinks {
                    sink.take(&mut page)?;
                }
                let note = self.ack.note(&page.record, meta);
                self.notes.push(note);
            }
            Handoff::Exchanges(exchanges) => {
                for sink in &mut self.sinks {
                    sink.take_exchanges(&exchanges)?;
                }
            }
        }
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.sinks.iter().map(|s| s.buffered()).sum()
    }

    /// Writes out every sink, then commits the batch's pages to the store.
    fn flush(&mut self) -> Result<Flushed, SinkError> {
        let mut flushed = Flushed::Open;
        {
            // A poisoned lock only means another thread panicked while
            // holding it; the output itself is still consistent.
            let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            for sink in &mut self.sinks {
                if sink.flush()? == Flushed::Closed {
                    flushed = Flushed::Closed;
                }
            }
        }
        if flushed == Flushed::Closed {
            // Not committed: those records did not reach their reader.
            return Ok(flushed);
        }
        let notes = std::mem::take(&mut self.notes);
        if self.acking
            && let Err(e) = self.ack.commit(notes)
        {
            // The store reports its own failure; the records go on.
            tracing::debug!("records no longer committed: {e}");
            self.acking = false;
        }
        Ok(flushed)
    }
}
