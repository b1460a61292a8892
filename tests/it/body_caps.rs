//! `--max-body` and compressed bodies: 1 GiB gzip and brotli bombs (also as
//! robots.txt) and a 50 MiB plain body stop at the cap, counted after
//! decompression, with trawl's peak memory measured and bounded; corrupt
//! gzip, deflate and brotli bodies are `decode` errors; 24 large pages at
//! once share the large-body budget. Each test checks the record (kind,
//! status, attempts, bytes) and what the server saw.

use crate::common;

use common::records::{error_kind, single};

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{
    ServerOpts, TestServer, TrawlOutput, finish_trawl, run_command, run_trawl, spawn_trawl,
    trawl_command,
};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Upper bound on any one trawl run.
const LIMIT: Duration = Duration::from_secs(60);

const MIB: u64 = 1 << 20;
/// trawl's default `--max-body`.
const DEFAULT_MAX_BODY: u64 = 10 * MIB;
/// The most resident memory a capped run may reach.
const RSS_BOUND_KIB: u64 = 100 * 1024;

/// `trawl fetch --robots ignore ARGS… URL`.
async fn fetch(url: &str, args: &[&str]) -> TrawlOutput {
    let mut all = vec!["fetch", "--robots", "ignore"];
    all.extend_from_slice(args);
    all.push(url);
    run_trawl(&all, None, LIMIT).await
}

/// How a peak RSS figure was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RssMethod {
    /// `/usr/bin/time -f %M`: the kernel's `ru_maxrss` from `wait4`, exact.
    Time,
    /// Sampling `VmHWM` in `/proc/PID/status` every millisecond: a lower
    /// bound (a peak in the last millisecond before exit can be missed).
    Sampled,
}

/// Runs `trawl ARGS` and measures its peak resident set in KiB: exactly
/// under `/usr/bin/time` where that exists, else by sampling `/proc`
/// (`None` without `/proc` either).
async fn run_measuring_rss(args: &[&str]) -> (TrawlOutput, Option<(u64, RssMethod)>) {
    let time = std::path::Path::new("/usr/bin/time");
    if time.exists() {
        let report = tempfile::NamedTempFile::new().expect("temp file");
        let report_path = report.path().to_str().expect("utf-8 path").to_string();
        // The same clean environment as `trawl_command`, with `time` in front.
        let mut command = trawl_command(args);
        let trawl = command.as_std().get_program().to_owned();
        let mut timed = tokio::process::Command::new(time);
        timed
            .args(["-f", "%M", "-o", &report_path])
            .arg(trawl)
            .args(args);
        for (key, value) in command.as_std().get_envs() {
            match value {
                Some(v) => timed.env(key, v),
                None => timed.env_remove(key),
            };
        }
        command = timed;
        let out = run_command(command, None, LIMIT).await;
        let text = std::fs::read_to_string(report.path()).unwrap_or_default();
        // GNU time may put "Command exited with non-zero status N" first.
        let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
        return (out, kib.map(|k| (k, RssMethod::Time)));
    }
    let child = spawn_trawl(args);
    let pid = child.id().expect("trawl's pid");
    // A thread of its own, so a busy test runtime cannot delay the samples.
    let sampler = std::thread::spawn(move || {
        let mut peak = None;
        // Ends when the process is gone or a zombie (no VmHWM line any more).
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            else {
                break;
            };
            peak = Some(peak.unwrap_or(0).max(kib));
            std::thread::sleep(Duration::from_millis(1));
        }
        peak
    });
    let out = finish_trawl(child, LIMIT).await;
    let peak = sampler.join().expect("rss sampler");
    (out, peak.map(|k| (k, RssMethod::Sampled)))
}

fn assert_rss_bounded(what: &str, peak: Option<(u64, RssMethod)>) {
    match peak {
        Some((kib, method)) => {
            eprintln!(
                "{what}: trawl's peak RSS {:.1} MiB ({method:?})",
                kib as f64 / 1024.0
            );
            assert!(
                kib < RSS_BOUND_KIB,
                "{what}: trawl's peak RSS was {kib} KiB, over {RSS_BOUND_KIB} KiB"
            );
        }
        None => eprintln!("{what}: neither /usr/bin/time nor /proc here; peak RSS not measured"),
    }
}

/// A compressor that hands out what it has produced so far.
enum Encoder {
    Gzip(Box<GzEncoder<Vec<u8>>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl Encoder {
    fn new(encoding: &str) -> Encoder {
        match encoding {
            "gzip" => Encoder::Gzip(Box::new(GzEncoder::new(Vec::new(), Compression::default()))),
            "br" => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                1 << 16,
                1,
                22,
            ))),
            other => panic!("no encoder for {other}"),
        }
    }

    /// Compresses `data`; returns the compressed bytes ready so far.
    fn feed(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => {
                e.write_all(data)?;
                Ok(std::mem::take(e.get_mut()))
            }
            Encoder::Brotli(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    /// Ends the stream; returns its last bytes.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Brotli(e) => Ok(e.into_inner()),
        }
    }
}

