//! HTTP against programmable routes: redirects (chains, loops, limits,
//! schemes, already-seen targets, bad `Location`), body caps and gzip,
//! timeouts, retries, network errors, non-HTML responses, `--body`, and the
//! request headers trawl sends.

use crate::common;

use common::records::{error_kind, single};

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use common::{ServerOpts, TestServer, run_trawl};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(30);

/// Hops of the long redirect chain: `/hop/0` → … → `/hop/12` (200).
const LAST_HOP: u32 = 12;

fn redirect(status: StatusCode, location: &'static str) -> Response {
    (status, [(header::LOCATION, location)]).into_response()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    ))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// 50 KB of HTML.
fn big_html() -> String {
    let filler = "<p>filler text for a large page</p>\n".repeat(1500);
    format!("<html><head><title>Big</title></head><body>{filler}</body></html>")
}

fn routes() -> Router {
    let flaky = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    Router::new()
        .route(
            "/r1",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/r2") }),
        )
        .route("/r2", get(|| async { redirect(StatusCode::FOUND, "/r3") }))
        .route(
            "/r3",
            get(|| async { redirect(StatusCode::TEMPORARY_REDIRECT, "/final") }),
        )
        .route("/final", get(|| async { page("Final", "<p>landed</p>") }))
        .route(
            "/loop-a",
            get(|| async { redirect(StatusCode::FOUND, "/loop-b") }),
        )
        .route(
            "/loop-b",
            get(|| async { redirect(StatusCode::FOUND, "/loop-a") }),
        )
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                if n < LAST_HOP {
                    let next = format!("/hop/{}", n + 1);
                    (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
                } else {
                    page("End of hops", "").into_response()
                }
            }),
        )
        .route(
            "/to-file",
            get(|| async { redirect(StatusCode::FOUND, "file:///etc/passwd") }),
        )
        .route(
            "/bad-location",
            get(|| async { redirect(StatusCode::FOUND, "http://[::1") }),
        )
        .route(
            "/links",
            get(|| async {
                page(
                    "Links",
                    "<a href=\"/target\">t</a> <a href=\"/moved\">m</a>",
                )
            }),
        )
        .route("/target", get(|| async { page("Target", "") }))
        .route(
            "/moved",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/target") }),
        )
        .route("/big", get(|| async { Html(big_html()) }))
        .route(
            "/gz",
            get(|| async {
                let html = big_html().replace("<title>Big</title>", "<title>Gzipped</title>");
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(html.as_bytes()),
                )
            }),
        )
        .route(
            "/gzbomb",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(&vec![b' '; 5 << 20]),
                )
            }),
        )
        .route(
            "/sleep",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                page("Too late", "")
            }),
        )
        .route(
            "/stall-body",
            get(|| async {
                // Headers and a first chunk at once, then nothing for 5 s.
                let chunks = futures::stream::unfold(0, |n| async move {
                    match n {
                        0 => Some((
                            Ok::<_, std::io::Error>(Bytes::from_static(b"<html><title>Stall")),
                            1,
                        )),
                        1 => {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            Some((Ok(Bytes::from_static(b"</title></html>")), 2))
                        }
                        _ => None,
                    }
                });
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    Body::from_stream(chunks),
                )
            }),
        )
        .route(
            "/corrupt-gzip",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    b"this is not gzip data at all, just plain bytes".to_vec(),
                )
            }),
        )
        .route(
            "/busy",
            get(move || {
                let busy = busy.clone();
                async move {
                    if busy.fetch_add(1, Ordering::SeqCst) == 0 {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [(header::RETRY_AFTER, "1")],
                            "slow down",
                        )
                            .into_response()
                    } else {
                        page("Calm again", "").into_response()
                    }
                }
            }),
        )
        .route(
            "/flaky",
            get(move || {
                let flaky = flaky.clone();
                async move {
                    if flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                        (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
                    } else {
                        page("Recovered", "").into_response()
                    }
                }
            }),
        )
        .route(
            "/gone",
            get(|| async { (StatusCode::NOT_FOUND, page("Not here", "")) }),
        )
        .route(
            "/data.json",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"url":"http://example.invalid/x","title":"not a title"}"#,
                )
            }),
        )
        .route(
            "/echo",
            get(|| async { page("Echo", "<a href=\"/final\">f</a>") }),
        )
}

