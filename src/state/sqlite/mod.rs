//! The SQLite store (`--state PATH`): the crawl's frontier, seen-set and
//! page history in one file, so a crawl resumes after any kill and recrawls
//! incrementally.
//!
//! One thread of its own owns the connection (`db`) and applies what comes
//! down one bounded channel, in order: admissions from the engine, commits
//! from the writer, and queries. Writes are gathered and applied in one
//! transaction before any query is answered, so a query sees everything sent
//! before it. Because admissions of a page's links are sent before its
//! record goes to the writer, and the writer commits only after the record
//! is written, a page is never done in the file before its links are in it,
//! nor before its record is in the output: a kill can repeat the records of
//! pages in flight (at-least-once), never lose one.
//!
//! The engine's side (`SqliteStore`) keeps a bounded cache of recent keys
//! and buffers admissions until `flush`; the writer's side (`SqliteAck`)
//! turns each written record into a `Done` row.

mod db;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::seen::RecentSeen;
use super::{Ack, Acks, Admission, Admitted, Store, StoreError, StoreFuture};
use crate::record::{Fresh, PageMeta, Record, Source};
use crate::urls::{Anchor, normalize};
use db::{Db, Done, NewRow, Row};

pub use db::{Opened, SCHEMA_VERSION};

/// Messages the store thread may have waiting: small, since an admission
/// message carries up to `ADMIT_CHUNK` rows and what waits here is memory
/// the frontier does not see.
const CHANNEL: usize = 16;
/// Rows per admission message.
const ADMIT_CHUNK: usize = 256;

enum Msg {
    Admit(Vec<NewRow>),
    Commit(Vec<Done>),
    Lease {
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Fresh>, StoreError>>,
    },
    Claim {
        row: NewRow,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    CountPending {
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    FinishPass {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Apply everything, answer, and end the thread.
    Close {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// What the three sides of the store share.
struct Shared {
    path: PathBuf,
    acks: Arc<Acks>,
    failed: CancellationToken,
    error: Mutex<Option<StoreError>>,
}

impl Shared {
    fn fail(&self, e: StoreError) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
        self.failed.cancel();
    }

    /// The error to report when the thread is gone.
    fn error(&self) -> StoreError {
        let slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone().unwrap_or_else(|| StoreError::Failed {
            path: self.path.clone(),
            why: "the store thread has stopped".into(),
        })
    }
}

/// The engine's handle on the state file.
pub struct SqliteStore {
    tx: mpsc::Sender<Msg>,
    recent: RecentSeen,
    outbox: Vec<NewRow>,
    shared: Arc<Shared>,
    /// Rows of this pass were pending when the file was opened.
    backlog: bool,
    thread: Option<JoinHandle<()>>,
}

/// The writer's handle: commits written records.
pub struct SqliteAck {
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
}

impl SqliteStore {
    /// Opens (or creates) the state at `path`, validating it before any
    /// write, and starts the store thread.
    pub fn open(path: &Path) -> Result<(SqliteStore, Opened), StoreError> {
        let (db, opened) = Db::open(path)?;
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            acks: Arc::default(),
            failed: CancellationToken::new(),
            error: Mutex::new(None),
        });
        let (tx, rx) = mpsc::channel(CHANNEL);
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("trawl-state".into())
            .spawn(move || run(db, rx, &worker))
            .map_err(|e| StoreError::Failed {
                path: path.to_path_buf(),
                why: format!("cannot start the store thread: {e}"),
            })?;
        let store = SqliteStore {
            tx,
            recent: RecentSeen::default(),
            outbox: Vec::new(),
            shared,
            backlog: opened.pending > 0,
            thread: Some(thread),
        };
        Ok((store, opened))
    }

    /// A request with a reply: the buffered admissions go first, so the
    /// answer accounts for them.
    fn ask<T: Send + 'static>(
        &mut self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Msg,
    ) -> StoreFuture<T> {
        let sends = self.take_outbox();
        let (reply, answer) = oneshot::channel();
        let msg = make(reply);
        let tx = self.tx.clone();
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            for m in sends.into_iter().chain([msg]) {
                tx.send(m).await.map_err(|_| shared.error())?;
            }
            answer.await.map_err(|_| shared.error())?
        })
    }

    fn take_outbox(&mut self) -> Vec<Msg> {
        let mut rows = std::mem::take(&mut self.outbox);
        let mut msgs = Vec::with_capacity(rows.len().div_ceil(ADMIT_CHUNK));
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ADMIT_CHUNK));
            msgs.push(Msg::Admit(rows));
            rows = rest;
        }
        msgs
    }
}

