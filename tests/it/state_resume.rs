//! `--state` resume: a crawl stopped by SIGINT, SIGTERM, `--max-time`,
//! `--max-pages` (the cron loop) or `kill -9` continues where it stopped when
//! the same command runs again; `-o FILE` is appended to (a partial last line
//! cut first); every page ends with one record across the runs, except pages
//! in flight at a `kill -9` (at-least-once); two runs on one state exclude
//! each other through the lock.
//!
//! The sites are trees: every page but the root is linked from one parent
//! only, so a link lost at a stop loses a whole subtree and shows up as
//! missing records; `a_single_run_with_state_covers_a_fast_site`,
//! `links_of_pages_finishing_after_a_signal_are_crawled_on_resume` and
//! `kill_9_never_loses_the_links_of_a_finished_page` are the regression tests
//! for the three ways links were once lost.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use common::{ServerOpts, TestServer, finish_trawl, run_trawl, send_signal, spawn_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// `/p/0` … `/p/{n-1}`: page k links back to `/p/0` and to its children
/// `/p/{fan·k+1}` … `/p/{fan·k+fan}`; with `fan = n - 1` the site is flat
/// (`/p/0` links to every page). While `gate` is closed every page waits.
fn tree(n: u32, fan: u32, gate: Option<Arc<AtomicBool>>) -> Router {
    Router::new().route(
        "/p/{k}",
        get(move |UrlPath(k): UrlPath<u32>| {
            let gate = gate.clone();
            async move {
                while gate.as_ref().is_some_and(|g| !g.load(Ordering::SeqCst)) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                if k >= n {
                    return (StatusCode::NOT_FOUND, Html(String::new()));
                }
                let mut body = format!("<title>page {k}</title><a href=\"/p/0\">home</a>\n");
                for c in (fan * k + 1..=fan * k + fan).filter(|&c| c < n) {
                    body.push_str(&format!("<a href=\"/p/{c}\">child {c}</a>\n"));
                }
                (StatusCode::OK, Html(body))
            }
        }),
    )
}

fn all_pages(n: u32) -> BTreeSet<String> {
    (0..n).map(|k| format!("/p/{k}")).collect()
}

/// One crawl's files: the state, the output, and the command that uses them.
struct Crawl {
    _dir: tempfile::TempDir,
    state: PathBuf,
    out: PathBuf,
    origin: String,
    concurrency: String,
}

impl Crawl {
    fn new(server: &TestServer) -> Crawl {
        Crawl::with_concurrency(server, 4)
    }

    fn with_concurrency(server: &TestServer, concurrency: u32) -> Crawl {
        let dir = tempfile::tempdir().expect("temp dir");
        Crawl {
            state: dir.path().join("crawl.state"),
            out: dir.path().join("out.jsonl"),
            _dir: dir,
            origin: server.origin(),
            concurrency: concurrency.to_string(),
        }
    }

    /// `crawl --state S -o OUT --depth 50 --concurrency C EXTRA… ORIGIN/p/0`.
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "crawl",
            "--state",
            path_str(&self.state),
            "-o",
            path_str(&self.out),
            "--depth",
            "50",
            "--concurrency",
            &self.concurrency,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(format!("{}/p/0", self.origin));
        args
    }

    async fn run(&self, extra: &[&str]) -> common::TrawlOutput {
        run_trawl(&strs(&self.args(extra)), None, LIMIT).await
    }

    fn spawn(&self, extra: &[&str]) -> tokio::process::Child {
        spawn_trawl(&strs(&self.args(extra)))
    }

    /// Every record in the output file, which must hold whole JSON lines.
    fn records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "output ends with a partial line: {:?}",
            text.lines().last()
        );
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l:?}")))
            .collect()
    }

    /// Path of each record → how many records it has.
    fn record_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in self.records() {
            let url = r["url"].as_str().expect("url");
            let path = url.strip_prefix(&self.origin).unwrap_or(url).to_string();
            *counts.entry(path).or_default() += 1;
        }
        counts
    }

    /// Appends the start of a record without its newline, as a kill
    /// mid-write would leave it.
    fn append_partial_line(&self) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.out)
            .expect("open output");
        f.write_all(b"{\"url\":\"http://partial.invalid/")
            .expect("append");
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Page path → how many times the server was asked for it.
fn request_counts(server: &TestServer) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in server.page_requests() {
        *counts.entry(r.path).or_default() += 1;
    }
    counts
}

