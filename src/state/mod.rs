//! Persistent crawl state (`--state PATH`): what lets a crawl resume after
//! any kill and recrawl incrementally from cron.
//!
//! Owns the row types that travel between the engine and the store, the
//! lock that keeps two runs off one state, and the repair of an output file
//! cut short by a kill. The store itself (`sqlite`) is driven only by the
//! writer thread, which marks a page done after its record line is written:
//! a kill can at worst repeat the records of pages in flight (at-least-once),
//! never lose one.

pub mod sqlite;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::frontier::scope::Anchor;

/// A URL admitted to the frontier of the current pass.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub key: u128,
    pub url: Box<str>,
    pub seed: Arc<str>,
    /// What the scope is measured from (the seed, or where it redirected).
    pub anchor: Arc<Anchor>,
    pub parent: Option<Arc<str>>,
    pub depth: u32,
    /// `true` for redirect targets: seen, but they get no record of their own.
    pub done: bool,
}

/// A pending row read back from the store.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub key: u128,
    pub url: String,
    pub seed: String,
    pub anchor: String,
    pub parent: Option<String>,
    pub depth: u32,
    /// What an earlier pass saw, for conditional requests.
    pub prior: Option<Prior>,
}

/// What an earlier pass stored about a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub status: u16,
    pub content_type: Option<String>,
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// All links of the page, and those of them marked nofollow.
    pub links: Vec<String>,
    pub nofollow: Vec<String>,
}

/// A page whose record has been written.
#[derive(Debug, Clone)]
pub struct Done {
    pub key: u128,
    pub status: Option<u16>,
    pub final_url: String,
    pub content_type: Option<String>,
    pub title: Option<String>,
    pub fetched_at: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// The record's links as a JSON array, filled in by the writer from the
    /// record itself when `store_links` (so they are never copied twice).
    pub links_json: Option<String>,
    pub store_links: bool,
    pub nofollow: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state {path}: {why}", path = .path.display())]
    Invalid { path: PathBuf, why: String },
    #[error("state {path}: {source}", path = .path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state {path} is locked by pid {pid}", path = .path.display())]
    Locked { path: PathBuf, pid: String },
    #[error("state {path}: lock file: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Holds `PATH.lock` for the life of the run. The OS releases the lock when
/// the process dies, however it dies, so a lock left by a dead run is simply
/// taken over.
pub struct StateLock {
    _file: File,
}

impl StateLock {
    pub fn acquire(state: &Path) -> Result<StateLock, StateError> {
        let mut lock_path = state.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let io = |source| StateError::Io {
            path: state.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(io)?;
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        let previous = previous.trim().to_string();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StateError::Locked {
                    path: state.to_path_buf(),
                    pid: if previous.is_empty() {
                        "?".into()
                    } else {
                        previous
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        if !previous.is_empty() {
            tracing::warn!(
                "state {}: taking over the lock of pid {previous}, which is no longer running",
                state.display()
            );
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(StateLock { _file: file })
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // An empty lock file means "released cleanly"; the OS lock goes with the file handle.
        let _ = self._file.set_len(0);
    }
}

/// Cuts a last line that a kill left without its newline, so appending
/// records to `path` never glues two records together. Returns the bytes cut.
pub fn cut_partial_line(path: &Path) -> std::io::Result<u64> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
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

    #[test]
    fn second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let held = StateLock::acquire(&state).unwrap();
        let err = StateLock::acquire(&state)
            .err()
            .expect("locked")
            .to_string();
        assert!(
            err.contains(&format!("locked by pid {}", std::process::id())),
            "{err}"
        );
        drop(held);
        assert!(StateLock::acquire(&state).is_ok(), "released on drop");
    }
}
