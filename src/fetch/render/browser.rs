//! One headless Chromium process: finding it, starting it with a fresh
//! profile directory and a DevTools pipe (`cdp`), and ending it — politely
//! (`Browser.close`), then by force — with its profile removed.
//!
//! The process runs in a process group of its own, so a Ctrl-C at the
//! terminal reaches trawl, which ends the crawl and then the browser, rather
//! than the browser in the middle of a page. If trawl itself is killed, the
//! pipe closes and Chromium exits on its own (it watches the pipe).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use command_fds::{CommandFdExt, FdMapping};
use serde_json::json;
use tokio::net::unix::pipe;
use tokio::process::Child;

use super::cdp::Conn;

/// Names looked for on `PATH` when `--browser` is not given.
const NAMES: [&str; 5] = [
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
    "chrome",
];

/// How long a browser has to start and answer, and to close.
const START: Duration = Duration::from_secs(20);
const CLOSE: Duration = Duration::from_secs(3);

/// What to tell someone with no browser.
pub const INSTALL: &str = "install Chromium (Debian/Ubuntu: `apt-get install chromium`) \
                           or give its path with --browser PATH";

/// The browser `--browser` names, or the first of `NAMES` on `PATH`.
pub fn locate(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(path.to_path_buf()),
            Ok(_) => Err(format!(
                "--browser {}: not a file; {INSTALL}",
                path.display()
            )),
            Err(e) => Err(format!("--browser {}: {e}; {INSTALL}", path.display())),
        };
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    for name in NAMES {
        for dir in std::env::split_paths(&dirs) {
            let path = dir.join(name);
            if path.is_file() {
                return Ok(path);
            }
        }
    }
    Err(format!(
        "--render needs a Chromium-based browser and none of {} is on PATH; {INSTALL}",
        NAMES.join(", ")
    ))
}

/// A running browser.
pub struct Browser {
    pub conn: Arc<Conn>,
    child: tokio::sync::Mutex<Option<Child>>,
    /// Its process group (the browser's pid): the browser and its helpers.
    group: Option<i32>,
    profile: PathBuf,
    /// Pages loaded in it so far (the pool restarts it after a number).
    pub loads: AtomicU64,
}

/// Makes each profile directory's name unique within this process.
static STARTED: AtomicU64 = AtomicU64::new(0);

/// The browsers running now (process group, profile), for `abandon`.
static RUNNING: std::sync::Mutex<Vec<(i32, PathBuf)>> = std::sync::Mutex::new(Vec::new());

fn running() -> std::sync::MutexGuard<'static, Vec<(i32, PathBuf)>> {
    RUNNING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills every browser this process started and removes their profiles,
/// at once: for an exit that cannot wait (a second Ctrl-C).
pub fn abandon() {
    for (group, profile) in running().drain(..) {
        kill_group(group);
        let _ = std::fs::remove_dir_all(profile);
    }
}

