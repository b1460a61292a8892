//! The WARC sink (`--warc FILE`): every HTTP exchange of the crawl — pages,
//! their redirect hops and retried attempts, robots.txt — as a `request`
//! and a `response` record (`record`), an unchanged page of a recrawl as a
//! `revisit`, after a `warcinfo` record that starts each file.
//!
//! `FILE.warc.gz` (any name ending in `.gz`) holds one gzip member per
//! record, so readers can seek to a record. Past `--warc-max-size` the sink
//! rolls over to `FILE-00001.warc.gz`, `FILE-00002.warc.gz`, … Records wait
//! in memory until the writer flushes; then each file gets them in one
//! `write`, whole, so a kill leaves every file ending at a record's end.
//! A resumed run (`--state`, `--redis`) appends to the last file of the
//! series, after a new `warcinfo`; otherwise the first file starts empty.

mod record;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

use super::{Finished, Flushed, Sink, SinkError};
use crate::exchange::Exchange;

/// How the WARC files are made.
#[derive(Debug, Clone)]
pub struct WarcSpec {
    pub path: PathBuf,
    /// Roll over to the next file past this many bytes.
    pub max_size: u64,
    /// Add to the series a previous run left.
    pub append: bool,
    /// The `warcinfo` fields (software, format, the run's options).
    pub info: Vec<(String, String)>,
}

pub struct WarcSink {
    spec: WarcSpec,
    gzip: bool,
    /// The series: `stem` + `-0000N` + `ext`.
    stem: String,
    ext: &'static str,
    index: u32,
    file: File,
    /// Bytes in the current file.
    size: u64,
    /// Whether the current file has records besides its `warcinfo`.
    has_records: bool,
    /// Encoded records waiting for `flush`, back to back, each whole (a
    /// gzip member when `gzip`), and where each ends.
    pending: Vec<u8>,
    ends: Vec<usize>,
    /// One deflate state for every member (a new one for each record
    /// costs a quarter of a megabyte to set up).
    deflate: Compress,
}

fn err(path: &Path, source: std::io::Error) -> SinkError {
    SinkError {
        name: path.display().to_string(),
        source,
    }
}

impl WarcSink {
    /// Opens the first file (or, appending, the last file of the series).
    pub fn open(spec: WarcSpec) -> Result<WarcSink, SinkError> {
        let text = spec.path.to_string_lossy().into_owned();
        let gzip = text.ends_with(".gz");
        let ext = [".warc.gz", ".warc", ".gz"]
            .into_iter()
            .find(|e| text.ends_with(e))
            .unwrap_or("");
        let stem = text[..text.len() - ext.len()].to_string();
        let mut sink = WarcSink {
            gzip,
            stem,
            ext,
            index: 0,
            // Appending, the last file of the series is opened below.
            file: open(&spec.path, spec.append)?,
            size: 0,
            has_records: false,
            pending: Vec::new(),
            ends: Vec::new(),
            deflate: Compress::new(Compression::fast(), false),
            spec,
        };
        if sink.spec.append {
            while sink.path_of(sink.index + 1).exists() {
                sink.index += 1;
            }
            if sink.index > 0 {
                sink.file = open(&sink.path_of(sink.index), true)?;
            }
            let path = sink.path_of(sink.index);
            sink.size = sink.file.metadata().map_err(|e| err(&path, e))?.len();
        }
        let info = sink.warcinfo();
        sink.write(&info)?;
        Ok(sink)
    }

    /// The path of file `index` of the series (0 is `FILE` itself).
    fn path_of(&self, index: u32) -> PathBuf {
        if index == 0 {
            self.spec.path.clone()
        } else {
            PathBuf::from(format!("{}-{index:05}{}", self.stem, self.ext))
        }
    }

