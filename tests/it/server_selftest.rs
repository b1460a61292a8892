//! Checks the test harness itself: the fixture server answers and logs the
//! way the behaviour tests rely on, and the binary runner works. Requests go
//! over a raw `TcpStream` so that no HTTP client sits between the test and
//! the server.

use crate::common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use common::{
    ServerOpts, TestServer, expected_pages, expected_titles, finish_trawl, fixtures_dir,
    run_command, run_trawl, spawn_trawl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
async fn raw_request(addr: SocketAddr, method: &str, target: &str) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: selftest/1\r\n\
         X-Test: one\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("response within the timeout")
        .expect("read response");
    parse_response(&raw, method == "HEAD")
}

async fn raw_get(addr: SocketAddr, target: &str) -> RawResponse {
    raw_request(addr, "GET", target).await
}

fn parse_response(raw: &[u8], head: bool) -> RawResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of response head");
    let head_text = std::str::from_utf8(&raw[..split]).expect("ASCII response head");
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&data[..line_end]).expect("chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or_default(), 16)
            .expect("hex chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn fixture_bytes(path: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir("site").join(path)).expect("fixture file")
}

#[tokio::test]
async fn root_serves_index_with_origin_substituted() {
    let server = TestServer::site().await;
    let response = raw_get(server.addr(), "/").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/html"));
    let text = response.text();
    assert!(
        text.contains(&format!(
            "<link rel=\"canonical\" href=\"{}/\">",
            server.origin()
        )),
        "{text}"
    );
    assert!(!text.contains("{{"), "placeholder left in {text}");
    assert_eq!(
        response.header("content-length"),
        Some(response.body.len().to_string().as_str())
    );

    let absolute = raw_get(server.addr(), "/links/absolute.html").await.text();
    assert!(absolute.contains(&format!(
        "\"//127.0.0.1:{}/protocol-relative.html\"",
        server.port()
    )));
    assert!(absolute.contains(&format!("\"HTTP://{}/case.html\"", server.addr())));
}

#[tokio::test]
async fn missing_page_is_404_with_html_body() {
    let server = TestServer::site().await;
    let response = raw_get(server.addr(), "/missing.html").await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(response.text().contains("Not Found"));
    assert_eq!(raw_get(server.addr(), "/_headers").await.status, 404);
    assert_eq!(raw_get(server.addr(), "/../Cargo.toml").await.status, 404);
    assert_eq!(raw_get(server.addr(), "/links/").await.status, 404);
    assert_eq!(raw_get(server.addr(), "/about.html/").await.status, 404);
    let logged: Vec<Option<u16>> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(logged, vec![Some(404); 5]);
}

#[tokio::test]
async fn headers_file_overrides_content_type_and_bytes_stay_exact() {
    let server = TestServer::site().await;
    let response = raw_get(server.addr(), "/charset/latin1-header.html").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=iso-8859-1")
    );
    assert_eq!(response.body, fixture_bytes("charset/latin1-header.html"));

    let sniffed = raw_get(server.addr(), "/charset/eucjp-sniffed.html").await;
    assert_eq!(sniffed.header("content-type"), Some("text/html"));
    assert_eq!(sniffed.body, fixture_bytes("charset/eucjp-sniffed.html"));
}

#[tokio::test]
async fn content_types_by_extension_and_binaries_untouched() {
    let server = TestServer::site().await;
    let png = raw_get(server.addr(), "/image.png").await;
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(png.body, fixture_bytes("image.png"));
    assert!(png.body.windows(10).any(|w| w == b"{{origin}}"));

    let json = raw_get(server.addr(), "/data.json").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
    let value: serde_json::Value = serde_json::from_slice(&json.body).expect("valid JSON");
    assert_eq!(value["self"], server.url("/data.json"));

    let txt = raw_get(server.addr(), "/notes.txt").await;
    assert_eq!(txt.header("content-type"), Some("text/plain"));
    let xml = raw_get(server.addr(), "/doc.xml").await;
    assert_eq!(xml.header("content-type"), Some("application/xml"));
    assert!(xml.text().contains(&server.origin()));
}