fn distinct_pages(server: &TestServer) -> usize {
    request_counts(server).len()
}

/// Asserts the output holds exactly one record per page and that the server
/// saw each page exactly once.
fn assert_exactly_once(crawl: &Crawl, server: &TestServer, n: u32) {
    let records = crawl.record_counts();
    let missing: Vec<_> = all_pages(n)
        .into_iter()
        .filter(|p| !records.contains_key(p))
        .collect();
    assert!(
        missing.is_empty(),
        "{} pages have no record: {missing:?}",
        missing.len()
    );
    let twice: Vec<_> = records.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "pages with several records: {twice:?}");
    assert_eq!(records.len(), n as usize, "records for pages off the site");
    let refetched: Vec<_> = request_counts(server)
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .collect();
    assert!(refetched.is_empty(), "pages fetched twice: {refetched:?}");
}

/// Stops a run with `signal` once `pages` distinct pages have been asked for;
/// the run must drain and exit 130 with a record for every request so far.
async fn interrupt_at(crawl: &Crawl, server: &TestServer, signal: &str, pages: usize) {
    let child = crawl.spawn(&[]);
    assert!(
        server
            .wait_until(LIMIT, |s| distinct_pages(s) >= pages)
            .await,
        "the crawl never reached {pages} pages"
    );
    send_signal(&child, signal);
    let out = finish_trawl(child, LIMIT).await;
    out.assert_code(130);
    let records: usize = crawl.record_counts().values().sum();
    assert_eq!(
        records,
        server.page_requests().len(),
        "after SIG{signal}: every request made so far has its record"
    );
}

#[tokio::test]
async fn sigint_and_sigterm_then_resume_lose_and_repeat_nothing() {
    // Flat: the pages in flight at a signal have no links of their own.
    let n = 120;
    let server = TestServer::start(
        ServerOpts::routes(tree(n, n - 1, None)).with_delay(Duration::from_millis(40)),
    )
    .await;
    let crawl = Crawl::new(&server);
    interrupt_at(&crawl, &server, "INT", 15).await;
    crawl.append_partial_line();
    interrupt_at(&crawl, &server, "TERM", 50).await;
    assert!(
        distinct_pages(&server) < n as usize,
        "signals came too late"
    );
    crawl.run(&[]).await.assert_code(0);
    assert_exactly_once(&crawl, &server, n);
}

#[tokio::test]
async fn links_of_pages_finishing_after_a_signal_are_crawled_on_resume() {
    // A tree: the pages in flight at the signal are the only way to their children.
    let n = 120;
    let server = TestServer::start(
        ServerOpts::routes(tree(n, 3, None)).with_delay(Duration::from_millis(40)),
    )
    .await;
    let crawl = Crawl::new(&server);
    interrupt_at(&crawl, &server, "INT", 15).await;
    crawl.run(&[]).await.assert_code(0);
    assert_exactly_once(&crawl, &server, n);
}

#[tokio::test]
async fn max_time_then_resume_appends_and_cuts_a_partial_line() {
    let n = 120;
    // 40 ms a page at 4 in flight: the whole site takes over a second. The
    // pages with links (k < 20) come first, so the last run admits nothing.
    let server = TestServer::start(
        ServerOpts::routes(tree(n, 6, None)).with_delay(Duration::from_millis(40)),
    )
    .await;
    let crawl = Crawl::new(&server);
    crawl.run(&["--max-time", "400ms"]).await.assert_code(0);
    let first = crawl.records().len();
    crawl.append_partial_line();
    crawl.run(&["--max-time", "400ms"]).await.assert_code(0);
    let second = crawl.records().len();
    assert!(second >= first, "records of the first run lost");
    assert!(
        distinct_pages(&server) < n as usize,
        "two runs of --max-time 400ms fetched the whole site"
    );
    crawl.append_partial_line();
    crawl.run(&[]).await.assert_code(0);
    assert_exactly_once(&crawl, &server, n);
    let text = std::fs::read_to_string(&crawl.out).expect("output");
    assert!(!text.contains("partial.invalid"), "partial line kept");
}

