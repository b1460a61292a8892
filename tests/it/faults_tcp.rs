//! Broken servers, byte by byte (the raw-TCP server of `common::raw`):
//! connections that close or reset before or in the middle of a response, a
//! `Content-Length` that lies, a chunked body cut short, a trickling body and
//! headers that never come (`--timeout`), and bytes that are not HTTP. Each
//! test checks the record (kind, status, attempts, bytes) and what the server
//! saw. Bombs, huge bodies and corrupt compression are in `body_caps.rs`.

use crate::common;

use common::records::{ERROR_KINDS, assert_no_panic, error_kind, single};

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::raw::RawConn;
use common::{RawServer, TrawlOutput, run_trawl};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// Upper bound on any one trawl run.
const LIMIT: Duration = Duration::from_secs(60);

/// A status line and headers announcing `len` bytes of HTML.
fn html_head(len: usize) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len}\r\n\r\n")
}

/// `n` bytes of the start of an HTML page.
fn partial_body(n: usize) -> Vec<u8> {
    let mut body = b"<html><head><title>Partial</title></head><body>".to_vec();
    body.resize(n, b'x');
    body
}

/// `trawl fetch --robots ignore ARGS… URL`: one request per attempt, nothing
/// else on the wire.
async fn fetch(url: &str, args: &[&str]) -> TrawlOutput {
    let mut all = vec!["fetch", "--robots", "ignore"];
    all.extend_from_slice(args);
    all.push(url);
    run_trawl(&all, None, LIMIT).await
}

/// Writes `bytes` and flushes; a peer that went away is the test's data,
/// not an error, so failures are only noted.
async fn send(conn: &mut RawConn, bytes: &[u8]) -> bool {
    match conn.stream.write_all(bytes).await {
        Ok(()) => conn.stream.flush().await.is_ok(),
        Err(e) => {
            conn.note(format!("write failed: {e}"));
            false
        }
    }
}

/// Checks the common shape of a broken-connection run with `--retries 1`:
/// a `body` record after two attempts, two connections each carrying one
/// `GET /`.
fn assert_body_error_retried(out: &TrawlOutput, server: &RawServer) -> Value {
    let r = single(out);
    assert_eq!(error_kind(&r), Some("body"), "{r}");
    assert_eq!(r["attempts"], 2, "a broken connection is retried once: {r}");
    let conns = server.connections();
    assert_eq!(conns.len(), 2, "one connection per attempt: {conns:?}");
    assert_eq!(server.paths(), ["/", "/"]);
    for c in &conns {
        assert_eq!(c.heads.len(), 1, "one request per connection: {c:?}");
        assert!(c.heads[0].starts_with("GET / HTTP/1.1"), "{c:?}");
    }
    r
}

#[tokio::test]
async fn connection_closed_before_any_response_byte_is_body_and_retried() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        // Dropped here: a FIN without a single byte of response.
    })
    .await;
    let out = fetch(&server.url("/"), &["--retries", "1"]).await;
    let r = assert_body_error_retried(&out, &server);
    assert!(r["status"].is_null(), "no status line arrived: {r}");
    assert_eq!(r["bytes"], 0, "{r}");
}

#[tokio::test]
async fn connection_reset_mid_body_is_body_and_retried() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        let mut response = html_head(100_000).into_bytes();
        response.extend(partial_body(1000));
        send(&mut conn, &response).await;
        // Let trawl read the headers and the first 1000 bytes, then reset.
        tokio::time::sleep(Duration::from_millis(300)).await;
        conn.reset();
    })
    .await;
    let out = fetch(&server.url("/"), &["--retries", "1"]).await;
    let r = assert_body_error_retried(&out, &server);
    assert_eq!(r["status"], 200, "the headers had arrived: {r}");
    assert_eq!(r["bytes"], 1000, "bytes read before the reset: {r}");
}

#[tokio::test]
async fn content_length_larger_than_the_body_is_body_and_retried() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        let mut response = html_head(100_000).into_bytes();
        response.extend(partial_body(1000));
        if send(&mut conn, &response).await {
            // A clean FIN after 1000 of the 100000 promised bytes.
            let _ = conn.stream.shutdown().await;
        }
    })
    .await;
    let out = fetch(&server.url("/"), &["--retries", "1"]).await;
    let r = assert_body_error_retried(&out, &server);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["bytes"], 1000, "bytes that arrived: {r}");
}

