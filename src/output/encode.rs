//! Record encodings: JSON Lines (one object a line) and CSV (a header row,
//! the scalar columns, the columns of what was asked for — body, saved path,
//! content, rendering — then one column per `--select` field). Pure: bytes are
//! appended to a buffer the writer owns.

use std::io;

use crate::options::Format;
use crate::record::Record;

/// Turns records into bytes: JSON Lines, or CSV with a header row.
pub enum Encoder {
    Jsonl,
    Csv(Columns),
}

/// The CSV columns besides the scalar ones.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// `--select` names.
    pub fields: Vec<String>,
    pub body: bool,
    /// A `saved` column (`--save`).
    pub saved: bool,
    /// `--markdown`, `--text`: their columns, and `lang`, `description`,
    /// `canonical` with either.
    pub markdown: bool,
    pub text: bool,
    /// `--render auto|always`: `rendered` and `subrequests`.
    pub render: bool,
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
    pub fn new(format: Format, columns: Columns) -> Encoder {
        match format {
            Format::Jsonl => Encoder::Jsonl,
            Format::Csv => Encoder::Csv(columns),
        }
    }

    pub fn header(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let Encoder::Csv(c) = self else {
            return Ok(());
        };
        let mut row: Vec<&str> = CSV_COLUMNS.to_vec();
        row.push("unchanged");
        if c.body {
            row.push("body");
        }
        if c.saved {
            row.push("saved");
        }
        if c.markdown {
            row.push("markdown");
        }
        if c.text {
            row.push("text");
        }
        if c.markdown || c.text {
            row.extend(["lang", "description", "canonical"]);
        }
        if c.render {
            row.extend(["rendered", "subrequests"]);
        }
        row.extend(c.fields.iter().map(String::as_str));
        csv_row(&row, buf)
    }

    pub fn encode(&mut self, r: &Record, buf: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Encoder::Jsonl => {
                serde_json::to_writer(&mut *buf, r)?;
                buf.push(b'\n');
                Ok(())
            }
            Encoder::Csv(c) => {
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
                if c.body {
                    row.push(opt(r.body.clone()));
                }
                if c.saved {
                    row.push(opt(r.saved.clone()));
                }
                let content = |v: &Option<Option<String>>| v.clone().flatten().unwrap_or_default();
                if c.markdown {
                    row.push(content(&r.markdown));
                }
                if c.text {
                    row.push(content(&r.text));
                }
                if c.markdown || c.text {
                    row.extend([
                        content(&r.lang),
                        content(&r.description),
                        content(&r.canonical),
                    ]);
                }
                if c.render {
                    row.push(opt(r.rendered.map(|v| v.to_string())));
                    row.push(opt(r.subrequests.map(|n| n.to_string())));
                }
                for name in c.fields.iter() {
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
