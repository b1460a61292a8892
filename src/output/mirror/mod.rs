//! The mirror sink (`--save DIR`): the body of every page fetched with a
//! 2xx, content-decoded, under `DIR/HOST/PATH` (`names`), the record
//! saying where (`"saved": "HOST/PATH"`, relative to DIR).
//!
//! Nothing is ever written outside DIR: names come from `names`, which
//! never makes a `..` or a separator, and every file operation goes through
//! a capability handle on DIR (`cap_std::fs::Dir`), which refuses to follow
//! a symlink out of it — one planted inside DIR included. Each file is
//! written to a temporary name and renamed into place, so a reader never
//! sees half a file. When a URL needs a directory where an earlier one
//! left a file (`/a`, then `/a/b`), that file becomes `a/index.html` (the
//! earlier record's `saved` then names the directory); a URL whose file
//! would be an existing directory goes to its `index.html`. A page that cannot be saved (a name the file system
//! refuses, a symlink out of DIR) is said on stderr and its record has no
//! `saved`; a full or read-only disk stops the run.

pub mod names;

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;

use super::{Finished, Flushed, Sink, SinkError};
use crate::fetch::decode::{Coding, Decoder};

pub struct MirrorSink {
    dir: Dir,
    root: PathBuf,
    /// Decoded bodies are capped as when fetched.
    max_body: usize,
}

impl MirrorSink {
    /// Opens (creating) DIR.
    pub fn open(root: &Path, max_body: u64) -> Result<MirrorSink, SinkError> {
        let fail = |source| SinkError {
            name: root.display().to_string(),
            source,
        };
        std::fs::create_dir_all(root).map_err(fail)?;
        let dir = Dir::open_ambient_dir(root, cap_std::ambient_authority()).map_err(fail)?;
        Ok(MirrorSink {
            dir,
            root: root.to_path_buf(),
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
        })
    }

    /// Writes `body` at `names` (relative to DIR), atomically; returns the
    /// path it went to (`index.html` added when `names` is a directory).
    fn save(&self, names: &[String], body: &[u8]) -> std::io::Result<String> {
        let mut rel = PathBuf::new();
        let (file, dirs) = names.split_last().ok_or(ErrorKind::InvalidInput)?;
        for d in dirs {
            rel.push(d);
            self.make_dir(&rel)?;
        }
        let mut target = rel.join(file);
        if self.dir.symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
            target.push("index.html");
        }
        let tmp = rel.join(format!(".trawl-{:016x}.tmp", fastrand::u64(..)));
        let written = (|| {
            let mut f = self.dir.create(&tmp)?;
            f.write_all(body)?;
            self.dir.rename(&tmp, &self.dir, &target)
        })();
        if written.is_err() {
            let _ = self.dir.remove_file(&tmp);
        }
        written?;
        Ok(target.to_string_lossy().into_owned())
    }

    /// Makes directory `rel`; a file already there becomes its
    /// `index.html`.
    fn make_dir(&self, rel: &Path) -> std::io::Result<()> {
        match self.dir.symlink_metadata(rel) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(m) if m.is_file() => {
                let tmp = rel.with_extension(format!("trawl-{:016x}", fastrand::u64(..)));
                self.dir.rename(rel, &self.dir, &tmp)?;
                self.dir.create_dir(rel)?;
                self.dir.rename(&tmp, &self.dir, rel.join("index.html"))
            }
            // A symlink or something else: cap-std follows a symlink only
            // where it stays inside DIR; out of it, this fails.
            Ok(_) => self.dir.create_dir_all(rel),
            Err(e) if e.kind() == ErrorKind::NotFound => self.dir.create_dir(rel),
            Err(e) => Err(e),
        }
    }

    /// The page's body as the server meant it (content-decoded).
    fn body(&self, page: &Finished) -> Option<Vec<u8>> {
        let last = page.exchanges.last()?;
        let mut decoder = Decoder::new(Coding::of(&last.headers), self.max_body, last.body.len());
        decoder.feed(&last.body).ok()?;
        decoder.finish().ok()
    }
}

/// Whether a failed write means the disk, not this one name: then the
/// run stops.
fn fatal(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::StorageFull | ErrorKind::ReadOnlyFilesystem | ErrorKind::QuotaExceeded
    )
}

impl Sink for MirrorSink {
    fn wants_exchange(&self) -> bool {
        true
    }

    fn take(&mut self, page: &mut Finished) -> Result<(), SinkError> {
        let r = &page.record;
        let fetched_ok = r.error.is_none() && r.status.is_some_and(|s| (200..300).contains(&s));
        let Ok(url) = url::Url::parse(&r.final_url) else {
            return Ok(());
        };
        let names = names::path_for(&url);
        if r.unchanged == Some(true) {
            // Not fetched again: the copy of the earlier pass stands.
            page.record.saved = Some(names.join("/"));
            return Ok(());
        }
        if !fetched_ok {
            return Ok(());
        }
        let Some(body) = self.body(page) else {
            return Ok(());
        };
        match self.save(&names, &body) {
            Ok(path) => page.record.saved = Some(path),
            Err(e) if fatal(&e) => {
                return Err(SinkError {
                    name: self.root.join(names.join("/")).display().to_string(),
                    source: e,
                });
            }
            Err(e) => tracing::warn!(
                "--save {}: {} not saved: {e}",
                self.root.display(),
                names.join("/")
            ),
        }
        Ok(())
    }

    fn buffered(&self) -> usize {
        0
    }

    fn flush(&mut self) -> Result<Flushed, SinkError> {
        Ok(Flushed::Open)
    }
}