#[tokio::test]
async fn chunked_body_cut_before_its_last_chunk_is_body() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\
                        Transfer-Encoding: chunked\r\n\r\n\
                        10\r\n<html><title>cut\r\n";
        if send(&mut conn, response.as_bytes()).await {
            let _ = conn.stream.shutdown().await;
        }
    })
    .await;
    let out = fetch(&server.url("/"), &["--retries", "1"]).await;
    let r = assert_body_error_retried(&out, &server);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["bytes"], 16, "the one complete chunk: {r}");
}

#[tokio::test]
async fn a_reset_then_a_good_answer_is_a_clean_record_after_two_attempts() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        if conn.index == 0 {
            let mut response = html_head(5000).into_bytes();
            response.extend(partial_body(100));
            send(&mut conn, &response).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            conn.reset();
        } else {
            let body = "<html><head><title>Second time lucky</title></head></html>";
            let mut response = html_head(body.len()).into_bytes();
            response.extend_from_slice(body.as_bytes());
            send(&mut conn, &response).await;
        }
    })
    .await;
    let out = fetch(&server.url("/"), &[]).await;
    let r = single(&out);
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["title"], "Second time lucky");
    assert_eq!(r["attempts"], 2, "{r}");
    assert_eq!(
        r["bytes"],
        "<html><head><title>Second time lucky</title></head></html>".len()
    );
    assert_eq!(server.connections().len(), 2);
    assert_eq!(server.paths(), ["/", "/"]);
}

