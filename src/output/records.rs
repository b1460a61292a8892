//! The records sink: one JSON Lines or CSV record per finished page, to
//! stdout or `-o FILE`, in whole lines. `--changed-only` leaves out the
//! records of unchanged pages here (other sinks still see them).
//!
//! With `append` (resuming with `--state`) the file is added to, after
//! cutting a last line a kill left without its newline, so two records are
//! never glued together.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::encode::{Columns, Encoder};
use super::{Finished, Flushed, Sink, SinkError};
use crate::options::Format;

/// Where records go and how.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    pub path: Option<PathBuf>,
    pub format: Format,
    /// `--select` names: the CSV field columns.
    pub field_names: Vec<String>,
    pub with_body: bool,
    /// A `saved` column in CSV (`--save`).
    pub with_saved: bool,
    /// `markdown` and `text` columns in CSV, with `lang`, `description`
    /// and `canonical` when either is there.
    pub with_markdown: bool,
    pub with_text: bool,
    /// `rendered` and `subrequests` columns in CSV (`--render auto|always`).
    pub with_render: bool,
    /// Append to `path` instead of truncating it (resuming with `--state`).
    pub append: bool,
    /// Leave out records of unchanged pages.
    pub changed_only: bool,
}

/// Records, encoded into a buffer and written whole.
pub struct RecordSink {
    out: Box<dyn Write + Send>,
    name: String,
    encoder: Encoder,
    buf: Vec<u8>,
    changed_only: bool,
}

/// The buffer's starting size: a batch of records.
const BATCH: usize = 64 * 1024;

impl RecordSink {
    /// Opens the output (the CSV header is written with the first batch).
    pub fn open(spec: OutputSpec) -> Result<RecordSink, SinkError> {
        let mut header = true;
        let (out, name): (Box<dyn Write + Send>, String) = match &spec.path {
            Some(path) => {
                let name = path.display().to_string();
                let fail = |what: &str, source: io::Error| SinkError {
                    name: name.clone(),
                    source: io::Error::new(source.kind(), format!("{what}: {source}")),
                };
                if spec.append {
                    cut_partial_line(path).map_err(|e| fail("cannot repair it", e))?;
                }
                let f = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(spec.append)
                    .truncate(!spec.append)
                    .open(path)
                    .map_err(|e| fail("cannot open it", e))?;
                header = !spec.append || f.metadata().map(|m| m.len() == 0).unwrap_or(true);
                (Box::new(f), name)
            }
            None => (Box::new(io::stdout()), "stdout".to_string()),
        };
        RecordSink::new(out, name, spec, header)
    }

    /// A sink writing to `out` (stdout, a file, or a buffer in tests).
    pub fn new(
        out: Box<dyn Write + Send>,
        name: String,
        spec: OutputSpec,
        header: bool,
    ) -> Result<RecordSink, SinkError> {
        let mut encoder = Encoder::new(
            spec.format,
            Columns {
                fields: spec.field_names,
                body: spec.with_body,
                saved: spec.with_saved,
                markdown: spec.with_markdown,
                text: spec.with_text,
                render: spec.with_render,
            },
        );
        let mut buf = Vec::with_capacity(BATCH);
        if header {
            encoder.header(&mut buf).map_err(|source| SinkError {
                name: name.clone(),
                source,
            })?;
        }
        Ok(RecordSink {
            out,
            name,
            encoder,
            buf,
            changed_only: spec.changed_only,
        })
    }

    fn error(&self, source: io::Error) -> SinkError {
        SinkError {
            name: self.name.clone(),
            source,
        }
    }
}

impl Sink for RecordSink {
    fn take(&mut self, page: &mut Finished) -> Result<(), SinkError> {
        if self.changed_only && page.record.unchanged == Some(true) {
            return Ok(());
        }
        self.encoder
            .encode(&page.record, &mut self.buf)
            .map_err(|e| self.error(e))
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn flush(&mut self) -> Result<Flushed, SinkError> {
        if self.buf.is_empty() {
            return Ok(Flushed::Open);
        }
        match self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush())
        {
            Ok(()) => {
                self.buf.clear();
                Ok(Flushed::Open)
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Flushed::Closed),
            Err(e) => Err(self.error(e)),
        }
    }
}

/// Cuts a last line that a kill left without its newline, so appending
/// records to `path` never glues two records together. Returns the bytes cut.
fn cut_partial_line(path: &Path) -> io::Result<u64> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    // Scan back from the end for the last newline, a block at a time.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            file.set_len(keep)?;
            return Ok(len - keep);
        }
        end = start;
    }
    file.set_len(0)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_only_an_unfinished_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"b\":2}\n{\"c\":").unwrap();
        assert_eq!(cut_partial_line(&p).unwrap(), 5);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        assert_eq!(cut_partial_line(&p).unwrap(), 0, "whole lines stay");
        std::fs::write(&p, "no newline at all").unwrap();
        cut_partial_line(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "");
        assert_eq!(cut_partial_line(&dir.path().join("absent")).unwrap(), 0);
    }
}