    /// The current file's `warcinfo`, encoded.
    fn warcinfo(&mut self) -> Vec<u8> {
        let path = self.path_of(self.index);
        let name = path.file_name().map_or_else(
            || path.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut out = Vec::new();
        self.encode(&record::warcinfo(&name, &self.spec.info), &mut out);
        out
    }

    /// Appends a record to `out` as it goes in the file: a gzip member of
    /// its own (RFC 1952), or as is.
    fn encode(&mut self, r: &record::Record, out: &mut Vec<u8>) {
        let header = r.header();
        let parts = r.parts(&header);
        if !self.gzip {
            for p in parts {
                out.extend_from_slice(p);
            }
            return;
        }
        // Header: deflate, no flags, no time, no extra flags, unknown OS.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        self.deflate.reset();
        let mut crc = Crc::new();
        let last = parts.len() - 1;
        for (i, p) in parts.into_iter().enumerate() {
            crc.update(p);
            let flush = if i == last {
                FlushCompress::Finish
            } else {
                FlushCompress::None
            };
            deflate(&mut self.deflate, p, out, flush);
        }
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
    }

    /// Writes whole records to the current file in one call.
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let path = self.path_of(self.index);
        self.file.write_all(bytes).map_err(|e| err(&path, e))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Starts the next file of the series with its `warcinfo`.
    fn roll_over(&mut self) -> Result<(), SinkError> {
        self.index += 1;
        let path = self.path_of(self.index);
        self.file = open(&path, false)?;
        self.size = 0;
        self.has_records = false;
        let info = self.warcinfo();
        self.write(&info)
    }

    fn push(&mut self, r: &record::Record) {
        let mut pending = std::mem::take(&mut self.pending);
        self.encode(r, &mut pending);
        self.pending = pending;
        self.ends.push(self.pending.len());
    }

    /// The records of one exchange: a `request` and a `response`, or a
    /// `request` and a `revisit` for an unchanged page.
    fn push_exchange(&mut self, ex: &Exchange, revisit_of: Option<Option<&str>>) {
        let id = record::record_id();
        let response = match revisit_of {
            Some(date) => record::revisit(ex, &id, date),
            None => record::response(ex, &id),
        };
        self.push(&record::request(ex, &id));
        self.push(&response);
        if let Some(dom) = &ex.rendered {
            self.push(&record::conversion(ex, dom, &id));
        }
    }
}

/// The command line as `warcinfo` records it: `-H`/`--header` values and
/// the passwords of URLs replaced by `***`.
pub fn redacted_command(args: &[String]) -> String {
    let mut out = Vec::with_capacity(args.len());
    let mut header_next = false;
    for arg in args {
        let hide_header = |h: &str| match h.split_once(':') {
            Some((name, _)) => format!("{name}: ***"),
            None => "***".to_string(),
        };
        let shown = if header_next {
            header_next = false;
            hide_header(arg)
        } else if arg == "-H" || arg == "--header" {
            header_next = true;
            arg.clone()
        } else if let Some(h) = arg.strip_prefix("--header=") {
            format!("--header={}", hide_header(h))
        } else if let Some(h) = arg.strip_prefix("-H").filter(|h| !h.is_empty()) {
            format!("-H{}", hide_header(h))
        } else {
            match url::Url::parse(arg) {
                Ok(mut u) if u.password().is_some() => {
                    let _ = u.set_password(Some("***"));
                    u.to_string()
                }
                _ => arg.clone(),
            }
        };
        out.push(shown);
    }
    out.join(" ")
}

fn open(path: &Path, append: bool) -> Result<File, SinkError> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| err(path, e))
}

impl Sink for WarcSink {
    fn wants_exchange(&self) -> bool {
        true
    }

    fn take(&mut self, page: &mut Finished) -> Result<(), SinkError> {
        let unchanged = page.record.unchanged == Some(true);
        let last = page.exchanges.len().saturating_sub(1);
        for (i, ex) in page.exchanges.iter().enumerate() {
            // The final response of an unchanged page: a revisit.
            let revisit = (unchanged && i == last).then_some(page.refers_to_date.as_deref());
            self.push_exchange(ex, revisit);
        }
        Ok(())
    }

    fn take_exchanges(&mut self, exchanges: &[Exchange]) -> Result<(), SinkError> {
        for ex in exchanges {
            self.push_exchange(ex, None);
        }
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.pending.len()
    }

    fn flush(&mut self) -> Result<Flushed, SinkError> {
        let pending = std::mem::take(&mut self.pending);
        let ends = std::mem::take(&mut self.ends);
        // The records go to the current file in one write, up to the one
        // that would take it past --warc-max-size; the rest to the next
        // file (a file holds at least one record besides its warcinfo).
        let (mut start, mut cut) = (0, 0);
        for end in ends {
            let over = self.size + (end - start) as u64 > self.spec.max_size;
            if over && (self.has_records || cut > start) {
                self.write(&pending[start..cut])?;
                start = cut;
                self.roll_over()?;
            }
            self.has_records = true;
            cut = end;
        }
        self.write(&pending[start..cut])?;
        self.pending = pending;
        self.pending.clear();
        Ok(Flushed::Open)
    }
}

/// Deflates all of `input` into `out`, growing it as needed; with
/// `Finish`, ends the stream.
fn deflate(c: &mut Compress, mut input: &[u8], out: &mut Vec<u8>, flush: FlushCompress) {
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(input.len() / 2 + 4096);
        }
        let before = c.total_in();
        // Deflating into a Vec's spare room does not fail; if it did, the
        // member would be cut short, and readers would say so.
        let Ok(status) = c.compress_vec(input, out, flush) else {
            return;
        };
        input = &input[(c.total_in() - before) as usize..];
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            _ => input.is_empty(),
        };
        if done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_hides_secrets() {
        let args: Vec<String> = [
            "trawl",
            "crawl",
            "-H",
            "Authorization: Bearer x",
            "--header=Cookie: a=b",
            "-HX-Key: k",
            "--redis",
            "redis://:pw@r:6379",
            "http://a.test/",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            redacted_command(&args),
            "trawl crawl -H Authorization: *** --header=Cookie: *** -HX-Key: *** --redis \
             redis://:***@r:6379 http://a.test/"
        );
    }

    #[test]
    fn series_names() {
        let dir = tempfile::tempdir().unwrap();
        for (name, second) in [
            ("a.warc.gz", "a-00001.warc.gz"),
            ("b.warc", "b-00001.warc"),
            ("c", "c-00001"),
        ] {
            let sink = WarcSink::open(WarcSpec {
                path: dir.path().join(name),
                max_size: 1 << 30,
                append: false,
                info: Vec::new(),
            })
            .unwrap();
            assert_eq!(sink.path_of(1), dir.path().join(second));
            assert_eq!(sink.gzip, name.ends_with(".gz"));
        }
    }
}
