//! Run statistics: counted as records are produced, printed on stderr at the
//! end, and written as JSON by `--stats` for cron monitoring.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::error::ErrorKind;
use crate::record::Record;

/// Counts over the records of one run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub pages: u64,
    pub ok: u64,
    pub errors: BTreeMap<ErrorKind, u64>,
    pub unchanged: u64,
    pub bytes: u64,
    pub elapsed_s: f64,
    pub pages_per_s: f64,
    pub interrupted: bool,
    /// With `--state`: the pass this run worked on, whether it is complete
    /// (the next run recrawls), and how many URLs are left for later runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_complete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
}

impl Stats {
    pub fn add(&mut self, r: &Record) {
        self.pages += 1;
        self.bytes += r.bytes;
        match &r.error {
            Some(e) => *self.errors.entry(e.kind).or_default() += 1,
            None => self.ok += 1,
        }
        if r.unchanged == Some(true) {
            self.unchanged += 1;
        }
    }

    /// Fixes the elapsed time and the rate.
    pub fn finish(&mut self, elapsed: Duration, interrupted: bool) {
        self.elapsed_s = (elapsed.as_secs_f64() * 1000.0).round() / 1000.0;
        // From the elapsed time as written (to the millisecond), so that
        // pages / elapsed_s gives pages_per_s on a run of a few ms too.
        let secs = if self.elapsed_s > 0.0 {
            self.elapsed_s
        } else {
            elapsed.as_secs_f64()
        };
        self.pages_per_s = if secs > 0.0 {
            (self.pages as f64 / secs * 10.0).round() / 10.0
        } else {
            0.0
        };
        self.interrupted = interrupted;
    }

    /// One line for stderr.
    pub fn line(&self) -> String {
        let errors: u64 = self.errors.values().sum();
        let mut s = format!(
            "trawl: {} pages, {} ok, {} errors",
            self.pages, self.ok, errors
        );
        if errors > 0 {
            let by_kind: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!(" ({})", by_kind.join(", ")));
        }
        if self.unchanged > 0 {
            s.push_str(&format!(", {} unchanged", self.unchanged));
        }
        s.push_str(&format!(
            ", {}, {:.1}s, {:.1} pages/s",
            human_bytes(self.bytes),
            self.elapsed_s,
            self.pages_per_s
        ));
        if self.interrupted {
            s.push_str(" (interrupted)");
        }
        match (self.pass, self.pass_complete, self.pending) {
            (Some(pass), Some(true), _) => s.push_str(&format!("; pass {pass} complete")),
            (Some(pass), _, Some(pending)) => s.push_str(&format!(
                "; pass {pass}: {pending} pending for the next run"
            )),
            _ => {}
        }
        s
    }

    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write --stats {}: {e}", path.display()))
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PageError;

    #[test]
    fn counts_and_formats() {
        let u = url::Url::parse("http://a.test/").unwrap();
        let item = crate::record::CrawlItem::new(
            u.clone(),
            std::sync::Arc::from("http://a.test/"),
            std::sync::Arc::new(crate::urls::Anchor::new(&u)),
            None,
            0,
        );
        let mut s = Stats::default();
        let empty = crate::record::Blank::default();
        let mut ok = item.record(Some(200), &empty);
        ok.bytes = 2048;
        s.add(&ok);
        s.add(&item.error_record(PageError::new(ErrorKind::Timeout, "t"), &empty));
        s.add(&item.error_record(PageError::new(ErrorKind::Timeout, "t"), &empty));
        s.finish(Duration::from_secs(2), false);
        assert_eq!((s.pages, s.ok, s.errors[&ErrorKind::Timeout]), (3, 1, 2));
        assert_eq!(s.pages_per_s, 1.5);
        let line = s.line();
        assert!(
            line.contains("3 pages, 1 ok, 2 errors (timeout 2)"),
            "{line}"
        );
        assert!(line.contains("2.0 KiB"), "{line}");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["errors"]["timeout"], 2);
        assert_eq!(json["elapsed_s"], 2.0);
    }
}
