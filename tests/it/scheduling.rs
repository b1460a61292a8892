//! Scheduling: `--per-host` and `--concurrency` hold as the servers see them,
//! a rate-limited host never holds back an unlimited one, and parsing a big
//! page does not stall other fetches.

use crate::common;

use std::io::Write;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use common::{LoggedRequest, ServerOpts, TestServer, run_trawl};

const LIMIT: Duration = Duration::from_secs(60);

/// `/` links to `/p/0` … `/p/{n-1}`; each page is a small leaf.
fn fan_out(n: usize) -> Router {
    Router::new()
        .route(
            "/",
            get(move || async move {
                let links: String = (0..n).map(|i| format!("<a href=\"/p/{i}\">{i}</a>\n")).collect();
                Html(format!("<html><head><title>root</title></head><body>{links}</body></html>"))
            }),
        )
        .route(
            "/p/{n}",
            get(|Path(n): Path<u32>| async move { Html(format!("<title>page {n}</title><p>leaf</p>")) }),
        )
}

/// The largest number of requests whose [arrived, finished] spans overlap.
fn max_overlap(requests: &[LoggedRequest]) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in requests {
        events.push((r.arrived, 1));
        events.push((r.finished.unwrap_or_else(Instant::now), -1));
    }
    // At equal instants, ends go first: a finished slot is free again.
    events.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        max = max.max(now);
    }
    max as usize
}

#[tokio::test]
async fn per_host_cap_holds_as_the_server_sees_it() {
    let server =
        TestServer::start(ServerOpts::routes(fan_out(40)).with_delay(Duration::from_millis(50)))
            .await;
    let out = run_trawl(
        &["crawl", "-j", "64", "--per-host", "3", &server.url("/")],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    assert_eq!(out.records().len(), 41);
    let max = server.max_in_flight();
    assert!(
        max <= 3,
        "server saw {max} requests at once with --per-host 3"
    );
    assert!(
        max >= 2,
        "--per-host 3 should be used, server saw at most {max}"
    );
    assert_eq!(server.page_requests().len(), 41, "each page once");
    assert_eq!(server.count("/robots.txt"), 1, "robots.txt once");
}

#[tokio::test]
async fn global_concurrency_holds_across_hosts() {
    let delay = Duration::from_millis(50);
    let a = TestServer::start(ServerOpts::routes(fan_out(15)).with_delay(delay)).await;
    let b = TestServer::start(
        ServerOpts::routes(fan_out(15))
            .with_delay(delay)
            .with_ip(Ipv4Addr::new(127, 0, 0, 2)),
    )
    .await;
    let out = run_trawl(
        &[
            "crawl",
            "-j",
            "2",
            "--per-host",
            "4",
            &a.url("/"),
            &b.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    assert_eq!(out.records().len(), 32);
    let mut all = a.requests();
    all.extend(b.requests());
    let overlap = max_overlap(&all);
    assert!(
        overlap <= 2,
        "{overlap} requests at once across hosts with -j 2"
    );
}

#[tokio::test]
async fn a_rate_limited_host_does_not_hold_back_others() {
    let _cpu = common::cpu::exclusive().await;
    let slow = TestServer::start(ServerOpts::routes(fan_out(6))).await;
    let fast = TestServer::start(
        ServerOpts::routes(fan_out(40))
            .with_delay(Duration::from_millis(5))
            .with_ip(Ipv4Addr::new(127, 0, 0, 2)),
    )
    .await;
    let mut config = tempfile::NamedTempFile::new().expect("temp config");
    writeln!(config, "[hosts.\"127.0.0.1\"]\nrate = 2.0\n").expect("write config");
    let config_path = config.path().to_str().expect("utf-8 path").to_string();
    let out = run_trawl(
        &[
            "crawl",
            "--config",
            &config_path,
            "-j",
            "4",
            &slow.url("/"),
            &fast.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    assert_eq!(out.records().len(), 7 + 41);

    let slow_reqs = slow.requests();
    let fast_reqs = fast.requests();
    assert_eq!(slow_reqs.len(), 8, "robots.txt and 7 pages");
    // The slow host: no request ahead of a schedule of one every 500 ms,
    // robots.txt included, allowing for the noise in the server's time
    // stamps (`common::schedule`; a CI run saw a gap of 494.9 ms).
    if let Err(e) = common::schedule::on_schedule(&slow_reqs, 0.5) {
        panic!("--rate 2: {e}");
    }
    // The fast host finished its 41 pages before the slow host's third request
    // (which cannot come before ~1 s): the -j slots were not stuck waiting.
    let fast_done = fast_reqs
        .iter()
        .filter_map(|r| r.finished)
        .max()
        .expect("fast finished");
    assert!(
        fast_done < slow_reqs[2].arrived,
        "fast host finished {:?} after the slow host's third request",
        fast_done - slow_reqs[2].arrived
    );
}

#[tokio::test]
async fn parsing_a_big_page_does_not_stall_other_fetches() {
    // 5 MB of HTML with many elements on one host; small pages on another.
    let big_html = {
        let mut s = String::from("<html><head><title>big</title></head><body>");
        let mut i = 0;
        while s.len() < 5 << 20 {
            s.push_str(&format!(
                "<div class=\"row\"><span>item {i}</span><a href=\"/x/{i}\">x</a></div>\n"
            ));
            i += 1;
        }
        s.push_str("</body></html>");
        s
    };
    let big = TestServer::start(ServerOpts::routes(Router::new().route(
        "/big.html",
        get(move || {
            let body = big_html.clone();
            async move { Html(body) }
        }),
    )))
    .await;
    let small = TestServer::start(
        ServerOpts::routes(fan_out(60))
            .with_delay(Duration::from_millis(10))
            .with_ip(Ipv4Addr::new(127, 0, 0, 2)),
    )
    .await;
    let out = run_trawl(
        &[
            "crawl",
            "--depth",
            "1",
            "--per-host",
            "1",
            "--exclude",
            "/x/",
            &big.url("/big.html"),
            &small.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = out.records();
    let big_pos = records
        .iter()
        .position(|r| r["url"] == big.url("/big.html"))
        .expect("big page record");
    assert_eq!(records[big_pos]["title"], "big");
    assert!(records[big_pos]["links"].as_array().map_or(0, Vec::len) > 10_000);
    // Small pages whose requests arrived after the big body was fully sent
    // finished while the big page was being parsed.
    let big_sent = big.requests()[0].finished.expect("big page finished");
    let after: Vec<String> = small
        .requests()
        .iter()
        .filter(|r| r.arrived > big_sent)
        .map(|r| small.url(&r.path))
        .collect();
    let before_big_record = records[..big_pos]
        .iter()
        .filter(|r| after.iter().any(|u| r["url"] == u.as_str()))
        .count();
    assert!(
        before_big_record >= 1,
        "no small page completed while the big page was parsed ({} requested after its body)",
        after.len()
    );
}