/// Kills a crawl of `tree(n, fan)` with `kill -9` once the server has seen
/// each of `moments` distinct pages, resumes it to the end, and checks that
/// every page has a record, and that repeated records and re-fetches stay
/// within `--concurrency` per kill.
async fn kill_9_then_resume(n: u32, fan: u32, moments: &[usize]) {
    let concurrency = 4;
    let server = TestServer::start(
        ServerOpts::routes(tree(n, fan, None)).with_delay(Duration::from_millis(30)),
    )
    .await;
    let crawl = Crawl::with_concurrency(&server, concurrency);
    for (i, &pages) in moments.iter().enumerate() {
        let child = crawl.spawn(&[]);
        assert!(
            server
                .wait_until(LIMIT, |s| distinct_pages(s) >= pages)
                .await,
            "run {} never reached {pages} pages",
            i + 1
        );
        send_signal(&child, "KILL");
        let out = finish_trawl(child, LIMIT).await;
        assert_eq!(out.code(), None, "run {} was not killed", i + 1);
        if i == 2 {
            crawl.append_partial_line();
        }
    }
    assert!(distinct_pages(&server) < n as usize, "kills came too late");
    crawl.run(&[]).await.assert_code(0);

    let kills = moments.len();
    let records = crawl.record_counts();
    let requests = request_counts(&server);
    let missing: Vec<_> = all_pages(n)
        .into_iter()
        .filter(|p| !records.contains_key(p))
        .collect();
    assert!(
        missing.is_empty(),
        "{} pages have no record in any run: {missing:?}",
        missing.len()
    );
    assert_eq!(records.len(), n as usize, "records for pages off the site");
    let extra_records: usize = records.values().map(|c| c - 1).sum();
    let extra_requests: usize = requests.values().map(|c| c - 1).sum();
    let bound = kills * concurrency as usize;
    assert!(
        extra_records <= bound,
        "{extra_records} repeated records after {kills} kills at --concurrency {concurrency}"
    );
    assert!(
        extra_requests <= bound,
        "{extra_requests} re-fetches after {kills} kills at --concurrency {concurrency}: {:?}",
        requests.iter().filter(|(_, c)| **c > 1).collect::<Vec<_>>()
    );
    for (path, c) in &records {
        let r = requests.get(path).copied().unwrap_or(0);
        assert!(r >= *c, "{path}: {c} records from {r} requests");
        assert!(r <= 1 + kills, "{path} fetched {r} times");
    }
    let text = std::fs::read_to_string(&crawl.out).expect("output");
    assert!(!text.contains("partial.invalid"), "partial line kept");
}

#[tokio::test]
async fn kill_9_at_five_moments_then_resume_is_at_least_once() {
    // Flat: every link is stored before any page but the first is fetched.
    let n = 150;
    kill_9_then_resume(n, n - 1, &[1, 9, 33, 70, 112]).await;
}

#[tokio::test]
async fn kill_9_never_loses_the_links_of_a_finished_page() {
    // A tree, killed whenever a new request starts, which is right after a
    // page finished and before its links reach the store. The pages with
    // links (k < 120) are all done before the last run.
    let moments: Vec<usize> = (2..=124).step_by(2).collect();
    kill_9_then_resume(240, 2, &moments).await;
}

