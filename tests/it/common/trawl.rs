//! Runs the real `trawl` binary (`CARGO_BIN_EXE_trawl`) the way a user would
//! and hands back what it printed.
//!
//! Every run is bounded: [`run_trawl`] and [`finish_trawl`] kill the process
//! and panic with its partial output when the timeout passes, and every child
//! is killed if the test drops it. The child's environment is cleaned of
//! `TRAWL_*`, proxy and `RUST_LOG` variables so the developer's shell cannot
//! change a test's outcome; a test that needs one sets it on
//! [`trawl_command`]'s `Command` and runs it with [`run_command`].

use std::ffi::OsStr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How long to wait for the output pipes to close once the process is gone.
const PIPE_GRACE: Duration = Duration::from_secs(5);

/// Output shown per stream when a run fails.
const SHOWN_BYTES: usize = 8 * 1024;

/// What a finished `trawl` process left behind.
#[derive(Debug)]
pub struct TrawlOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl TrawlOutput {
    /// The exit code; `None` when killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Every stdout line parsed as one JSON record. Panics, showing the line
    /// and stderr, on a line that is not JSON or a last line without its
    /// newline (a half-written record).
    pub fn records(&self) -> Vec<serde_json::Value> {
        if !self.stdout.is_empty() && !self.stdout.ends_with('\n') {
            panic!(
                "trawl's last stdout line has no newline (half-written record?): {:?}\n{}",
                self.stdout.lines().last().unwrap_or_default(),
                self.stderr_excerpt()
            );
        }
        self.stdout
            .lines()
            .enumerate()
            .map(|(index, line)| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "stdout line {} is not a JSON record ({e}): {line:?}\n{}",
                        index + 1,
                        self.stderr_excerpt()
                    )
                })
            })
            .collect()
    }

    /// Panics, showing stdout and stderr, unless trawl exited with `expected`.
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(expected),
            "trawl exited with {}, expected {expected}\n--- stdout ---\n{}\n{}",
            self.status,
            excerpt(&self.stdout),
            self.stderr_excerpt()
        );
        self
    }

    fn stderr_excerpt(&self) -> String {
        format!("--- stderr ---\n{}", excerpt(&self.stderr))
    }
}

/// A `Command` for the trawl binary with `args` and a clean environment;
/// stdio is left for the runner to set.
pub fn trawl_command<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trawl"));
    command.args(args);
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy().to_ascii_uppercase();
        if name.starts_with("TRAWL_") || name.ends_with("_PROXY") || name == "RUST_LOG" {
            command.env_remove(&key);
        }
    }
    command.kill_on_drop(true);
    command
}

/// Runs `trawl ARGS`, feeding `stdin` if given (else stdin is empty), and
/// waits for it to exit; kills it and panics after `timeout`.
pub async fn run_trawl(args: &[&str], stdin: Option<&[u8]>, timeout: Duration) -> TrawlOutput {
    run_command(trawl_command(args), stdin, timeout).await
}

/// [`run_trawl`] for a prepared command (extra environment, working
/// directory, or another program altogether).
pub async fn run_command(
    mut command: Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> TrawlOutput {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.as_std()));
    let feeder = match (stdin, child.stdin.take()) {
        (Some(data), Some(mut pipe)) => {
            let data = data.to_vec();
            Some(tokio::spawn(async move {
                // trawl may exit without reading everything (a usage error,
                // say); the broken pipe that follows is not the test's concern.
                let _ = pipe.write_all(&data).await;
            }))
        }
        _ => None,
    };
    let description = format!("{:?}", command.as_std());
    let output = collect(child, &description, timeout).await;
    if let Some(feeder) = feeder {
        feeder.abort();
    }
    output
}

/// Starts `trawl ARGS` with stdout and stderr piped and stdin empty, for
/// tests that watch it run or send it signals; finish with [`finish_trawl`].
pub fn spawn_trawl(args: &[&str]) -> Child {
    let mut command = trawl_command(args);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.as_std()))
}

/// Waits for a child from [`spawn_trawl`] to exit and collects its output;
/// kills it and panics after `timeout`. A stream the test already took from
/// the child comes back empty.
pub async fn finish_trawl(child: Child, timeout: Duration) -> TrawlOutput {
    let description = format!("trawl (pid {:?})", child.id());
    collect(child, &description, timeout).await
}

/// Sends `signal` (a name for `kill -s`: `INT`, `TERM`, `KILL`) to a running
/// child.
pub fn send_signal(child: &Child, signal: &str) {
    let pid = child
        .id()
        .unwrap_or_else(|| panic!("cannot send SIG{signal}: the child has already exited"));
    let status = std::process::Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill -s {signal} {pid}: {e}"));
    assert!(status.success(), "kill -s {signal} {pid} failed: {status}");
}

async fn collect(mut child: Child, description: &str, timeout: Duration) -> TrawlOutput {
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.unwrap_or_else(|e| panic!("cannot wait for {description}: {e}")),
        Err(_) => {
            // Kill first, then show whatever it printed before hanging.
            let _ = child.start_kill();
            let _ = child.wait().await;
            let stdout = join(stdout).await;
            let stderr = join(stderr).await;
            panic!(
                "{description} did not finish within {timeout:?}; killed it\n\
                 --- stdout ---\n{}\n--- stderr ---\n{}",
                excerpt(&String::from_utf8_lossy(&stdout)),
                excerpt(&String::from_utf8_lossy(&stderr)),
            );
        }
    };
    let stdout = join(stdout).await;
    let stderr = String::from_utf8_lossy(&join(stderr).await).into_owned();
    let stdout = String::from_utf8(stdout).unwrap_or_else(|e| {
        panic!(
            "{description} wrote invalid UTF-8 to stdout ({e})\n--- stderr ---\n{}",
            excerpt(&stderr)
        )
    });
    TrawlOutput {
        status,
        stdout,
        stderr,
    }
}

fn read_all(mut pipe: impl AsyncRead + Unpin + Send + 'static) -> JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        // A read error ends the stream; what was read so far is kept.
        let _ = pipe.read_to_end(&mut bytes).await;
        bytes
    })
}

/// The bytes a reader task collected, waiting at most [`PIPE_GRACE`] (a
/// grandchild could keep the pipe open).
async fn join(reader: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    let Some(mut reader) = reader else {
        return Vec::new();
    };
    match tokio::time::timeout(PIPE_GRACE, &mut reader).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => panic!("output reader failed: {e}"),
        Err(_) => {
            reader.abort();
            b"<pipe still open after the process exited>".to_vec()
        }
    }
}

/// The end of `text`, at most [`SHOWN_BYTES`], cut at a character boundary.
fn excerpt(text: &str) -> &str {
    let mut start = text.len().saturating_sub(SHOWN_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
