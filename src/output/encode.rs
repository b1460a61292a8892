//! Record encodings: JSON Lines (one object a line) and CSV (a header row,
//! the scalar columns, then one column per `--select` field). Pure: bytes
//! are appended to a buffer the writer owns.

use std::io;

use crate::options::Format;
use crate::record::Record;

/// Turns records into bytes: JSON Lines, or CSV with a header row.
pub enum Encoder {
    Jsonl,
    Csv {
        fields: Vec<String>,
        with_body: bool,
        /// A `saved` column (`--save`).
        with_saved: bool,
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
    pub fn new(format: Format, fields: Vec<String>, with_body: bool, with_saved: bool) -> Encoder {
        match format {
            Format::Jsonl => Encoder::Jsonl,
            Format::Csv => Encoder::Csv {
                fields,
                with_body,
                with_saved,
            },
        }
    }

    pub fn header(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let Encoder::Csv {
            fields,
            with_body,
            with_saved,
        } = self
        else {
            return Ok(());
        };
        let mut row: Vec<&str> = CSV_COLUMNS.to_vec();
        row.push("unchanged");
        if *with_body {
            row.push("body");
        }
        if *with_saved {
            row.push("saved");
        }
        row.extend(fields.iter().map(String::as_str));
        csv_row(&row, buf)
    }

    pub fn encode(&mut self, r: &Record, buf: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Encoder::Jsonl => {
                serde_json::to_writer(&mut *buf, r)?;
                buf.push(b'\n');
                Ok(())
            }
            Encoder::Csv {
                fields,
                with_body,
                with_saved,
            } => {
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
                if *with_saved {
                    row.push(opt(r.saved.clone()));
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