fn new_row(a: Admission, done: bool) -> NewRow {
    NewRow {
        key: a.key,
        url: a.url,
        source: a.source,
        done,
    }
}

impl Store for SqliteStore {
    type Ack = SqliteAck;

    fn seen(&self, key: u128) -> bool {
        self.recent.contains(key)
    }

    fn admit(&mut self, a: Admission) -> Admitted {
        if !self.recent.insert(a.key) {
            return Admitted::Known;
        }
        self.outbox.push(new_row(a, false));
        Admitted::Stored
    }

    fn flush(&mut self) -> Option<StoreFuture<()>> {
        if self.outbox.is_empty() {
            return None;
        }
        let sends = self.take_outbox();
        let tx = self.tx.clone();
        let shared = Arc::clone(&self.shared);
        Some(Box::pin(async move {
            for m in sends {
                tx.send(m).await.map_err(|_| shared.error())?;
            }
            Ok(())
        }))
    }

    fn has_backlog(&self) -> bool {
        self.backlog
    }

    fn lease(&mut self, limit: usize) -> StoreFuture<Vec<Fresh>> {
        self.ask(|reply| Msg::Lease { limit, reply })
    }

    fn claim(&mut self, a: Admission) -> StoreFuture<bool> {
        // Known to the recent cache: certainly not new. Otherwise the file knows.
        if !self.recent.insert(a.key) {
            return Box::pin(std::future::ready(Ok(false)));
        }
        let row = new_row(a, true);
        self.ask(|reply| Msg::Claim { row, reply })
    }

    fn count_pending(&mut self) -> StoreFuture<u64> {
        self.ask(|reply| Msg::CountPending { reply })
    }

    fn finish_pass(&mut self) -> StoreFuture<()> {
        self.ask(|reply| Msg::FinishPass { reply })
    }

    fn close(mut self) -> StoreFuture<()> {
        let closed = self.ask(|reply| Msg::Close { reply });
        let thread = self.thread.take();
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            closed.await?;
            // The thread has answered its last message; wait for it to drop
            // the connection (which checkpoints the WAL).
            if let Some(t) = thread {
                let joined = tokio::task::spawn_blocking(move || t.join()).await;
                if !matches!(joined, Ok(Ok(()))) {
                    return Err(shared.error());
                }
            }
            Ok(())
        })
    }

    fn keeps_pages(&self) -> bool {
        true
    }

    fn ack(&self) -> SqliteAck {
        SqliteAck {
            tx: self.tx.clone(),
            shared: Arc::clone(&self.shared),
        }
    }

    fn acks(&self) -> Option<Arc<Acks>> {
        Some(Arc::clone(&self.shared.acks))
    }

    fn failed(&self) -> CancellationToken {
        self.shared.failed.clone()
    }

    fn error(&self) -> Option<StoreError> {
        self.shared
            .failed
            .is_cancelled()
            .then(|| self.shared.error())
    }
}

impl Ack for SqliteAck {
    type Note = Done;

    fn note(&mut self, r: &Record, meta: Option<Box<PageMeta>>) -> Done {
        let meta = meta.map_or_else(
            || PageMeta {
                key: Url::parse(&r.url).map_or(0, |u| normalize::key(&u)),
                kept: true,
                ..PageMeta::default()
            },
            |m| *m,
        );
        let fresh = !meta.kept;
        Done {
            key: meta.key,
            status: r.status,
            final_url: r.final_url.clone(),
            content_type: r.content_type.clone(),
            title: r.title.clone(),
            fetched_at: r.fetched_at.clone(),
            etag: meta.etag,
            last_modified: meta.last_modified,
            body_hash: meta.body_hash,
            links_json: fresh.then(|| serde_json::to_string(&r.links).unwrap_or_default()),
            nofollow: fresh.then_some(meta.nofollow),
        }
    }