async fn server() -> TestServer {
    TestServer::start(ServerOpts::routes(routes())).await
}

/// Paths the server saw, robots.txt aside, in arrival order.
fn page_paths(server: &TestServer) -> Vec<String> {
    server
        .paths()
        .into_iter()
        .filter(|p| p != "/robots.txt")
        .collect()
}

/// Runs `trawl fetch ARGS` and returns its only record.
async fn fetch_one(args: &[&str]) -> Value {
    let mut all = vec!["fetch"];
    all.extend_from_slice(args);
    single(&run_trawl(&all, None, LIMIT).await)
}

#[tokio::test]
async fn redirect_chain_is_followed_to_its_end() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/r1")]).await;
    assert_eq!(r["url"], server.url("/r1"));
    assert_eq!(r["final_url"], server.url("/final"));
    assert_eq!(r["status"], 200);
    assert_eq!(r["title"], "Final");
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(page_paths(&server), ["/r1", "/r2", "/r3", "/final"]);
}

#[tokio::test]
async fn redirect_loop_is_a_redirect_limit() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/loop-a")]).await;
    assert_eq!(r["url"], server.url("/loop-a"));
    assert_eq!(error_kind(&r), Some("redirect_limit"), "{r}");
    assert_eq!(page_paths(&server), ["/loop-a", "/loop-b"]);
}

#[tokio::test]
async fn too_many_hops_is_a_redirect_limit_unless_allowed() {
    // 12 hops with the default --max-redirects 10.
    let server = server().await;
    let r = fetch_one(&[&server.url("/hop/0")]).await;
    assert_eq!(error_kind(&r), Some("redirect_limit"), "{r}");
    let paths = page_paths(&server);
    let want: Vec<String> = (0..=10).map(|n| format!("/hop/{n}")).collect();
    assert_eq!(paths, want, "10 hops followed, the 11th refused");

    // Exactly 10 hops are allowed.
    let server = self::server().await;
    let r = fetch_one(&[&server.url("/hop/2")]).await;
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["final_url"], server.url("/hop/12"));

    // --max-redirects 20 lets the 12 hops through.
    let server = self::server().await;
    let r = fetch_one(&["--max-redirects", "20", &server.url("/hop/0")]).await;
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["url"], server.url("/hop/0"));
    assert_eq!(r["final_url"], server.url("/hop/12"));
    assert_eq!(r["title"], "End of hops");
    assert_eq!(page_paths(&server).len(), 13);
}

#[tokio::test]
async fn redirect_to_a_file_url_is_refused() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/to-file")]).await;
    assert_eq!(error_kind(&r), Some("redirect_scheme"), "{r}");
    assert_eq!(r["url"], server.url("/to-file"));
    assert!(r["title"].is_null());
    assert_eq!(page_paths(&server), ["/to-file"]);
}

#[tokio::test]
async fn unparsable_location_is_an_invalid_url() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/bad-location")]).await;
    assert_eq!(error_kind(&r), Some("invalid_url"), "{r}");
    assert_eq!(r["url"], server.url("/bad-location"));
    assert_eq!(page_paths(&server), ["/bad-location"]);
}

