//! The browser of a `--render` run, watched from outside: each run gets a
//! `TMPDIR` of its own, where trawl puts the browser's profile, so the
//! processes whose command line names it are that run's browser. After a
//! run none may be left (zombies, which have ended, aside) and the profile
//! must be gone; whatever a failed test leaves is killed on drop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{TrawlOutput, run_command};

/// How long one run may take.
pub const LIMIT: Duration = Duration::from_secs(90);

/// The browser's processes of one run, found by its `TMPDIR`.
pub struct Browsers {
    tmp: tempfile::TempDir,
}

impl Browsers {
    pub fn new() -> Browsers {
        assert!(
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .any(
                    |b| std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                        .any(|d| d.join(b).is_file())
                ),
            "these tests need Chromium: `apt-get install chromium` (.ci/run installs it)"
        );
        Browsers {
            tmp: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Live (not zombie) processes whose command line names this run's dir.
    pub fn alive(&self) -> Vec<(u32, String)> {
        let needle = self.dir().to_string_lossy().into_owned();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(true);
            if cmdline.contains(&needle) && !zombie {
                found.push((pid, cmdline));
            }
        }
        found
    }

    /// Waits up to `bound` for every browser process to be gone.
    pub async fn gone_within(&self, bound: Duration) -> Vec<(u32, String)> {
        let until = tokio::time::Instant::now() + bound;
        loop {
            let alive = self.alive();
            if alive.is_empty() || tokio::time::Instant::now() >= until {
                return alive;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Profiles left in the run's dir.
    pub fn profiles(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir())
            .expect("the run's TMPDIR")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().contains("trawl-chromium"))
            .collect()
    }

    /// Runs `trawl ARGS` with this dir as `TMPDIR`; after it exits, no
    /// browser process and no profile is left.
    pub async fn run(&self, args: &[&str]) -> TrawlOutput {
        let mut cmd = super::trawl_command(args);
        cmd.env("TMPDIR", self.dir());
        let out = run_command(cmd, None, LIMIT).await;
        self.assert_clean(&out).await;
        out
    }

    pub async fn assert_clean(&self, out: &TrawlOutput) {
        // trawl waits for the browser's processes before it exits; the
        // bound only covers the kernel's bookkeeping.
        let left = self.gone_within(Duration::from_secs(2)).await;
        assert!(
            left.is_empty(),
            "browser processes left after trawl exited: {left:?}\n{}",
            out.stderr
        );
        assert!(
            self.profiles().is_empty(),
            "profile left: {:?}",
            self.profiles()
        );
    }

    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        let mut cmd = super::trawl_command(args);
        cmd.env("TMPDIR", self.dir())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("start trawl")
    }
}

impl Drop for Browsers {
    /// Whatever happened, no process of this run outlives the test.
    fn drop(&mut self) {
        for (pid, _) in self.alive() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}