    fn commit(&mut self, notes: Vec<Done>) -> Result<(), StoreError> {
        if notes.is_empty() {
            return Ok(());
        }
        self.tx
            .blocking_send(Msg::Commit(notes))
            .map_err(|_| self.shared.error())
    }

    fn prompt(&self) -> bool {
        true
    }
}

/// The store thread: applies messages in order, writes in batches.
fn run(mut db: Db, mut rx: mpsc::Receiver<Msg>, shared: &Shared) {
    let mut admit: Vec<NewRow> = Vec::new();
    let mut done: Vec<Done> = Vec::new();
    // Rows of this pass up to this id have been handed to this run.
    let mut cursor: i64 = 0;
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            let query = match msg {
                Msg::Admit(rows) => {
                    admit.extend(rows);
                    None
                }
                Msg::Commit(rows) => {
                    done.extend(rows);
                    None
                }
                query => Some(query),
            };
            if let Some(query) = query {
                if let Err(e) = apply(&mut db, &mut admit, &mut done, shared) {
                    return shared.fail(e);
                }
                match answer(&mut db, query, &mut cursor) {
                    Ok(Answered::Open) => {}
                    Ok(Answered::Closed) => return,
                    Err(e) => return shared.fail(e),
                }
            }
            next = rx.try_recv().ok();
        }
        if let Err(e) = apply(&mut db, &mut admit, &mut done, shared) {
            return shared.fail(e);
        }
    }
}

/// Applies the gathered writes in one transaction and acknowledges the commits.
fn apply(
    db: &mut Db,
    admit: &mut Vec<NewRow>,
    done: &mut Vec<Done>,
    shared: &Shared,
) -> Result<(), StoreError> {
    db.apply(admit, done)?;
    shared.acks.done(done.len());
    admit.clear();
    done.clear();
    Ok(())
}

enum Answered {
    Open,
    Closed,
}

/// Sends `r` to the asker; an error also ends the thread.
fn send<T>(
    reply: oneshot::Sender<Result<T, StoreError>>,
    r: Result<T, StoreError>,
) -> Result<Answered, StoreError> {
    let failed = r.as_ref().err().cloned();
    // The asker may have gone (the run is ending): the answer is moot.
    let _ = reply.send(r);
    failed.map_or(Ok(Answered::Open), Err)
}

/// Answers one query.
fn answer(db: &mut Db, query: Msg, cursor: &mut i64) -> Result<Answered, StoreError> {
    match query {
        Msg::Lease { limit, reply } => {
            let rows = db.load(*cursor, limit);
            if let Ok(rows) = &rows {
                *cursor = rows.last().map_or(*cursor, |r| r.id);
            }
            send(
                reply,
                rows.map(|rows| rows.into_iter().filter_map(fresh).collect()),
            )
        }
        Msg::Claim { row, reply } => send(reply, db.claim(&row)),
        Msg::CountPending { reply } => send(reply, db.count_pending()),
        Msg::FinishPass { reply } => send(reply, db.finish_pass()),
        Msg::Close { reply } => {
            let _ = reply.send(Ok(()));
            Ok(Answered::Closed)
        }
        Msg::Admit(_) | Msg::Commit(_) => Ok(Answered::Open),
    }
}

/// A pending row as the frontier queues it.
fn fresh(row: Row) -> Option<Fresh> {
    let (Ok(_), Ok(anchor)) = (Url::parse(&row.url), Url::parse(&row.anchor)) else {
        tracing::warn!("state row with an unparsable URL skipped: {:?}", row.url);
        return None;
    };
    let source = Source {
        seed: Arc::from(row.seed.as_str()),
        anchor: Arc::new(Anchor::new(&anchor)),
        parent: row.parent.map(|p| Arc::from(p.as_str())),
        depth: row.depth,
    };
    Some(Fresh {
        url: row.url.into(),
        source: Arc::new(source),
        prior: row.prior.map(Arc::new),
    })
}