/// A body of `mib` MiB of zeros in `encoding` (`gzip`, `br`), compressed as
/// it is sent (a few bytes to 1 KiB on the wire per MiB); `inflated` counts
/// the MiB produced.
fn zeros_bomb(encoding: &str, mib: u64, inflated: Arc<AtomicU64>) -> Body {
    let zeros = Arc::new(vec![0u8; MIB as usize]);
    let stream = futures::stream::unfold(
        (Some(Encoder::new(encoding)), 0u64),
        move |(encoder, done)| {
            let zeros = Arc::clone(&zeros);
            let inflated = Arc::clone(&inflated);
            async move {
                let mut encoder = encoder?;
                if done == mib {
                    let tail = encoder.finish().ok()?;
                    return Some((Ok::<_, std::io::Error>(Bytes::from(tail)), (None, done)));
                }
                let out = encoder.feed(zeros.as_slice()).ok()?;
                inflated.fetch_add(1, Ordering::Relaxed);
                Some((Ok(Bytes::from(out)), (Some(encoder), done + 1)))
            }
        },
    );
    Body::from_stream(stream)
}

/// A route serving a 1 GiB bomb of zeros in `encoding` as `content_type`.
fn bomb_route(
    encoding: &'static str,
    content_type: &'static str,
    inflated: &Arc<AtomicU64>,
) -> axum::routing::MethodRouter {
    let counter = Arc::clone(inflated);
    get(move || {
        let counter = Arc::clone(&counter);
        async move {
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CONTENT_ENCODING, encoding),
                ],
                zeros_bomb(encoding, 1024, counter),
            )
                .into_response()
        }
    })
}

/// Fetches a 1 GiB bomb in `encoding` with the default `--max-body`.
async fn assert_bomb_is_capped(encoding: &'static str) {
    let inflated = Arc::new(AtomicU64::new(0));
    let routes = Router::new().route("/bomb", bomb_route(encoding, "text/html", &inflated));
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let started = Instant::now();
    let (out, peak) =
        run_measuring_rss(&["fetch", "--robots", "ignore", &server.url("/bomb")]).await;
    let took = started.elapsed();
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("too_large"), "{encoding}: {r}");
    assert_eq!(r["status"], 200, "{encoding}: {r}");
    assert_eq!(
        r["attempts"], 1,
        "{encoding}: too_large is not retried: {r}"
    );
    assert_eq!(
        r["bytes"], DEFAULT_MAX_BODY,
        "{encoding}: bytes are the default cap, counted after decompression: {r}"
    );
    assert!(took < Duration::from_secs(15), "{encoding}: took {took:?}");
    assert_rss_bounded(&format!("1 GiB {encoding} bomb"), peak);
    assert_eq!(
        server.paths(),
        ["/bomb"],
        "{encoding}: one request, no retry"
    );
    eprintln!(
        "1 GiB {encoding} bomb: the server had inflated {} MiB when trawl was done; run took {took:?}",
        inflated.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn gzip_bomb_of_one_gib_stops_at_max_body_in_bounded_memory() {
    assert_bomb_is_capped("gzip").await;
}

#[tokio::test]
async fn brotli_bomb_of_one_gib_stops_at_max_body_in_bounded_memory() {
    assert_bomb_is_capped("br").await;
}

#[tokio::test]
async fn a_robots_txt_bomb_is_read_in_bounded_memory() {
    let inflated = Arc::new(AtomicU64::new(0));
    let routes = Router::new()
        .route("/robots.txt", bomb_route("gzip", "text/plain", &inflated))
        .route(
            "/",
            get(|| async { axum::response::Html("<title>Behind the bomb</title>") }),
        );
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let started = Instant::now();
    let (out, peak) = run_measuring_rss(&["crawl", &server.url("/")]).await;
    let took = started.elapsed();
    let r = single(&out);
    // A file of NUL bytes has no rules for trawl: the page is fetched.
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["title"], "Behind the bomb");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_rss_bounded("1 GiB gzip bomb as robots.txt", peak);
    assert_eq!(server.paths(), ["/robots.txt", "/"]);
}