/// Runs `--max-pages 10` until `--stats` says the pass is complete, and
/// checks the site was covered exactly once, 10 pages a run.
async fn cron_loop(n: u32) {
    // One request at a time, so each run's page count is exact.
    let server = TestServer::start(
        ServerOpts::routes(tree(n, 3, None)).with_delay(Duration::from_millis(20)),
    )
    .await;
    let crawl = Crawl::with_concurrency(&server, 1);
    let stats_path = crawl.out.with_file_name("stats.json");
    let stats_arg = path_str(&stats_path).to_string();
    let mut per_run = Vec::new();
    let mut total = 0;
    loop {
        assert!(per_run.len() < 20, "the loop never ended: {per_run:?}");
        let out = crawl
            .run(&["--max-pages", "10", "--stats", &stats_arg])
            .await;
        out.assert_code(0);
        let now = crawl.records().len();
        let written = now - total;
        total = now;
        per_run.push(written);
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&stats_path).expect("stats written"))
                .expect("stats are JSON");
        assert_eq!(stats["pass"], 1, "{stats}");
        if stats["pass_complete"] == true {
            assert_eq!(stats["pending"], 0, "{stats}");
            assert!(out.stderr.contains("pass 1 complete"), "{}", out.stderr);
            break;
        }
        assert!(stats["pending"].as_u64().unwrap_or(0) > 0, "{stats}");
        assert!(
            out.stderr.contains("pending for the next run"),
            "{}",
            out.stderr
        );
        if per_run.len() == 2 {
            crawl.append_partial_line();
        }
    }
    let mut expected = vec![10; n as usize / 10];
    if !n.is_multiple_of(10) {
        expected.push(n as usize % 10);
    }
    assert_eq!(per_run, expected, "records written by each run");
    assert_exactly_once(&crawl, &server, n);

    // The pass is finished: the next run starts a recrawl from the seed.
    crawl
        .run(&["--max-pages", "10", "--stats", &stats_arg])
        .await
        .assert_code(0);
    let all = crawl.records();
    let again = &all[total..];
    assert_eq!(again.len(), 10.min(n as usize));
    assert!(
        again.iter().all(|r| r["unchanged"] == true),
        "a recrawl of an unchanged site: {again:?}"
    );
    assert_eq!(again[0]["url"], format!("{}/p/0", server.origin()));
    let stats = std::fs::read_to_string(&stats_path).expect("stats written");
    assert!(stats.contains("\"pass\": 2"), "{stats}");
}

#[tokio::test]
async fn max_pages_cron_loop_covers_the_site_exactly_once() {
    cron_loop(63).await;
}

#[tokio::test]
async fn max_pages_cron_loop_completes_the_pass_on_its_last_full_run() {
    cron_loop(60).await;
}

#[tokio::test]
async fn a_locked_state_refuses_a_second_run_and_a_dead_holder_is_taken_over() {
    let n = 30;
    let gate = Arc::new(AtomicBool::new(false));
    let server = TestServer::start(ServerOpts::routes(tree(n, n - 1, Some(gate.clone())))).await;
    let crawl = Crawl::new(&server);
    let first = crawl.spawn(&[]);
    let pid = first.id().expect("running");
    // The first run holds the lock before its first request, which now waits.
    assert!(
        server
            .wait_until(LIMIT, |s| !s.page_requests().is_empty())
            .await
    );

    let second = crawl.run(&[]).await;
    second.assert_code(1);
    let want = format!("state {} is locked by pid {pid}", crawl.state.display());
    assert!(
        second.stderr.contains(&want),
        "expected {want:?} on stderr: {}",
        second.stderr
    );
    assert_eq!(server.page_requests().len(), 1, "the second run fetched");

    send_signal(&first, "KILL");
    assert_eq!(finish_trawl(first, LIMIT).await.code(), None);
    gate.store(true, Ordering::SeqCst);

    let third = crawl.run(&[]).await;
    third.assert_code(0);
    assert!(
        third.stderr.contains(&pid.to_string()) && third.stderr.contains("lock"),
        "no warning about taking over the lock of pid {pid}: {}",
        third.stderr
    );
    let records = crawl.record_counts();
    assert_eq!(
        records.keys().cloned().collect::<BTreeSet<_>>(),
        all_pages(n)
    );
    assert!(records.values().all(|c| *c == 1), "{records:?}");
}

#[tokio::test]
async fn a_single_run_with_state_covers_a_fast_site() {
    // No server delay: fetches finish while the engine waits for rows from
    // the store, which is where links went missing.
    let n = 400;
    let server = TestServer::start(ServerOpts::routes(tree(n, 3, None))).await;
    let crawl = Crawl::new(&server);
    crawl.run(&[]).await.assert_code(0);
    assert_exactly_once(&crawl, &server, n);
}
