//! Shared crawls on a real `redis-server` (`--redis`, `--crawl-id`,
//! `status`, `purge`): several real `trawl` workers against local test
//! sites, judged from the union of their outputs, the sites' request logs
//! and what Redis holds. Each test starts its own server on a free port and
//! kills it, and every worker, whatever happens.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use common::redis::RedisServer;
use common::{ServerOpts, TestServer, finish_trawl, run_trawl, send_signal, spawn_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// `/p/0` … `/p/{n-1}`: page k links to `/p/0` and to `/p/{2k+1}`,
/// `/p/{2k+2}`; `/p/0` also links to a missing page, `/p/{n}` (404).
fn tree(n: u32) -> Router {
    Router::new().route(
        "/p/{k}",
        get(move |UrlPath(k): UrlPath<u32>| async move {
            if k >= n {
                return (StatusCode::NOT_FOUND, Html(String::new()));
            }
            let mut body = format!("<title>page {k}</title><a href=\"/p/0\">home</a>\n");
            for c in [2 * k + 1, 2 * k + 2].into_iter().filter(|&c| c < n) {
                body.push_str(&format!("<a href=\"/p/{c}\">child</a>\n"));
            }
            if k == 0 {
                body.push_str(&format!("<a href=\"/p/{n}\">missing</a>\n"));
            }
            (StatusCode::OK, Html(body))
        }),
    )
}

/// Two hosts (two ports) of `n` pages each, answering after `delay`.
async fn two_hosts(n: u32, delay: Duration) -> [TestServer; 2] {
    let start = || TestServer::start(ServerOpts::routes(tree(n)).with_delay(delay));
    [start().await, start().await]
}

/// Every URL the crawl of `sites` should have a record for.
fn all_urls(sites: &[TestServer], n: u32) -> BTreeSet<String> {
    sites
        .iter()
        .flat_map(|s| (0..=n).map(move |k| s.url(&format!("/p/{k}"))))
        .collect()
}

/// One shared crawl: its Redis, id and the workers' output files.
struct Crawl {
    redis: RedisServer,
    id: String,
    dir: tempfile::TempDir,
    seeds: Vec<String>,
}

impl Crawl {
    fn new(redis: RedisServer, sites: &[TestServer]) -> Crawl {
        Crawl {
            redis,
            id: "t".into(),
            dir: tempfile::tempdir().expect("a temp dir"),
            seeds: sites.iter().map(|s| s.url("/p/0")).collect(),
        }
    }

    fn out(&self, worker: usize) -> PathBuf {
        self.dir.path().join(format!("w{worker}.jsonl"))
    }

    fn args(&self, worker: usize, extra: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = ["crawl", "--depth", "50"]
            .into_iter()
            .map(String::from)
            .collect();
        if !extra.contains(&"-j") {
            a.extend(["-j".into(), "4".into()]);
        }
        a.extend(self.seeds.iter().cloned());
        a.extend(
            [
                "--redis",
                &self.redis.url(),
                "--crawl-id",
                &self.id,
                "-o",
                path_str(&self.out(worker)),
            ]
            .map(String::from),
        );
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    fn spawn(&self, worker: usize, extra: &[&str]) -> tokio::process::Child {
        let args = self.args(worker, extra);
        spawn_trawl(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Records of worker `w` so far.
    fn records(&self, worker: usize) -> Vec<Value> {
        let text = std::fs::read_to_string(self.out(worker)).unwrap_or_default();
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    }

    /// How often each URL has a record in the outputs of `workers`.
    fn union(&self, workers: usize) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for w in 0..workers {
            for r in self.records(w) {
                *m.entry(r["url"].as_str().expect("a record has a url").to_string())
                    .or_default() += 1;
            }
        }
        m
    }

    async fn status(&self) -> Value {
        let out = run_trawl(
            &[
                "status",
                "--redis",
                &self.redis.url(),
                "--crawl-id",
                &self.id,
            ],
            None,
            LIMIT,
        )
        .await;
        out.assert_code(0);
        serde_json::from_str(out.stdout.trim()).expect("status prints JSON")
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// Page requests (not robots.txt) of `site`, per path.
fn page_counts(site: &TestServer) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in site.page_requests() {
        *m.entry(r.path).or_default() += 1;
    }
    m
}

/// Page requests of all `sites` together.
fn pages(sites: &[TestServer]) -> usize {
    sites.iter().map(|s| s.page_requests().len()).sum()
}

async fn finish_all(children: Vec<tokio::process::Child>) -> Vec<common::TrawlOutput> {
    let mut outs = Vec::new();
    for c in children {
        outs.push(finish_trawl(c, LIMIT).await);
    }
    outs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_fetch_every_page_of_a_two_host_site_once() {
    let n = 40;
    let sites = two_hosts(n, Duration::from_millis(5)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let workers = (0..3).map(|w| crawl.spawn(w, &["--lease", "2s"])).collect();
    for out in finish_all(workers).await {
        out.assert_code(0);
    }
    let union = crawl.union(3);
    let want = all_urls(&sites, n);
    assert_eq!(union.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(union.values().all(|&c| c == 1), "a URL twice: {union:?}");
    for site in &sites {
        let counts = page_counts(site);
        assert_eq!(counts.len(), n as usize + 1);
        assert!(counts.values().all(|&c| c == 1), "{counts:?}");
    }
    let status = crawl.status().await;
    assert_eq!(status["done"], 2 * (n + 1));
    assert_eq!(status["errors"]["http_status"], 2);
    assert_eq!(
        (&status["pending"], &status["leased"]),
        (&0.into(), &0.into())
    );
    assert_eq!(status["finished"], true);
    assert_eq!(
        status["workers"],
        Value::Array(vec![]),
        "workers that left are not listed"
    );
}

/// The worker with the most records so far (one that holds a busy host).
fn busiest(crawl: &Crawl, workers: usize) -> usize {
    (0..workers)
        .max_by_key(|&w| crawl.records(w).len())
        .expect("at least one worker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_crawl_loses_nothing() {
    let n = 60;
    let sites = two_hosts(n, Duration::from_millis(40)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let mut workers: Vec<_> = (0..3)
        .map(|w| Some(crawl.spawn(w, &["--lease", "1s", "--per-host", "2"])))
        .collect();
    assert!(sites[0].wait_until(LIMIT, |_| pages(&sites) >= 30).await);
    let victim = busiest(&crawl, 3);
    let child = workers[victim].take().unwrap();
    send_signal(&child, "KILL");
    let killed = finish_trawl(child, LIMIT).await;
    assert_eq!(killed.code(), None, "killed by a signal");
    let held = crawl.records(victim).len();
    for out in finish_all(workers.into_iter().flatten().collect()).await {
        out.assert_code(0);
    }
    let union = crawl.union(3);
    assert_eq!(
        union.keys().cloned().collect::<BTreeSet<_>>(),
        all_urls(&sites, n),
        "the survivors cover every page"
    );
    // Fetched again: at most what the dead worker had in flight or
    // written but not acknowledged, which its -j (4) bounds.
    let again: usize = sites
        .iter()
        .flat_map(|s| page_counts(s).into_values())
        .map(|c| c - 1)
        .sum();
    assert!(
        again <= 4,
        "{again} pages fetched twice (victim wrote {held})"
    );
    assert_eq!(crawl.status().await["done"], 2 * (n + 1));
}

/// Crawls two hosts of `n` pages with `workers` workers and `args`; the
/// sites, as the server saw them.
async fn crawl_two_hosts(
    workers: usize,
    n: u32,
    delay: Duration,
    args: &[&str],
) -> [TestServer; 2] {
    let sites = two_hosts(n, delay).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let children = (0..workers).map(|w| crawl.spawn(w, args)).collect();
    for out in finish_all(children).await {
        out.assert_code(0);
    }
    assert_eq!(crawl.union(workers).len(), 2 * (n as usize + 1));
    sites
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limits_hold_with_three_workers_as_with_one() {
    let mut seen = Vec::new();
    for workers in [1, 3] {
        // --per-host 2 on a slow server, no rate: at most 2 in flight.
        let args = ["--lease", "1s", "--per-host", "2", "-j", "8"];
        for site in crawl_two_hosts(workers, 30, Duration::from_millis(80), &args).await {
            let in_flight = site.max_in_flight();
            assert!(
                in_flight <= 2,
                "{workers} workers: {in_flight} in flight at once"
            );
            seen.push((workers, "max in flight", format!("{in_flight}")));
        }
        // --rate 20: no request ahead of a schedule of one every 50 ms,
        // robots.txt and the handovers between workers included, allowing
        // for the noise in the server's time stamps (`common::schedule`).
        // The run has the CPU to itself, as the other rate tests do.
        let _cpu = common::cpu::exclusive().await;
        let args = [
            "--lease",
            "1s",
            "--per-host",
            "2",
            "--rate",
            "20",
            "-j",
            "8",
        ];
        for site in crawl_two_hosts(workers, 24, Duration::from_millis(5), &args).await {
            let requests = site.requests();
            if let Err(e) = common::schedule::on_schedule(&requests, 0.050) {
                panic!("{workers} workers: {e}");
            }
            let gap = requests
                .windows(2)
                .map(|w| w[1].arrived.duration_since(w[0].arrived))
                .min()
                .unwrap_or_default();
            seen.push((workers, "min gap", format!("{gap:?}")));
        }
    }
    eprintln!("{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_worker_cannot_write_into_shards_it_lost() {
    let n = 40;
    let sites = two_hosts(n, Duration::from_millis(60)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let args = ["--lease", "1s", "--per-host", "1", "-j", "2", "-v"];
    let a = crawl.spawn(0, &args);
    assert!(sites[0].wait_until(LIMIT, |_| pages(&sites) >= 8).await);
    send_signal(&a, "STOP");
    let before = crawl.records(0).len();
    // B joins; A's shards expire and B takes them over.
    let b = crawl.spawn(1, &args);
    tokio::time::sleep(Duration::from_secs(4)).await;
    send_signal(&a, "CONT");
    let out_b = finish_trawl(b, LIMIT).await;
    let out_a = finish_trawl(a, LIMIT).await;
    out_a.assert_code(0);
    out_b.assert_code(0);
    assert!(
        out_a.stderr.contains("lost while"),
        "A was told it lost its shards:\n{}",
        out_a.stderr
    );
    // After it woke, A wrote only the pages it had in flight (-j 2) ...
    let after = crawl.records(0).len();
    assert!(
        after <= before + 2,
        "A wrote {} records after waking",
        after - before
    );
    // ... and every page is done exactly once in Redis: A's late
    // acknowledgements were refused, not counted over B's.
    let union = crawl.union(2);
    assert_eq!(
        union.keys().cloned().collect::<BTreeSet<_>>(),
        all_urls(&sites, n)
    );
    let status = crawl.status().await;
    assert_eq!(status["done"], 2 * (n + 1), "{status}");
    let again: usize = sites
        .iter()
        .flat_map(|s| page_counts(s).into_values())
        .map(|c| c - 1)
        .sum();
    assert!(again <= 2, "{again} pages fetched twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pages_counts_for_the_whole_crawl() {
    let sites = two_hosts(40, Duration::from_millis(5)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let children = (0..3)
        .map(|w| crawl.spawn(w, &["--lease", "1s", "--max-pages", "25"]))
        .collect();
    for out in finish_all(children).await {
        out.assert_code(0);
    }
    let fetched: usize = sites.iter().map(|s| s.page_requests().len()).sum();
    let records: usize = crawl.union(3).values().sum();
    assert!(fetched <= 25, "{fetched} pages fetched");
    assert!((20..=25).contains(&records), "{records} records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_join_late_and_leave_early_and_seeds_are_deduplicated() {
    let n = 40;
    let sites = two_hosts(n, Duration::from_millis(30)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites);
    let args = ["--lease", "1s", "--per-host", "2"];
    let first = crawl.spawn(0, &args);
    assert!(sites[0].wait_until(LIMIT, |_| pages(&sites) >= 10).await);
    // The same seeds again, and one more.
    let extra = sites[0].url("/p/5");
    let mut late_args = args.to_vec();
    late_args.push(&extra);
    let second = crawl.spawn(1, &late_args);
    assert!(sites[0].wait_until(LIMIT, |_| pages(&sites) >= 30).await);
    send_signal(&first, "TERM");
    let out_first = finish_trawl(first, LIMIT).await;
    assert_eq!(out_first.code(), Some(130), "{}", out_first.stderr);
    finish_trawl(second, LIMIT).await.assert_code(0);
    let union = crawl.union(2);
    assert_eq!(
        union.keys().cloned().collect::<BTreeSet<_>>(),
        all_urls(&sites, n)
    );
    assert!(union.values().all(|&c| c == 1), "a URL twice: {union:?}");
    for site in &sites {
        assert!(page_counts(site).values().all(|&c| c == 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lost_mid_crawl_exits_1_after_the_timeout() {
    let sites = two_hosts(40, Duration::from_millis(100)).await;
    let mut crawl = Crawl::new(RedisServer::start(), &sites[..1]);
    let url = crawl.redis.url();
    let w = crawl.spawn(0, &["--per-host", "1", "--redis-timeout", "2s"]);
    assert!(
        sites[0]
            .wait_until(LIMIT, |s| s.page_requests().len() >= 4)
            .await
    );
    crawl.redis.kill();
    let lost = Instant::now();
    let out = finish_trawl(w, LIMIT).await;
    out.assert_code(1);
    assert!(
        lost.elapsed() < Duration::from_secs(20),
        "{:?}",
        lost.elapsed()
    );
    assert!(
        out.stderr.contains(&format!("redis {url}")) && out.stderr.contains("--redis-timeout"),
        "{}",
        out.stderr
    );
    // What was written is whole records.
    let records = crawl.records(0);
    assert!(!records.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_within_the_timeout_and_the_crawl_carries_on() {
    let n = 30;
    let sites = two_hosts(n, Duration::from_millis(60)).await;
    let mut crawl = Crawl::new(RedisServer::start_persistent(), &sites[..1]);
    let w = crawl.spawn(
        0,
        &[
            "--per-host",
            "1",
            "--redis-timeout",
            "20s",
            "--lease",
            "10s",
        ],
    );
    assert!(
        sites[0]
            .wait_until(LIMIT, |s| s.page_requests().len() >= 6)
            .await
    );
    crawl.redis.kill();
    tokio::time::sleep(Duration::from_millis(800)).await;
    crawl.redis.restart();
    let out = finish_trawl(w, LIMIT).await;
    out.assert_code(0);
    assert!(
        out.stderr.contains("reachable again") || out.stderr.contains("retrying"),
        "{}",
        out.stderr
    );
    let union = crawl.union(1);
    let want: BTreeSet<String> = (0..=n).map(|k| sites[0].url(&format!("/p/{k}"))).collect();
    assert_eq!(union.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(crawl.status().await["done"], n + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_live_workers_and_purge_leaves_no_key() {
    let sites = two_hosts(20, Duration::from_millis(50)).await;
    let crawl = Crawl::new(RedisServer::start(), &sites[..1]);
    let w = crawl.spawn(0, &["--per-host", "1"]);
    assert!(
        sites[0]
            .wait_until(LIMIT, |s| s.page_requests().len() >= 3)
            .await
    );
    let live = crawl.status().await;
    let workers = live["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 1, "{live}");
    assert_eq!(workers[0]["pid"], w.id().unwrap());
    assert!(workers[0]["last_seen"].as_str().unwrap().ends_with('Z'));
    assert_eq!(live["finished"], false);
    finish_trawl(w, LIMIT).await.assert_code(0);
    // Another crawl on the same server, which purge must leave alone.
    let redis = &crawl.redis;
    let args = |id: &str| {
        vec![
            "crawl".to_string(),
            "--redis".into(),
            redis.url(),
            "--crawl-id".into(),
            id.into(),
            "--depth".into(),
            "0".into(),
            sites[1].url("/p/0"),
        ]
    };
    let keep = args("keep");
    run_trawl(
        &keep.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
        LIMIT,
    )
    .await
    .assert_code(0);
    assert!(!redis.keys("trawl:{t*").is_empty());
    let purge = run_trawl(
        &["purge", "--redis", &redis.url(), "--crawl-id", "t"],
        None,
        LIMIT,
    )
    .await;
    purge.assert_code(0);
    assert!(purge.stderr.contains("keys deleted"), "{}", purge.stderr);
    assert_eq!(redis.keys("trawl:{t[:}]*"), Vec::<String>::new());
    assert!(
        !redis.keys("trawl:{keep*").is_empty(),
        "another crawl's keys stay"
    );
    let gone = run_trawl(
        &["status", "--redis", &redis.url(), "--crawl-id", "t"],
        None,
        LIMIT,
    )
    .await;
    gone.assert_code(1);
    assert!(gone.stderr.contains("no crawl"), "{}", gone.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_settings_and_bad_combinations_exit_2() {
    let sites = two_hosts(3, Duration::ZERO).await;
    let crawl = &Crawl::new(RedisServer::start(), &sites[..1]);
    let run = |extra: Vec<String>| async move {
        let args = crawl.args(0, &extra.iter().map(String::as_str).collect::<Vec<_>>());
        run_trawl(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            None,
            LIMIT,
        )
        .await
    };
    run(vec!["--per-host".into(), "2".into()])
        .await
        .assert_code(0);
    let clash = run(vec!["--per-host".into(), "3".into()]).await;
    clash.assert_code(2);
    assert!(
        clash.stderr.contains("--per-host")
            && clash.stderr.contains("\"2\"")
            && clash.stderr.contains("\"3\""),
        "{}",
        clash.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.db");
    let both = run(vec!["--state".into(), path_str(&state).into()]).await;
    both.assert_code(2);
    assert!(both.stderr.contains("--state"), "{}", both.stderr);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let started = Instant::now();
    let away = run_trawl(
        &[
            "crawl",
            &sites[0].url("/p/0"),
            "--redis",
            &url,
            "--crawl-id",
            "x",
        ],
        None,
        LIMIT,
    )
    .await;
    away.assert_code(1);
    assert!(away.stderr.contains(&url), "{}", away.stderr);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_that_workers_keep_dying_on_ends_in_an_error_record() {
    // `/hang` never answers: each worker that takes it is killed holding it.
    let routes = Router::new()
        .route(
            "/p/0",
            get(|| async { Html("<title>root</title><a href=\"/hang\">h</a>") }),
        )
        .route("/hang", get(std::future::pending::<Html<&'static str>>));
    let site = TestServer::start(ServerOpts::routes(routes)).await;
    let crawl = Crawl::new(RedisServer::start(), std::slice::from_ref(&site));
    let args = ["--lease", "1s", "--timeout", "5m"];
    for death in 1..=3 {
        let w = crawl.spawn(death, &args);
        assert!(
            site.wait_until(LIMIT, |s| s.count("/hang") >= death).await,
            "worker {death} did not take /hang"
        );
        send_signal(&w, "KILL");
        assert_eq!(finish_trawl(w, LIMIT).await.code(), None);
    }
    // The next owner of the shard does not request it a fourth time.
    let last = crawl.spawn(4, &args);
    finish_trawl(last, LIMIT).await.assert_code(0);
    assert_eq!(site.count("/hang"), 3, "requested once per dead worker");
    let records = crawl.records(4);
    let hang = records
        .iter()
        .find(|r| r["url"] == site.url("/hang"))
        .unwrap_or_else(|| panic!("no record of /hang: {records:?}"));
    assert_eq!(hang["error"]["kind"], "abandoned", "{hang}");
    assert!(
        hang["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains('3')),
        "{hang}"
    );
    let status = crawl.status().await;
    assert_eq!(status["finished"], true, "{status}");
    assert_eq!(status["errors"]["abandoned"], 1, "{status}");
}