#[tokio::test]
async fn directories_redirect_and_serve_their_index() {
    let server = TestServer::site().await;
    let redirect = raw_get(server.addr(), "/shop?x=1").await;
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/shop/?x=1"));
    let index = raw_get(server.addr(), "/shop/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("<title>Shop</title>"));
    let sub = raw_get(server.addr(), "/links/sub/").await;
    assert!(sub.text().contains("Sub directory index"));
}

#[tokio::test]
async fn paths_are_percent_decoded_and_queries_ignored() {
    let server = TestServer::site().await;
    let cafe = raw_get(server.addr(), "/caf%C3%A9.html").await;
    assert_eq!(cafe.status, 200);
    assert!(cafe.text().contains("<title>Café</title>"));
    assert_eq!(
        raw_get(server.addr(), "/with%20space.html").await.status,
        200
    );
    let search = raw_get(server.addr(), "/search.html?b=2&a=1").await;
    assert_eq!(search.status, 200);
    assert!(search.text().contains("<title>Search</title>"));
    assert_eq!(
        server.paths(),
        [
            "/caf%C3%A9.html",
            "/with%20space.html",
            "/search.html?b=2&a=1"
        ]
    );
    assert_eq!(server.count("/search.html?b=2&a=1"), 1);
    assert_eq!(server.count("/search.html"), 0);
}

#[tokio::test]
async fn head_has_length_but_no_body() {
    let server = TestServer::site().await;
    let response = raw_request(server.addr(), "HEAD", "/about.html").await;
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    let expected = fixture_bytes("about.html").len().to_string();
    assert_eq!(response.header("content-length"), Some(expected.as_str()));
    assert_eq!(server.requests()[0].method, "HEAD");
}

#[tokio::test]
async fn log_records_method_path_headers_and_timing() {
    let server = TestServer::site().await;
    let before = Instant::now();
    raw_get(server.addr(), "/about.html?x=1").await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/about.html?x=1");
    assert_eq!(request.version, "HTTP/1.1");
    let host = server.addr().to_string();
    assert_eq!(request.host.as_deref(), Some(host.as_str()));
    assert_eq!(request.header("User-Agent"), Some("selftest/1"));
    assert!(
        request
            .headers
            .iter()
            .any(|(n, v)| n == "x-test" && v == "one")
    );
    assert!(
        request
            .headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(request.in_flight, 1);
    assert_eq!(request.status, Some(200));
    assert!(request.peer.is_some());
    assert!(request.arrived >= before);
    let finished = request.finished.expect("finished");
    assert!(finished >= request.arrived);
    assert_eq!(server.in_flight(), 0);
    assert_eq!(server.max_in_flight(), 1);
}

#[tokio::test]
async fn delay_holds_requests_in_flight_together() {
    let delay = Duration::from_millis(300);
    let server = TestServer::start(ServerOpts::site().with_delay(delay)).await;
    let addr = server.addr();
    let started = Instant::now();
    let responses = futures::future::join_all(
        ["/links/a.html", "/links/b.html", "/about.html"].map(|p| raw_get(addr, p)),
    )
    .await;
    assert!(responses.iter().all(|r| r.status == 200));
    assert!(started.elapsed() >= delay);
    assert_eq!(server.max_in_flight(), 3);
    let mut seen: Vec<usize> = server.requests().iter().map(|r| r.in_flight).collect();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3]);
    for request in server.requests() {
        assert!(request.duration().expect("finished") >= delay);
    }
    assert_eq!(server.in_flight(), 0);
}