impl Browser {
    /// Starts `path` and waits until it answers.
    pub async fn launch(path: &Path) -> Result<Browser, String> {
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("trawl-chromium-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&profile)
            .map_err(|e| format!("cannot create {}: {e}", profile.display()))?;
        let started = spawn(path, &profile).await;
        let (child, conn) = match started {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(e);
            }
        };
        let browser = Browser {
            conn,
            group: child.id().and_then(|id| i32::try_from(id).ok()),
            child: tokio::sync::Mutex::new(Some(child)),
            profile,
            loads: AtomicU64::new(0),
        };
        if let Some(group) = browser.group {
            running().push((group, browser.profile.clone()));
        }
        let version = tokio::time::timeout(
            START,
            browser.conn.call(None, "Browser.getVersion", json!({})),
        )
        .await;
        match version {
            Ok(Ok(v)) => {
                tracing::debug!("browser {}: {}", path.display(), v["product"]);
                Ok(browser)
            }
            failed => {
                let log =
                    std::fs::read_to_string(browser.profile.join("stderr.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(3).collect();
                browser.close().await;
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {START:?}"),
                };
                Err(format!(
                    "the browser {} did not start: {why}{}",
                    path.display(),
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (its last words: {})",
                            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                        )
                    }
                ))
            }
        }
    }

    /// Whether it still answers.
    pub fn is_alive(&self) -> bool {
        self.conn.is_open()
    }

    /// Ends the browser: asked to close, killed if it has not within
    /// `CLOSE`, waited for, its profile removed. Safe to call twice.
    pub async fn close(&self) {
        let Some(mut child) = self.child.lock().await.take() else {
            return;
        };
        if self.conn.is_open() {
            let _ =
                tokio::time::timeout(CLOSE, self.conn.call(None, "Browser.close", json!({}))).await;
        }
        if tokio::time::timeout(CLOSE, child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
        // Its helpers (zygote, renderers) leave when the browser has gone,
        // within moments; whatever has not is killed.
        if let Some(group) = self.group {
            let until = tokio::time::Instant::now() + CLOSE;
            while group_alive(group) && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            kill_group(group);
            running().retain(|(g, _)| *g != group);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    /// A browser dropped without `close` (a start given up half-way) is
    /// killed with its helpers, and its profile removed; tokio reaps it.
    fn drop(&mut self) {
        if self.child.get_mut().is_none() {
            return;
        }
        if let Some(group) = self.group {
            kill_group(group);
            running().retain(|(g, _)| *g != group);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Whether any process of `group` is left (read from `/proc`).
fn group_alive(group: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|e| {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            return false;
        };
        // Field 5 of /proc/PID/stat, after the parenthesized command name.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let fields = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let mut f = fields.split_whitespace();
            // state, ppid, pgrp; a zombie has ended already.
            let state = f.next();
            f.next();
            f.next() == Some(&group.to_string()) && state != Some("Z")
        })
    })
}

/// Kills every process of `group` (the browser's own group, never trawl's).
fn kill_group(group: i32) {
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(group),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// The flags (those of Puppeteer's launcher that apply): headless,
/// nothing fetched on its own (no updates, sync,
/// safe-browsing lists, which this kind of machine's network refuses
/// anyway), and the sandbox off only for root, where Chromium refuses to
/// start with it.
fn args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--remote-debugging-pipe",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-dev-shm-usage",
        "--mute-audio",
        // Every page is loaded in the background: its timers must not be
        // slowed, or a page would look settled between them.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        // A page left for about:blank must be freed, not kept for a Back
        // that never comes; the rest are services a crawl has no use for.
        "--disable-features=BackForwardCache,Translate,MediaRouter,OptimizationHints,\
         AcceptCHFrame,InterestFeedContentSuggestions,CalculateNativeWinOcclusion",
        "--blink-settings=imagesEnabled=false",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if running_as_root() {
        args.push("--no-sandbox".into());
    }
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// Whether this process runs as root (its `/proc/self` is owned by uid 0).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Starts the process with the DevTools pipe on its fds 3 and 4.
async fn spawn(path: &Path, profile: &Path) -> Result<(Child, Arc<Conn>), String> {
    let io = |e: std::io::Error| format!("the browser {}: {e}", path.display());
    let (child_reads, we_write) = std::io::pipe().map_err(io)?;
    let (we_read, child_writes) = std::io::pipe().map_err(io)?;
    let stderr = std::fs::File::create(profile.join("stderr.log")).map_err(io)?;
    let mut cmd = tokio::process::Command::new(path);
    cmd.args(args(profile))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(true);
    cmd.fd_mappings(vec![
        FdMapping {
            parent_fd: child_reads.into(),
            child_fd: 3,
        },
        FdMapping {
            parent_fd: child_writes.into(),
            child_fd: 4,
        },
    ])
    .map_err(|e| format!("the browser {}: {e}", path.display()))?;
    let child = cmd.spawn().map_err(io)?;
    // The child's ends are closed here, so the browser's exit closes the pipe.
    drop(cmd);
    let tx = pipe::Sender::from_owned_fd(we_write.into()).map_err(io)?;
    let rx = pipe::Receiver::from_owned_fd(we_read.into()).map_err(io)?;
    Ok((child, Conn::start(tx, rx)))
}
