//! The writer thread: the one place that writes records.
//!
//! It runs on its own OS thread (blocking I/O, off the async workers), drains
//! the record channel in batches of whole lines, and writes each batch with
//! one `write_all` while holding the `OutputLock`. A closed stdout
//! (`trawl … | head`) is a normal end: the thread cancels `closed` and stops.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cli::Format;
use crate::record::Record;

/// Held while a batch is being written; the second-signal exit takes it first.
pub type OutputLock = Arc<Mutex<()>>;

/// Bytes gathered before a write: big enough to amortize syscalls, small
/// enough that records appear promptly.
const BATCH: usize = 64 * 1024;

/// How the writer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WriterEnd {
    /// Every record written and flushed.
    Finished,
    /// The reader went away (broken pipe).
    Closed,
}

pub struct WriterHandle {
    pub tx: mpsc::Sender<Record>,
    thread: JoinHandle<Result<WriterEnd, String>>,
}

impl WriterHandle {
    /// Opens the output and starts the writer thread. `field_names` are the
    /// `--select` columns for CSV.
    pub fn spawn(
        output: Option<PathBuf>,
        format: Format,
        field_names: Vec<String>,
        with_body: bool,
        lock: OutputLock,
        closed: CancellationToken,
    ) -> Result<WriterHandle, String> {
        let (out, name): (Box<dyn Write + Send>, String) = match &output {
            Some(path) => {
                let f = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|e| format!("cannot open output {}: {e}", path.display()))?;
                (Box::new(f), path.display().to_string())
            }
            None => (Box::new(io::stdout()), "stdout".to_string()),
        };
        let (tx, rx) = mpsc::channel(1024);
        let encoder = Encoder::new(format, field_names, with_body);
        let thread = std::thread::Builder::new()
            .name("trawl-writer".into())
            .spawn(move || {
                let end = write_loop(rx, out, encoder, &lock);
                if !matches!(end, Ok(WriterEnd::Finished)) {
                    closed.cancel();
                }
                end.map_err(|e| format!("cannot write to {name}: {e}"))
            })
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(WriterHandle { tx, thread })
    }

    /// Closes the channel and waits for every record to be written.
    pub fn finish(self) -> Result<WriterEnd, String> {
        drop(self.tx);
        self.thread
            .join()
            .map_err(|_| "the writer thread panicked".to_string())?
    }
}

fn write_loop(
    mut rx: mpsc::Receiver<Record>,
    mut out: Box<dyn Write + Send>,
    mut encoder: Encoder,
    lock: &Mutex<()>,
) -> io::Result<WriterEnd> {
    let mut buf = Vec::with_capacity(BATCH);
    encoder.header(&mut buf)?;
    loop {
        match rx.blocking_recv() {
            Some(rec) => encoder.encode(&rec, &mut buf)?,
            None if buf.is_empty() => return Ok(WriterEnd::Finished),
            None => {}
        }
        while buf.len() < BATCH {
            match rx.try_recv() {
                Ok(rec) => encoder.encode(&rec, &mut buf)?,
                Err(_) => break,
            }
        }
        if buf.is_empty() {
            continue;
        }
        let written = {
            // A poisoned lock only means another thread panicked while
            // holding it; the output itself is still consistent.
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            out.write_all(&buf).and_then(|()| out.flush())
        };
        match written {
            Ok(()) => buf.clear(),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(WriterEnd::Closed),
            Err(e) => return Err(e),
        }
    }
}

/// Turns records into bytes: JSON Lines, or CSV with a header row.
enum Encoder {
    Jsonl,
    Csv {
        fields: Vec<String>,
        with_body: bool,
    },
}

const CSV_COLUMNS: [&str; 14] = [
    "url",
    "final_url",
    "seed",
    "parent",
    "depth",
    "status",
    "content_type",
    "bytes",
    "elapsed_ms",
    "attempts",
    "fetched_at",
    "title",
    "error_kind",
    "error_message",
];

impl Encoder {
    fn new(format: Format, fields: Vec<String>, with_body: bool) -> Encoder {
        match format {
            Format::Jsonl => Encoder::Jsonl,
            Format::Csv => Encoder::Csv { fields, with_body },
        }
    }

    fn header(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let Encoder::Csv { fields, with_body } = self else {
            return Ok(());
        };
        let mut row: Vec<&str> = CSV_COLUMNS.to_vec();
        row.push("unchanged");
        if *with_body {
            row.push("body");
        }
        row.extend(fields.iter().map(String::as_str));
        csv_row(&row, buf)
    }

    fn encode(&mut self, r: &Record, buf: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Encoder::Jsonl => {
                serde_json::to_writer(&mut *buf, r)?;
                buf.push(b'\n');
                Ok(())
            }
            Encoder::Csv { fields, with_body } => {
                let opt = |v: Option<String>| v.unwrap_or_default();
                let mut row = vec![
                    r.url.clone(),
                    r.final_url.clone(),
                    r.seed.to_string(),
                    opt(r.parent.as_ref().map(|p| p.to_string())),
                    r.depth.to_string(),
                    opt(r.status.map(|s| s.to_string())),
                    opt(r.content_type.clone()),
                    r.bytes.to_string(),
                    r.elapsed_ms.to_string(),
                    r.attempts.to_string(),
                    opt(r.fetched_at.clone()),
                    opt(r.title.clone()),
                    opt(r.error.as_ref().map(|e| e.kind.to_string())),
                    opt(r.error.as_ref().map(|e| e.message.clone())),
                    opt(r.unchanged.map(|u| u.to_string())),
                ];
                if *with_body {
                    row.push(opt(r.body.clone()));
                }
                for name in fields.iter() {
                    row.push(match r.fields.get(name) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    });
                }
                csv_row(&row, buf)
            }
        }
    }
}

/// Appends one CSV row (quoted as needed, `\n`-terminated) to `buf`.
fn csv_row<T: AsRef<[u8]>>(row: &[T], buf: &mut Vec<u8>) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1024)
        .from_writer(buf);
    w.write_record(row)?;
    w.flush()
}