#[tokio::test]
async fn redirect_onto_an_already_seen_url_ends_without_error() {
    let server = server().await;
    let out = run_trawl(&["crawl", &server.url("/links")], None, LIMIT).await;
    out.assert_code(0);
    let records: BTreeMap<String, Value> = out
        .records()
        .into_iter()
        .map(|r| (r["url"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    assert_eq!(records.len(), 3, "{records:?}");
    let moved = &records[&server.url("/moved")];
    assert_eq!(moved["status"], 301, "{moved}");
    assert_eq!(moved["final_url"], server.url("/target"));
    assert!(moved["error"].is_null(), "{moved}");
    let target = &records[&server.url("/target")];
    assert_eq!(target["status"], 200);
    assert_eq!(target["title"], "Target");
    assert_eq!(server.count("/target"), 1, "{:?}", server.paths());
    assert_eq!(server.count("/moved"), 1);
}

#[tokio::test]
async fn max_body_caps_a_large_page() {
    let server = server().await;
    let r = fetch_one(&["--max-body", "1000", &server.url("/big")]).await;
    assert!(big_html().len() > 50_000);
    assert_eq!(error_kind(&r), Some("too_large"), "{r}");
    assert_eq!(r["status"], 200);
    assert!(r["bytes"].as_u64().is_some_and(|b| b <= 1000), "{r}");
    assert_eq!(page_paths(&server), ["/big"]);

    // Without the cap the same page is fine.
    let r = fetch_one(&[&server.url("/big")]).await;
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["bytes"], big_html().len());
}

#[tokio::test]
async fn gzip_is_decompressed_and_counted_after_decompression() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/gz")]).await;
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["title"], "Gzipped");
    let html = big_html().replace("<title>Big</title>", "<title>Gzipped</title>");
    assert_eq!(r["bytes"], html.len(), "bytes are the decompressed size");
    let requests = server.requests();
    let request = requests
        .iter()
        .find(|r| r.path == "/gz")
        .expect("/gz requested");
    let accept = request.header("accept-encoding").unwrap_or_default();
    assert!(accept.contains("gzip"), "Accept-Encoding: {accept:?}");
}

#[tokio::test]
async fn gzip_bomb_stops_at_max_body() {
    let server = server().await;
    let r = fetch_one(&["--max-body", "100k", &server.url("/gzbomb")]).await;
    assert!(
        gzip(&vec![b' '; 5 << 20]).len() < 100 << 10,
        "the bomb is small"
    );
    assert_eq!(error_kind(&r), Some("too_large"), "{r}");
    assert!(r["bytes"].as_u64().is_some_and(|b| b <= 100 << 10), "{r}");
    assert_eq!(page_paths(&server), ["/gzbomb"]);
}

#[tokio::test]
async fn slow_response_times_out_quickly() {
    let server = server().await;
    let started = Instant::now();
    let out = run_trawl(
        &[
            "fetch",
            "--timeout",
            "1s",
            "--retries",
            "0",
            &server.url("/sleep"),
        ],
        None,
        LIMIT,
    )
    .await;
    let took = started.elapsed();
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("timeout"), "{r}");
    assert_eq!(r["attempts"], 1);
    assert!(r["status"].is_null(), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    let elapsed_ms = r["elapsed_ms"].as_u64().expect("elapsed_ms");
    assert!((900..4000).contains(&elapsed_ms), "elapsed_ms {elapsed_ms}");
    assert_eq!(page_paths(&server), ["/sleep"]);
}

#[tokio::test]
async fn timeout_covers_a_stalled_body() {
    let server = server().await;
    let started = Instant::now();
    let out = run_trawl(
        &[
            "fetch",
            "--timeout",
            "1s",
            "--retries",
            "0",
            &server.url("/stall-body"),
        ],
        None,
        LIMIT,
    )
    .await;
    let took = started.elapsed();
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("timeout"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(page_paths(&server), ["/stall-body"]);
}

#[tokio::test]
async fn corrupt_gzip_is_a_decode_error() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/corrupt-gzip")]).await;
    assert_eq!(error_kind(&r), Some("decode"), "{r}");
    assert_eq!(r["attempts"], 1, "a corrupt body is not retried: {r}");
    assert_eq!(page_paths(&server), ["/corrupt-gzip"]);
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/busy")]).await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["attempts"], 2, "{r}");
    assert!(r["error"].is_null(), "{r}");
    let requests = server.requests();
    let busy: Vec<_> = requests.iter().filter(|q| q.path == "/busy").collect();
    assert_eq!(busy.len(), 2);
    let gap = busy[1].arrived.duration_since(busy[0].arrived);
    assert!(
        gap >= Duration::from_millis(900),
        "Retry-After: 1 but retried after {gap:?}"
    );
}

#[tokio::test]
async fn server_error_is_retried_then_succeeds() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/flaky")]).await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["attempts"], 2, "{r}");
    assert_eq!(r["title"], "Recovered");
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(page_paths(&server), ["/flaky", "/flaky"]);
}

