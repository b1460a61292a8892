//! Broad crawls: thousands of hosts within a small open-file limit, idle
//! hosts' connections given back, and memory bounded per host.
//!
//! The hosts are names (`hN.test`) mapped to one local server through the
//! config file's `resolve`, so each is a host of its own to trawl (its own
//! robots.txt, politeness and connection pool) while the test needs one
//! server. The open-file limit is set on the child only, between fork and
//! exec.

use std::io::Write;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use tokio::io::AsyncWriteExt;

use crate::common::observe::{Observed, observe};
use crate::common::records::{assert_no_panic, error_kind};
use crate::common::{RawServer, ServerOpts, TestServer, trawl_command};

const HOSTS: usize = 5000;
const LIMIT: Duration = Duration::from_secs(120);

/// The config mapping `hosts` names to 127.0.0.1, and the seed list of
/// their root pages on `port`.
fn broad_files(hosts: usize, port: u16) -> (tempfile::NamedTempFile, tempfile::NamedTempFile) {
    let mut config = tempfile::NamedTempFile::new().expect("temp config");
    let mut seeds = tempfile::NamedTempFile::new().expect("temp seeds");
    let mut text = String::from("resolve = [\n");
    for i in 0..hosts {
        text.push_str(&format!("  \"h{i}.test:127.0.0.1\",\n"));
        writeln!(seeds, "http://h{i}.test:{port}/").expect("write seeds");
    }
    text.push_str("]\n");
    config.write_all(text.as_bytes()).expect("write config");
    (config, seeds)
}

/// Runs trawl with `args` and `RLIMIT_NOFILE` set to (`soft`, `hard`) in
/// the child, watched from /proc.
async fn run_limited(args: &[&str], soft: u64, hard: u64) -> Observed {
    let mut command = trawl_command(args);
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed: it makes one setrlimit(2)
    // system call and touches no lock and no allocation.
    unsafe {
        command.pre_exec(move || rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard));
    }
    observe(command, LIMIT).await
}

/// A server whose every page is a small HTML page (robots.txt is a 404).
async fn page_server() -> TestServer {
    let routes = Router::new().route(
        "/",
        get(|| async {
            axum::response::Html("<!doctype html><title>a host</title><p>one page</p>")
        }),
    );
    TestServer::start(ServerOpts::routes(routes)).await
}

/// Every one of the `HOSTS` pages came back 200, with no error record.
fn assert_all_fetched(o: &Observed, server: &TestServer) {
    assert_no_panic(&o.out);
    o.out.assert_code(0);
    let records = o.out.records();
    let errors: Vec<_> = records.iter().filter_map(|r| error_kind(r)).collect();
    assert!(
        errors.is_empty(),
        "{} error records, first kinds {:?}\n{}",
        errors.len(),
        &errors[..errors.len().min(5)],
        o.out.stderr
    );
    let ok = records.iter().filter(|r| r["status"] == 200).count();
    assert_eq!(ok, HOSTS, "pages with status 200");
    assert_eq!(server.count("/"), HOSTS, "one page request per host");
}

/// `-j 256` asks for more sockets than a limit of 256 leaves: where the
/// limit cannot be raised (`hard` 256) trawl says it lowered `-j`.
async fn five_thousand_hosts(soft: u64, hard: u64) {
    let server = page_server().await;
    let (config, seeds) = broad_files(HOSTS, server.port());
    let config = config.path().to_str().expect("utf-8 temp path").to_string();
    let seeds = seeds.path().to_str().expect("utf-8 temp path").to_string();
    let args = [
        "fetch", "--config", &config, "--seeds", &seeds, "-j", "256", "-v",
    ];
    let o = run_limited(&args, soft, hard).await;
    eprintln!(
        "{HOSTS} hosts, RLIMIT_NOFILE {soft}/{hard}: peak RSS {} KiB, at most {} descriptors open",
        o.peak_rss_kib, o.max_fds
    );
    assert_all_fetched(&o, &server);
    assert!(o.max_fds as u64 <= hard, "{} descriptors open", o.max_fds);
    if soft < hard {
        let raised = format!("open-file limit raised from {soft} to ");
        assert!(o.out.stderr.contains(&raised), "{}", o.out.stderr);
    }
    if hard <= 256 {
        assert!(
            o.out.stderr.contains("--concurrency 256 lowered to"),
            "{}",
            o.out.stderr
        );
    }
    // 5,000 finished hosts: what a host keeps once done is its politeness
    // state (~0.5 KiB), so the run stays far below the ~125 MB it took when
    // every host kept its idle connections.
    assert!(
        o.peak_rss_kib < 60 * 1024,
        "peak RSS {} KiB for {HOSTS} hosts",
        o.peak_rss_kib
    );
}

#[tokio::test]
async fn five_thousand_hosts_under_a_soft_limit_of_256() {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
    five_thousand_hosts(256, hard).await;
}

#[tokio::test]
async fn five_thousand_hosts_under_a_hard_limit_of_256() {
    five_thousand_hosts(256, 256).await;
}

/// Serves `GET`s on one keep-alive connection until the client closes it:
/// `/slow` answers after 3 s, anything else at once (robots.txt a 404).
async fn keep_alive(mut conn: crate::common::raw::RawConn) {
    while let Some(head) = conn.read_head().await {
        let path = crate::common::raw::head_path(&head)
            .unwrap_or("/")
            .to_string();
        let (status, body) = match path.as_str() {
            "/robots.txt" => ("404 Not Found", ""),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                ("200 OK", "<title>slow</title>")
            }
            _ => ("200 OK", "<title>fast</title>"),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_host_with_nothing_left_closes_its_connections() {
    let server = RawServer::start(keep_alive).await;
    let port = server.port();
    let fast = format!("http://fast.test:{port}/");
    let slow = format!("http://slow.test:{port}/slow");
    let started = Instant::now();
    let out = crate::common::run_trawl(
        &[
            "fetch",
            "--resolve",
            "fast.test:127.0.0.1",
            "--resolve",
            "slow.test:127.0.0.1",
            &fast,
            &slow,
        ],
        None,
        Duration::from_secs(30),
    )
    .await;
    let ended = Instant::now();
    out.assert_code(0);
    assert_eq!(out.records().len(), 2);
    let conns = server.connections();
    let fast_conns: Vec<_> = conns
        .iter()
        .filter(|c| c.heads.iter().any(|h| h.contains("fast.test")))
        .collect();
    assert_eq!(
        fast_conns.len(),
        1,
        "robots.txt and the page on one connection"
    );
    let closed = fast_conns[0]
        .done
        .expect("the fast host's connection was closed");
    // The fast host is done within milliseconds and has nothing left: its
    // connection goes at once, not after the pools' 2 s idle timeout (and
    // long before the slow page, 3 s, lets trawl end).
    assert!(
        closed - started < Duration::from_millis(1500),
        "fast host's connection closed {:?} after start (trawl ended after {:?})",
        closed - started,
        ended - started
    );
}
