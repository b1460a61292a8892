//! The lock that keeps two runs off one state file: `PATH.lock`, held with
//! an OS file lock for the life of the run and holding the pid, so a second
//! run can say who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Holds `PATH.lock` for the life of the run. The OS releases the lock when
/// the process dies, however it dies, so a lock left by a dead run is simply
/// taken over.
pub struct StateLock {
    _file: File,
}

impl StateLock {
    pub fn acquire(state: &Path) -> Result<StateLock, StoreError> {
        let mut lock_path = state.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let io = |source: std::io::Error| StoreError::Failed {
            path: state.to_path_buf(),
            why: format!("lock file: {source}"),
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
                return Err(StoreError::Locked {
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

#[cfg(test)]
mod tests {
    use super::*;

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