#[tokio::test]
async fn a_fifty_mib_body_stops_at_max_body_in_bounded_memory() {
    let body = Bytes::from(vec![b'a'; 50 * MIB as usize]);
    let routes = Router::new().route(
        "/big",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "text/html")], body).into_response() }
        }),
    );
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let started = Instant::now();
    let (out, peak) =
        run_measuring_rss(&["fetch", "--robots", "ignore", &server.url("/big")]).await;
    let took = started.elapsed();
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("too_large"), "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["attempts"], 1, "{r}");
    assert_eq!(r["bytes"], DEFAULT_MAX_BODY, "bytes are the cap: {r}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_rss_bounded("50 MiB plain body", peak);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{:?}", server.paths());
    assert_eq!(requests[0].path, "/big");
    assert_eq!(requests[0].status, Some(200));
}

/// A tiny deterministic byte generator (xorshift), so a failure replays.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test]
async fn corrupt_compressed_bodies_are_decode_errors() {
    let page = "<html><head><title>Compressed</title></head><body>".to_string()
        + &"<p>some text to compress</p>".repeat(500)
        + "</body></html>";
    let good = gzip(page.as_bytes());
    let truncated = good[..good.len() / 2].to_vec();
    let mut bad_crc = good.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    let mut bad_deflate = good[..10].to_vec();
    bad_deflate.extend(noise(2000, 7));
    let cases: Vec<(&str, &'static str, Vec<u8>)> = vec![
        ("random bytes as gzip", "gzip", noise(4096, 1)),
        ("gzip header, random deflate data", "gzip", bad_deflate),
        ("gzip cut in half", "gzip", truncated),
        ("gzip with a wrong CRC", "gzip", bad_crc),
        ("random bytes as deflate", "deflate", noise(4096, 2)),
        ("random bytes as br", "br", noise(4096, 3)),
    ];
    let mut routes = Router::new();
    for (i, (_, encoding, body)) in cases.iter().enumerate() {
        let (encoding, body) = (*encoding, Bytes::from(body.clone()));
        routes = routes.route(
            &format!("/c/{i}"),
            get(move || {
                let body = body.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html"),
                            (header::CONTENT_ENCODING, encoding),
                        ],
                        body,
                    )
                        .into_response()
                }
            }),
        );
    }
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let path = format!("/c/{i}");
        let out = fetch(&server.url(&path), &[]).await;
        let r = single(&out);
        assert_eq!(error_kind(&r), Some("decode"), "{name}: {r}");
        assert_eq!(r["status"], 200, "{name}: {r}");
        assert_eq!(
            r["attempts"], 1,
            "{name}: a corrupt body is not retried: {r}"
        );
        assert!(
            r["title"].is_null(),
            "{name}: nothing parsed from garbage: {r}"
        );
        assert_eq!(server.count(&path), 1, "{name}: {:?}", server.paths());
    }
    assert_eq!(server.requests().len(), cases.len());
}

/// Many large pages at once share a budget of 16 MiB (at the default
/// `--max-body`) from their first byte read to the end of their parse:
/// 24 pages of 4 MiB fetched 24 at a time all arrive whole, and the peak
/// stays far below the 96 MiB they would hold together.
#[tokio::test]
async fn large_bodies_in_flight_share_a_memory_budget() {
    const PAGES: usize = 24;
    let page = |i: usize| {
        let mut s = format!("<html><head><title>big {i}</title></head><body>");
        while s.len() < 4 * MIB as usize {
            s.push_str("<p>filler text of a large page, no links here</p>\n");
        }
        s.push_str("</body></html>");
        Bytes::from(s)
    };
    let mut routes = Router::new();
    for i in 0..PAGES {
        let body = page(i);
        routes = routes.route(
            &format!("/big/{i}"),
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "text/html")], body).into_response() }
            }),
        );
    }
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let urls: Vec<String> = (0..PAGES)
        .map(|i| server.url(&format!("/big/{i}")))
        .collect();
    let n = PAGES.to_string();
    let mut args = vec!["fetch", "--robots", "ignore", "-j", &n, "--per-host", &n];
    args.extend(urls.iter().map(String::as_str));
    let (out, peak) = run_measuring_rss(&args).await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), PAGES);
    for r in &records {
        assert_eq!(r["status"], 200, "{r}");
        assert!(r["error"].is_null(), "{r}");
        assert!(r["bytes"].as_u64().unwrap() >= 4 * MIB, "{r}");
        assert!(r["title"].as_str().unwrap().starts_with("big "), "{r}");
    }
    if let Some((kib, method)) = peak {
        eprintln!(
            "24 x 4 MiB pages: peak RSS {:.1} MiB ({method:?})",
            kib as f64 / 1024.0
        );
        assert!(
            kib < 72 * 1024,
            "peak RSS {kib} KiB with 24 x 4 MiB pages in flight"
        );
    }
    assert_eq!(server.requests().len(), PAGES);
}
