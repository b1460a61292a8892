//! Run control: the first signal drains requests in flight and exits 130
//! with whole records; a second exits at once; a closed stdout ends quietly;
//! the progress line stays on stderr.

use crate::common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use common::{ServerOpts, TestServer, finish_trawl, run_command, send_signal, spawn_trawl};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const LIMIT: Duration = Duration::from_secs(60);

fn fan_out(n: usize) -> Router {
    Router::new()
        .route(
            "/",
            get(move || async move {
                let links: String = (0..n)
                    .map(|i| format!("<a href=\"/p/{i}\">{i}</a>\n"))
                    .collect();
                Html(format!("<title>root</title>{links}"))
            }),
        )
        .route(
            "/p/{n}",
            get(|Path(n): Path<u32>| async move { Html(format!("<title>page {n}</title>")) }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Html("<title>late</title>")
            }),
        )
}

fn parse_lines(stdout: &str) -> Vec<Value> {
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "half a line at the end: {stdout:?}"
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn first_sigint_drains_in_flight_and_exits_130() {
    let server =
        TestServer::start(ServerOpts::routes(fan_out(60)).with_delay(Duration::from_millis(300)))
            .await;
    let child = spawn_trawl(&["crawl", "--per-host", "3", &server.url("/")]);
    server.wait_for_requests(5, Duration::from_secs(20)).await;
    send_signal(&child, "INT");
    let out = finish_trawl(child, Duration::from_secs(20)).await;
    assert_eq!(out.code(), Some(130), "stderr: {}", out.stderr);
    let records = parse_lines(&out.stdout);
    let requested = server.page_requests().len();
    assert!(requested < 61, "the crawl went on after the signal");
    // Every request the server got was in flight or done: each has its record.
    assert_eq!(records.len(), requested, "records vs requests");
    assert!(records.iter().all(|r| r["status"] == 200));
    assert!(
        out.stderr.contains("(interrupted)"),
        "summary: {}",
        out.stderr
    );
}

#[tokio::test]
async fn sigterm_behaves_like_sigint() {
    let server =
        TestServer::start(ServerOpts::routes(fan_out(60)).with_delay(Duration::from_millis(300)))
            .await;
    let child = spawn_trawl(&["crawl", "--per-host", "2", &server.url("/")]);
    server.wait_for_requests(3, Duration::from_secs(20)).await;
    send_signal(&child, "TERM");
    let out = finish_trawl(child, Duration::from_secs(20)).await;
    assert_eq!(out.code(), Some(130));
    assert_eq!(parse_lines(&out.stdout).len(), server.page_requests().len());
}

#[tokio::test]
async fn second_signal_exits_at_once() {
    let server = TestServer::start(ServerOpts::routes(fan_out(3))).await;
    let mut child = spawn_trawl(&["fetch", &server.url("/hang"), &server.url("/p/1")]);
    server
        .wait_until(Duration::from_secs(20), |s| s.count("/hang") == 1)
        .await;
    send_signal(&child, "INT");
    // Wait until trawl says it is draining, so the second signal is a second one.
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
    let draining = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            if line.contains("stopping") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        draining,
        Ok(true),
        "no 'stopping' message after the first signal"
    );
    let t = Instant::now();
    send_signal(&child, "INT");
    let out = finish_trawl(child, Duration::from_secs(10)).await;
    assert_eq!(out.code(), Some(130));
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "second signal took {:?}",
        t.elapsed()
    );
    // Whatever was written is whole lines: /p/1 finished, /hang never did.
    let records = parse_lines(&out.stdout);
    assert!(records.iter().all(|r| r["url"] != server.url("/hang")));
}

#[tokio::test]
async fn closed_stdout_ends_quietly() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let err = dir.path().join("stderr.txt");
    let code = dir.path().join("code.txt");
    let script = format!(
        "\"$0\" crawl --depth 5 --per-host 1 '{}' 2>'{}' | head -n 1; echo ${{PIPESTATUS[0]}} > '{}'",
        server.url("/"),
        err.display(),
        code.display()
    );
    let mut cmd = tokio::process::Command::new("bash");
    cmd.args(["-c", &script, env!("CARGO_BIN_EXE_trawl")]);
    let out = run_command(cmd, None, LIMIT).await;
    assert_eq!(out.code(), Some(0), "bash: {}", out.stderr);
    let first = parse_lines(&out.stdout);
    assert_eq!(first.len(), 1, "head printed one record");
    let trawl_code = std::fs::read_to_string(&code).expect("exit code written");
    assert_eq!(trawl_code.trim(), "0", "trawl's exit code");
    let stderr = std::fs::read_to_string(&err).expect("stderr written");
    assert!(
        !stderr.contains("panicked"),
        "panic text on stderr: {stderr}"
    );
    assert!(
        !stderr.to_lowercase().contains("broken pipe"),
        "error on stderr: {stderr}"
    );
}

#[tokio::test]
async fn progress_goes_to_stderr_only() {
    let server =
        TestServer::start(ServerOpts::routes(fan_out(12)).with_delay(Duration::from_millis(100)))
            .await;
    let child = spawn_trawl(&[
        "crawl",
        "--progress",
        "always",
        "--per-host",
        "2",
        &server.url("/"),
    ]);
    let out = finish_trawl(child, LIMIT).await;
    assert_eq!(out.code(), Some(0));
    assert_eq!(
        parse_lines(&out.stdout).len(),
        13,
        "stdout holds records only"
    );
    assert!(
        out.stderr.contains("in flight"),
        "progress on stderr: {}",
        out.stderr
    );
}