#[tokio::test]
async fn a_trickling_body_times_out_at_the_whole_request_deadline() {
    let server = RawServer::start(|mut conn: RawConn| async move {
        conn.read_head().await;
        if !send(&mut conn, html_head(100_000).as_bytes()).await {
            return;
        }
        // One byte every 300 ms, for at most a minute.
        for sent in 0..200 {
            if !send(&mut conn, b"x").await {
                conn.note(format!("peer gone after {sent} body bytes"));
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    let started = Instant::now();
    let out = fetch(&server.url("/"), &["--timeout", "2s", "--retries", "0"]).await;
    let took = started.elapsed();
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("timeout"), "{r}");
    assert_eq!(r["attempts"], 1, "{r}");
    assert_eq!(r["status"], 200, "the headers came in time: {r}");
    let bytes = r["bytes"].as_u64().expect("bytes");
    assert!(
        (2..=10).contains(&bytes),
        "about 2 s / 300 ms bytes had trickled in, got {bytes}: {r}"
    );
    assert!(
        took < Duration::from_secs(5),
        "--timeout 2s covers the body too, but the run took {took:?}"
    );
    assert!(took >= Duration::from_millis(1900), "took {took:?}");
    let elapsed_ms = r["elapsed_ms"].as_u64().expect("elapsed_ms");
    assert!(
        (1900..5000).contains(&elapsed_ms),
        "elapsed_ms {elapsed_ms}"
    );
    assert_eq!(server.connections().len(), 1);
    assert_eq!(server.paths(), ["/"]);
}

#[tokio::test]
async fn headers_that_never_come_time_out() {
    // Nothing at all after the request, and half a status line: both wait
    // for headers that never complete.
    for (name, prefix) in [
        ("silent", &b""[..]),
        ("half a head", b"HTTP/1.1 200 OK\r\nCont"),
    ] {
        let server = RawServer::start(move |mut conn: RawConn| async move {
            conn.read_head().await;
            send(&mut conn, prefix).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        })
        .await;
        let started = Instant::now();
        let out = fetch(&server.url("/"), &["--timeout", "2s", "--retries", "0"]).await;
        let took = started.elapsed();
        let r = single(&out);
        assert_eq!(error_kind(&r), Some("timeout"), "{name}: {r}");
        assert_eq!(r["attempts"], 1, "{name}: {r}");
        assert!(r["status"].is_null(), "{name}: {r}");
        assert_eq!(r["bytes"], 0, "{name}: {r}");
        assert!(took < Duration::from_secs(5), "{name}: took {took:?}");
        assert!(took >= Duration::from_millis(1900), "{name}: took {took:?}");
        assert_eq!(server.connections().len(), 1, "{name}");
        assert_eq!(server.paths(), ["/"], "{name}");
    }
}

/// What a garbage response must produce.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A record with some error kind from SPEC.
    AnyError,
    /// This error kind.
    Kind(&'static str),
    /// Any record at all (an error from SPEC's list, or none).
    Record,
    /// A 200 record without an error, and a title.
    Clean,
}

#[tokio::test]
async fn garbage_instead_of_http_is_an_error_record_never_a_crash() {
    let huge_header = {
        let mut r = b"HTTP/1.1 200 OK\r\nX-Huge: ".to_vec();
        // Past hyper's limit on a response head (about 400 KB).
        r.resize(r.len() + 1_000_000, b'a');
        r.extend_from_slice(b"\r\n\r\n");
        r
    };
    let endless_continue = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(20_000);
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("plain text", b"hello\r\n\r\n".to_vec(), Expect::AnyError),
        (
            "binary",
            b"\x00\xff\xfe\x80garbage\x81\x00\r\n\r\n".to_vec(),
            Expect::AnyError,
        ),
        (
            "html, no status line",
            b"<html><title>0.9</title></html>".to_vec(),
            Expect::AnyError,
        ),
        (
            "bad status code",
            b"HTTP/1.1 99999 Weird\r\n\r\n".to_vec(),
            Expect::AnyError,
        ),
        (
            "bad version",
            b"HTTP/7.3 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
            Expect::AnyError,
        ),
        (
            "header without colon",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n".to_vec(),
            Expect::AnyError,
        ),
        (
            "non-numeric Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nhi".to_vec(),
            Expect::AnyError,
        ),
        (
            "conflicting Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello".to_vec(),
            Expect::AnyError,
        ),
        (
            "bad chunk size",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
                .to_vec(),
            Expect::AnyError,
        ),
        ("1 MB header", huge_header, Expect::AnyError),
        ("100 Continue forever", endless_continue, Expect::AnyError),
        (
            "unparsable Location",
            b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Expect::Kind("invalid_url"),
        ),
        (
            "non-UTF-8 Location",
            b"HTTP/1.1 302 Found\r\nLocation: /caf\xe9\xff\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Expect::Record,
        ),
        (
            "non-UTF-8 charset and title",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\xfe\r\n\
              Content-Length: 24\r\n\r\n<title>\xff\xfe\x00t</title>\x00\x00\xc3\x28\xe2"
                .to_vec(),
            Expect::Clean,
        ),
        (
            "unknown Content-Encoding",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: x-weird\r\n\
              Content-Length: 2\r\n\r\nhi"
                .to_vec(),
            Expect::Record,
        ),
    ];
    let runs = cases
        .into_iter()
        .map(|(name, response, expect)| async move {
            let response = Arc::new(response);
            let server = RawServer::start(move |mut conn: RawConn| {
                let response = Arc::clone(&response);
                async move {
                    let Some(head) = conn.read_head().await else {
                        return;
                    };
                    if head.starts_with("GET / ") {
                        send(&mut conn, &response).await;
                    } else {
                        // Where a redirect led: a plain page.
                        let body = "<title>elsewhere</title>";
                        let mut ok = html_head(body.len()).into_bytes();
                        ok.extend_from_slice(body.as_bytes());
                        send(&mut conn, &ok).await;
                    }
                    let _ = conn.stream.shutdown().await;
                }
            })
            .await;
            let out = fetch(&server.url("/"), &["--retries", "0", "--timeout", "5s"]).await;
            (name, expect, out, server.paths())
        });
    for (name, expect, out, paths) in futures::future::join_all(runs).await {
        assert_no_panic(&out);
        if let Some(r) = out.records().first() {
            eprintln!(
                "garbage {name:?}: status {} error {}",
                r["status"], r["error"]
            );
        }
        assert_eq!(
            out.code(),
            Some(0),
            "{name}: exit {:?}\n{}",
            out.code(),
            out.stderr
        );
        let records = out.records();
        assert_eq!(records.len(), 1, "{name}: {records:?}");
        let r = &records[0];
        match error_kind(r) {
            Some(k) => assert!(
                ERROR_KINDS.contains(&k),
                "{name}: kind {k:?} is not in SPEC: {r}"
            ),
            None => assert!(r["error"].is_null(), "{name}: malformed error: {r}"),
        }
        match expect {
            Expect::AnyError => assert!(error_kind(r).is_some(), "{name}: no error: {r}"),
            Expect::Kind(k) => assert_eq!(error_kind(r), Some(k), "{name}: {r}"),
            Expect::Record => {}
            Expect::Clean => {
                assert!(r["error"].is_null(), "{name}: {r}");
                assert_eq!(r["status"], 200, "{name}: {r}");
                assert!(r["title"].is_string(), "{name}: {r}");
            }
        }
        assert_eq!(r["attempts"], 1, "{name}: --retries 0: {r}");
        assert_eq!(
            paths.first().map(String::as_str),
            Some("/"),
            "{name}: {paths:?}"
        );
        assert!(
            paths.len() <= 2,
            "{name}: at most the page and one hop: {paths:?}"
        );
    }
}
