//! The sink contract, one test body run against every sink (the records
//! sink as JSON Lines and as CSV; an archive or a mirror will be held to
//! the same body), and the writer's promise on top of it: a page is
//! acknowledged to the store only after every sink has flushed it.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::records::{OutputSpec, RecordSink};
use super::{Finished, Flushed, Handoff, Sink, WriterEnd, WriterHandle};
use crate::options::Format;
use crate::record::{CrawlItem, PageMeta, Record};
use crate::state::{Ack, StoreError};
use crate::urls::Anchor;

/// An output the test can read, or make fail.
#[derive(Clone, Default)]
struct Output {
    bytes: Arc<Mutex<Vec<u8>>>,
    fail: Arc<Mutex<Option<io::ErrorKind>>>,
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(kind) = *self.fail.lock().unwrap() {
            return Err(io::Error::new(kind, "test output refused"));
        }
        self.bytes.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Output {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
    }
}

fn page(path: &str) -> Finished {
    let url = url::Url::parse(&format!("http://a.test{path}")).unwrap();
    let item = CrawlItem::new(
        url.clone(),
        Arc::from("http://a.test/"),
        Arc::new(Anchor::new(&url)),
        None,
        0,
    );
    let mut record = item.record(Some(200), &crate::record::Blank::default());
    record.title = Some(format!("title of {path}"));
    Finished {
        record,
        exchanges: Vec::new(),
        refers_to_date: None,
    }
}

fn records_sink(format: Format, out: &Output) -> Box<dyn Sink> {
    let spec = OutputSpec {
        path: None,
        format,
        field_names: Vec::new(),
        with_body: false,
        with_saved: false,
        with_markdown: false,
        with_text: false,
        with_render: false,
        append: false,
        changed_only: false,
    };
    Box::new(RecordSink::new(Box::new(out.clone()), "test output".into(), spec, true).unwrap())
}

/// The contract: pages are taken and buffered, written out by `flush`
/// (all of them, in order, whole), a closed reader is `Closed`, and any
/// other failure is an error naming the output.
fn contract(make: impl Fn(&Output) -> Box<dyn Sink>, count_lines: impl Fn(&str) -> usize) {
    let out = Output::default();
    let mut sink = make(&out);
    let before = out.text();
    for path in ["/a", "/b", "/c"] {
        sink.take(&mut page(path)).unwrap();
    }
    assert!(sink.buffered() > 0, "taken pages wait for flush");
    assert_eq!(out.text(), before, "nothing is written before flush");
    assert_eq!(sink.flush().unwrap(), Flushed::Open);
    assert_eq!(sink.buffered(), 0);
    let text = out.text();
    assert_eq!(count_lines(&text), 3, "{text}");
    let (a, c) = (text.find("http://a.test/a"), text.find("http://a.test/c"));
    assert!(a < c && a.is_some(), "in order: {text}");
    assert!(text.ends_with('\n'), "whole lines: {text:?}");

    *out.fail.lock().unwrap() = Some(io::ErrorKind::BrokenPipe);
    sink.take(&mut page("/d")).unwrap();
    assert_eq!(
        sink.flush().unwrap(),
        Flushed::Closed,
        "a closed reader is a normal end"
    );

    let out = Output::default();
    let mut sink = make(&out);
    *out.fail.lock().unwrap() = Some(io::ErrorKind::StorageFull);
    sink.take(&mut page("/e")).unwrap();
    let err = sink
        .flush()
        .expect_err("a failed write is an error")
        .to_string();
    assert!(
        err.contains("test output") && err.contains("refused"),
        "{err}"
    );
}

#[test]
fn json_lines_keep_the_sink_contract() {
    contract(
        |out| records_sink(Format::Jsonl, out),
        |text| {
            text.lines()
                .inspect(|l| drop(serde_json::from_str::<serde_json::Value>(l).unwrap()))
                .count()
        },
    );
}

#[test]
fn csv_keeps_the_sink_contract() {
    // A header row, then one row a page.
    contract(
        |out| records_sink(Format::Csv, out),
        |text| text.lines().count().saturating_sub(1),
    );
}

#[test]
fn changed_only_leaves_out_unchanged_records() {
    let out = Output::default();
    let spec = OutputSpec {
        path: None,
        format: Format::Jsonl,
        field_names: Vec::new(),
        with_body: false,
        with_saved: false,
        with_markdown: false,
        with_text: false,
        with_render: false,
        append: false,
        changed_only: true,
    };
    let mut sink = RecordSink::new(Box::new(out.clone()), "test".into(), spec, true).unwrap();
    let mut same = page("/same");
    same.record.unchanged = Some(true);
    let mut changed = page("/changed");
    changed.record.unchanged = Some(false);
    sink.take(&mut same).unwrap();
    sink.take(&mut changed).unwrap();
    sink.flush().unwrap();
    let text = out.text();
    assert!(
        !text.contains("/same") && text.contains("/changed"),
        "{text}"
    );
}

/// An ack that writes down what the output held when each commit came.
struct Witness {
    out: Output,
    seen: Arc<Mutex<Vec<(String, usize)>>>,
}

impl Ack for Witness {
    type Note = String;
    fn note(&mut self, record: &Record, _meta: Option<Box<PageMeta>>) -> String {
        record.url.clone()
    }
    fn commit(&mut self, notes: Vec<String>) -> Result<(), StoreError> {
        let text = self.out.text();
        let mut seen = self.seen.lock().unwrap();
        for url in notes {
            let lines = text
                .lines()
                .filter(|l| l.contains(&format!("\"{url}\"")))
                .count();
            seen.push((url, lines));
        }
        Ok(())
    }
    fn prompt(&self) -> bool {
        true
    }
}

#[test]
fn the_writer_acknowledges_a_page_only_once_its_record_is_out() {
    let out = Output::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let ack = Witness {
        out: out.clone(),
        seen: Arc::clone(&seen),
    };
    let sinks = vec![records_sink(Format::Jsonl, &out)];
    let writer = WriterHandle::spawn(
        sinks,
        ack,
        Arc::new(Mutex::new(())),
        CancellationToken::new(),
    )
    .unwrap();
    let paths: Vec<String> = (0..50).map(|i| format!("/p/{i}")).collect();
    for p in &paths {
        let handoff = Box::new(Handoff::Page {
            page: page(p),
            meta: None,
        });
        writer.tx.blocking_send(handoff).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), WriterEnd::Finished);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), paths.len(), "every page acknowledged");
    for (url, lines) in seen.iter() {
        assert_eq!(
            *lines, 1,
            "{url} acknowledged before its record was written"
        );
    }
}
