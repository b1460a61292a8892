//! The writer thread: the one place that writes records, and the one
//! writer of the state store.
//!
//! It runs on its own OS thread (blocking I/O, off the async workers) and
//! drains its channel in batches: records are encoded into whole lines and
//! written with one `write_all` under the `OutputLock`, flushed, and only
//! then marked done in the state (with the URLs admitted meanwhile, in one
//! transaction). A kill therefore never loses a record; it can at worst
//! repeat one. A closed stdout (`trawl … | head`) is a normal end: the
//! thread cancels `closed` and stops.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::encode::Encoder;
use crate::cli::Format;
use crate::record::Record;
use crate::state::sqlite::SqliteState;
use crate::state::{Done, NewRow, Row};

/// Held while a batch is being written; the second-signal exit takes it first.
pub type OutputLock = Arc<Mutex<()>>;

/// Bytes gathered before a write: big enough to amortize syscalls, small
/// enough that records appear promptly.
const BATCH: usize = 64 * 1024;

/// How long the writer lets records gather after writing a batch.
const LINGER: std::time::Duration = std::time::Duration::from_micros(500);

/// Pages whose record has been handed to the writer but is not yet marked
/// done in the state (`--state` only). Such a page is still "in flight" for
/// a kill -9 — the next run fetches it again — so the engine counts it
/// against `--concurrency` until the writer reports it committed.
#[derive(Debug, Default)]
pub struct Commits {
    waiting: AtomicUsize,
    committed: Notify,
}

impl Commits {
    /// One more record on its way to the store.
    pub fn sent(&self) {
        self.waiting.fetch_add(1, Ordering::AcqRel);
    }

    /// Records sent and not yet committed.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Resolves after the next commit (at once if one happened since the
    /// last wait: `Notify` keeps one permit, so no commit is missed).
    pub async fn committed(&self) {
        self.committed.notified().await;
    }

    fn done(&self, n: usize) {
        if n > 0 {
            self.waiting.fetch_sub(n, Ordering::AcqRel);
            self.committed.notify_one();
        }
    }
}

/// What the engine sends the writer.
#[derive(Debug)]
pub enum WriterMsg {
    /// A finished page; `done` marks it in the state once written. `show`
    /// is false for records `--changed-only` omits.
    Record {
        record: Box<Record>,
        done: Option<Box<Done>>,
        show: bool,
    },
    /// URLs admitted to the frontier (state only).
    Admit(Vec<NewRow>),
    /// Pending rows after `after`, for the frontier (state only).
    Load {
        after: i64,
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Row>, String>>,
    },
    /// The pass is complete: the next run is a recrawl (state only).
    FinishPass,
    /// Admit `row` unless this pass has it already; the reply says whether
    /// it was new (state only: dedupe of redirect targets).
    Claim {
        row: NewRow,
        reply: oneshot::Sender<Result<bool, String>>,
    },
    /// How many rows of this pass still wait for their record (state only).
    CountPending {
        reply: oneshot::Sender<Result<u64, String>>,
    },
}

/// How the writer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WriterEnd {
    /// Every record written and flushed.
    Finished,
    /// The reader went away (broken pipe).
    Closed,
}

/// Where records go and how.
pub struct OutputSpec {
    pub path: Option<PathBuf>,
    pub format: Format,
    /// `--select` names: the CSV field columns.
    pub field_names: Vec<String>,
    pub with_body: bool,
    /// Append to `path` instead of truncating it (resuming with `--state`).
    pub append: bool,
}

pub struct WriterHandle {
    pub tx: mpsc::Sender<WriterMsg>,
    /// Records sent but not yet committed to the state.
    pub commits: Arc<Commits>,
    thread: JoinHandle<Result<WriterEnd, String>>,
}

impl WriterHandle {
    /// Opens the output and starts the writer thread, which owns `state`.
    pub fn spawn(
        spec: OutputSpec,
        state: Option<SqliteState>,
        lock: OutputLock,
        closed: CancellationToken,
    ) -> Result<WriterHandle, String> {
        let mut header = true;
        let (out, name): (Box<dyn Write + Send>, String) = match &spec.path {
            Some(path) => {
                let f = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(spec.append)
                    .truncate(!spec.append)
                    .open(path)
                    .map_err(|e| format!("cannot open output {}: {e}", path.display()))?;
                header = !spec.append || f.metadata().map(|m| m.len() == 0).unwrap_or(true);
                (Box::new(f), path.display().to_string())
            }
            None => (Box::new(io::stdout()), "stdout".to_string()),
        };
        // Small: an Admit message may carry a whole page's links, and what
        // waits here is memory the frontier does not see.
        let (tx, rx) = mpsc::channel(16);
        let mut encoder = Encoder::new(spec.format, spec.field_names, spec.with_body);
        let commits = Arc::new(Commits::default());
        let writer_commits = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("trawl-writer".into())
            .spawn(move || {
                let mut w = Writer {
                    out,
                    state,
                    lock,
                    buf: Vec::with_capacity(BATCH),
                    done: Vec::new(),
                    admit: Vec::new(),
                    commits: writer_commits,
                };
                let end = (|| {
                    if header {
                        encoder.header(&mut w.buf)?;
                    }
                    w.run(rx, &mut encoder)
                })();
                if !matches!(end, Ok(WriterEnd::Finished)) {
                    closed.cancel();
                }
                end.map_err(|e| format!("cannot write to {name}: {e}"))
            })
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(WriterHandle {
            tx,
            commits,
            thread,
        })
    }