#[tokio::test]
async fn client_disconnect_ends_in_flight() {
    let delay = Duration::from_secs(5);
    let server = TestServer::start(ServerOpts::site().with_delay(delay)).await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    stream
        .write_all(b"GET /about.html HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    server.wait_for_requests(1, WAIT).await;
    assert_eq!(server.in_flight(), 1);
    drop(stream);
    assert!(server.wait_until(WAIT, |s| s.in_flight() == 0).await);
    // Dropped with the handler, not counted until the delay ran out.
    let held = server.requests()[0].duration().expect("finished");
    assert!(held < delay, "held {held:?}");
}

#[tokio::test]
async fn streamed_body_counts_as_in_flight_until_sent() {
    let gap = Duration::from_millis(300);
    let routes = Router::new().route(
        "/slow",
        get(move || async move {
            let chunks = futures::stream::unfold(0, move |n| async move {
                if n == 2 {
                    return None;
                }
                if n == 1 {
                    tokio::time::sleep(gap).await;
                }
                Some((
                    Ok::<_, std::io::Error>(Bytes::from_static(b"chunk\n")),
                    n + 1,
                ))
            });
            Body::from_stream(chunks)
        }),
    );
    let server = TestServer::start(ServerOpts::site().with_routes(routes)).await;
    let response = raw_get(server.addr(), "/slow").await;
    assert_eq!(response.body, b"chunk\nchunk\n");
    let request = &server.requests()[0];
    assert!(request.duration().expect("finished") >= gap);
    // Routes come first, the fixtures still answer the rest.
    assert_eq!(raw_get(server.addr(), "/about.html").await.status, 200);
}

#[tokio::test]
async fn routes_only_server_logs_unmatched_paths() {
    let routes = Router::new().route("/hello", get(|| async { "hello" }));
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let hello = raw_get(server.addr(), "/hello").await;
    assert_eq!(hello.text(), "hello");
    assert_eq!(hello.header("content-length"), Some("5"));
    assert_eq!(raw_get(server.addr(), "/nothing").await.status, 404);
    assert_eq!(server.paths(), ["/hello", "/nothing"]);
}

#[tokio::test]
async fn second_loopback_address_is_a_separate_host() {
    let server = TestServer::start(ServerOpts::site().with_ip(Ipv4Addr::new(127, 0, 0, 2))).await;
    assert!(server.origin().starts_with("http://127.0.0.2:"));
    let response = raw_get(server.addr(), "/").await;
    assert_eq!(response.status, 200);
    assert!(response.text().contains(&server.url("/")));
}

#[tokio::test]
async fn expected_pages_are_served_with_their_status() {
    let server = TestServer::site().await;
    let expected = expected_pages();
    assert!(expected.len() >= 35, "{} rows", expected.len());
    assert!(expected.iter().any(|p| p.status == 404));
    assert!(!expected.iter().any(|p| p.path == "/nofollow-target.html"));
    for page in &expected {
        let response = raw_get(server.addr(), &page.path).await;
        assert_eq!(response.status, page.status, "{}", page.path);
    }
    // Listed only through rel=nofollow, yet present, so a wrong fetch shows as 200.
    assert_eq!(
        raw_get(server.addr(), "/nofollow-target.html").await.status,
        200
    );
    for file in ["charset/EXPECTED_TITLES.tsv", "titles/EXPECTED_TITLES.tsv"] {
        for (path, title) in expected_titles(file) {
            assert!(expected.iter().any(|p| p.path.starts_with(&path)), "{path}");
            assert!(!title.is_empty(), "{path}");
        }
    }
}

#[tokio::test]
async fn trawl_binary_runs() {
    let output = run_trawl(&["--version"], None, WAIT).await;
    assert!(output.code().is_some(), "killed by a signal: {output:?}");
    // The binary may still be a stub; only check the version once it prints one.
    if output.stdout.trim().is_empty() {
        eprintln!("trawl --version printed nothing; skipping the version check");
    } else {
        assert_eq!(output.code(), Some(0), "{output:?}");
        assert!(
            output.stdout.contains(env!("CARGO_PKG_VERSION")),
            "{output:?}"
        );
    }
}

#[tokio::test]
async fn runner_kills_and_reports_a_hung_process() {
    let mut command = tokio::process::Command::new("sh");
    command.args(["-c", "echo started; exec sleep 30"]);
    let run = tokio::spawn(run_command(command, None, Duration::from_millis(300)));
    let error = run.await.expect_err("the runner must panic on timeout");
    let panic = error.into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("did not finish within"), "{message}");
    assert!(message.contains("started"), "{message}");
}

#[tokio::test]
async fn spawned_trawl_is_collected() {
    let child = spawn_trawl(&["--version"]);
    let output = finish_trawl(child, WAIT).await;
    assert!(output.code().is_some(), "killed by a signal: {output:?}");
}