#[tokio::test]
async fn not_found_is_final_and_not_retried() {
    let server = server().await;
    let r = fetch_one(&[&server.url("/gone")]).await;
    assert_eq!(r["status"], 404);
    assert_eq!(error_kind(&r), Some("http_status"), "{r}");
    assert_eq!(r["attempts"], 1);
    assert!(r["links"].as_array().is_some_and(Vec::is_empty), "{r}");
    assert_eq!(page_paths(&server), ["/gone"]);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // A socket bound but never listening: the port stays this test's (a
    // freed port could be taken by another test's server meanwhile) and
    // every connection to it is refused.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let port = socket.local_addr().expect("local addr").port();
    let url = format!("http://127.0.0.1:{port}/");
    // The page's own request (robots.txt aside): retried once, then given up.
    let r = fetch_one(&["--robots", "ignore", "--retries", "1", &url]).await;
    assert_eq!(r["url"], url);
    assert_eq!(error_kind(&r), Some("connect"), "{r}");
    assert_eq!(r["attempts"], 2, "connect errors are retried: {r}");
    assert!(r["status"].is_null());
    // Obeying robots.txt, whose fetch fails the same way: still `connect`.
    let r = fetch_one(&["--retries", "0", &url]).await;
    assert_eq!(error_kind(&r), Some("connect"), "{r}");
    assert!(r["status"].is_null());
    drop(socket);
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_error() {
    // .invalid never resolves (RFC 6761); no request leaves the machine.
    let r = fetch_one(&["--retries", "0", "http://nonexistent.invalid/"]).await;
    assert_eq!(error_kind(&r), Some("dns"), "{r}");
    assert!(r["status"].is_null());
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("nonexistent.invalid"), "{message}");
}

#[tokio::test]
async fn non_html_has_no_links_or_title_and_body_is_included_on_request() {
    let server = server().await;
    let json_url = server.url("/data.json");
    let r = fetch_one(&[&json_url]).await;
    assert_eq!(r["links"], json!([]));
    assert!(r["title"].is_null(), "{r}");
    assert!(r.get("body").is_none(), "no body without --body: {r}");
    assert_eq!(r["content_type"], "application/json");

    let echo_url = server.url("/echo");
    let out = run_trawl(&["fetch", "--body", &json_url, &echo_url], None, LIMIT).await;
    out.assert_code(0);
    let records: BTreeMap<String, Value> = out
        .records()
        .into_iter()
        .map(|r| (r["url"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    let json = &records[&json_url];
    assert_eq!(
        json["body"],
        r#"{"url":"http://example.invalid/x","title":"not a title"}"#
    );
    assert_eq!(json["links"], json!([]));
    let echo = &records[&echo_url];
    let body = echo["body"].as_str().expect("HTML body");
    assert!(body.contains("<title>Echo</title>"), "{body}");
    assert_eq!(echo["links"], json!([server.url("/final")]));
    // fetch follows nothing, so /final was not requested.
    assert_eq!(server.count("/final"), 0);
}

#[tokio::test]
async fn custom_headers_and_user_agent_reach_the_server_on_every_hop() {
    let server = server().await;
    let out = run_trawl(
        &[
            "fetch",
            "-H",
            "X-Token: abc",
            "-H",
            "X-Other: two words",
            "-A",
            "mybot/1.0",
            &server.url("/r1"),
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(r["status"], 200);
    let requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect();
    assert_eq!(requests.len(), 4, "{:?}", server.paths());
    for request in &requests {
        assert_eq!(request.header("x-token"), Some("abc"), "{}", request.path);
        assert_eq!(
            request.header("x-other"),
            Some("two words"),
            "{}",
            request.path
        );
        assert_eq!(
            request.header("user-agent"),
            Some("mybot/1.0"),
            "{}",
            request.path
        );
    }

    // Without -A, the default product token.
    let server = self::server().await;
    let out = run_trawl(&["fetch", &server.url("/final")], None, LIMIT).await;
    single(&out);
    let ua = server.requests()[0]
        .header("user-agent")
        .unwrap_or_default()
        .to_string();
    assert!(ua.starts_with("trawl/"), "{ua}");
}