    /// Closes the channel and waits for every record to be written.
    pub fn finish(self) -> Result<WriterEnd, String> {
        drop(self.tx);
        self.thread
            .join()
            .map_err(|_| "the writer thread panicked".to_string())?
    }
}

struct Writer {
    out: Box<dyn Write + Send>,
    state: Option<SqliteState>,
    lock: OutputLock,
    buf: Vec<u8>,
    done: Vec<Done>,
    admit: Vec<NewRow>,
    commits: Arc<Commits>,
}

/// The error a failed state write ends the run with.
fn state_error(e: crate::state::StateError) -> io::Error {
    io::Error::other(e.to_string())
}

impl Writer {
    fn run(
        &mut self,
        mut rx: mpsc::Receiver<WriterMsg>,
        encoder: &mut Encoder,
    ) -> io::Result<WriterEnd> {
        loop {
            let Some(first) = rx.blocking_recv() else {
                return self.flush().map(|closed| {
                    if closed {
                        WriterEnd::Closed
                    } else {
                        WriterEnd::Finished
                    }
                });
            };
            let mut next = Some(first);
            // Gather a batch: everything already waiting, up to BATCH bytes.
            while let Some(msg) = next.take() {
                match msg {
                    WriterMsg::Record { record, done, show } => {
                        if show {
                            encoder.encode(&record, &mut self.buf)?;
                        }
                        if let Some(mut d) = done {
                            if d.store_links {
                                d.links_json = serde_json::to_string(&record.links).ok();
                            }
                            self.done.push(*d);
                        }
                    }
                    WriterMsg::Admit(rows) => self.admit.extend(rows),
                    WriterMsg::Load {
                        after,
                        limit,
                        reply,
                    } => {
                        if self.flush()? {
                            return Ok(WriterEnd::Closed);
                        }
                        let rows = match &mut self.state {
                            Some(s) => s.load(after, limit).map_err(|e| e.to_string()),
                            None => Ok(Vec::new()),
                        };
                        let _ = reply.send(rows);
                    }
                    WriterMsg::Claim { row, reply } => {
                        if self.flush()? {
                            return Ok(WriterEnd::Closed);
                        }
                        let new = match &mut self.state {
                            Some(s) => s.claim(&row).map_err(|e| e.to_string()),
                            None => Ok(true),
                        };
                        let _ = reply.send(new);
                    }
                    WriterMsg::CountPending { reply } => {
                        if self.flush()? {
                            return Ok(WriterEnd::Closed);
                        }
                        let n = match &mut self.state {
                            Some(s) => s.count_pending().map_err(|e| e.to_string()),
                            None => Ok(0),
                        };
                        let _ = reply.send(n);
                    }
                    WriterMsg::FinishPass => {
                        if self.flush()? {
                            return Ok(WriterEnd::Closed);
                        }
                        if let Some(s) = &mut self.state {
                            s.finish_pass().map_err(state_error)?;
                        }
                    }
                }
                // With a state, each record is committed as soon as its
                // line is out: what a kill -9 can make trawl fetch again is
                // then only what was in flight, not a whole batch.
                if self.buf.len() < BATCH && (self.state.is_none() || self.done.is_empty()) {
                    next = rx.try_recv().ok();
                }
            }
            if self.flush()? {
                return Ok(WriterEnd::Closed);
            }
            // Let the next records gather instead of waking for each one:
            // at thousands of pages a second a wake per record costs more
            // CPU than encoding it. The channel holds 16 messages, more than
            // a fast crawl makes in this time, so the engine never waits.
            // Not with a state: there a record waiting in the channel is a
            // page a kill -9 makes trawl fetch again.
            if self.state.is_none() {
                std::thread::sleep(LINGER);
            }
        }
    }

    /// Writes the gathered lines, then records them (and admissions) in the
    /// state. `Ok(true)` when the reader of stdout has gone away.
    fn flush(&mut self) -> io::Result<bool> {
        if !self.buf.is_empty() {
            let written = {
                // A poisoned lock only means another thread panicked while
                // holding it; the output itself is still consistent.
                let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
                self.out
                    .write_all(&self.buf)
                    .and_then(|()| self.out.flush())
            };
            match written {
                Ok(()) => self.buf.clear(),
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        if let Some(s) = &mut self.state {
            s.apply(&self.admit, &self.done).map_err(state_error)?;
            self.commits.done(self.done.len());
        }
        self.admit.clear();
        self.done.clear();
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::Commits;
    use std::time::Duration;

    #[tokio::test]
    async fn commits_count_down_and_wake_a_later_waiter() {
        let c = Commits::default();
        c.sent();
        c.sent();
        assert_eq!(c.waiting(), 2);
        c.done(0);
        assert_eq!(c.waiting(), 2, "an empty flush commits nothing");
        c.done(2);
        assert_eq!(c.waiting(), 0);
        // The commit came before anyone waited: the wait still ends.
        tokio::time::timeout(Duration::from_secs(5), c.committed())
            .await
            .expect("a commit before the wait was missed");
    }
}
