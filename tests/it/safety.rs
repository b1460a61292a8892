//! SPEC "Safety": TLS verification and `--insecure`, `--deny-private-ips`
//! (IP literals in every spelling, names mapped with `--resolve`, robots.txt
//! included), and redirects: to other schemes (`file:///etc/passwd`), long
//! chains and loops. Each test checks the records and what the server saw.
//! Spider traps and bad input are in `traps_bad_input.rs`.

use crate::common;

use common::records::{assert_no_panic, error_kind, single};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use common::raw::{self, RawConn};
use common::{RawServer, ServerOpts, TestServer, run_trawl};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;

/// Upper bound on any one trawl run.
const LIMIT: Duration = Duration::from_secs(60);

fn message(record: &Value) -> &str {
    record["error"]["message"].as_str().unwrap_or_default()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    ))
}

// ---------------------------------------------------------------- TLS ----

/// A TLS acceptor with a fresh self-signed certificate for `localhost`.
fn self_signed_acceptor() -> TlsAcceptor {
    TlsAcceptor::from(Arc::new(common::tls::self_signed_localhost()))
}

/// An HTTPS server on 127.0.0.1 with a self-signed certificate for
/// `localhost`; answers every request with a page titled "Secure". The log
/// notes each handshake's outcome.
async fn https_server() -> RawServer {
    let acceptor = self_signed_acceptor();
    RawServer::start(move |mut conn: RawConn| {
        let acceptor = acceptor.clone();
        async move {
            let mut tls = match acceptor.accept(&mut conn.stream).await {
                Ok(tls) => {
                    conn.log.note("handshake ok");
                    tls
                }
                Err(e) => {
                    conn.log.note(format!("handshake failed: {e}"));
                    return;
                }
            };
            let Some(head) = raw::read_head(&mut tls).await else {
                return;
            };
            conn.log.head(head);
            let body = "<html><head><title>Secure</title></head><body>ok</body></html>";
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    })
    .await
}

#[tokio::test]
async fn self_signed_certificate_is_a_tls_error_not_retried() {
    let server = https_server().await;
    let url = format!("https://localhost:{}/", server.port());
    let out = run_trawl(
        &[
            "fetch",
            "--robots",
            "ignore",
            "--resolve",
            "localhost:127.0.0.1",
            &url,
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("tls"), "{r}");
    assert_eq!(r["attempts"], 1, "a bad certificate is not retried: {r}");
    assert!(r["status"].is_null(), "{r}");
    assert_eq!(r["bytes"], 0, "{r}");
    let conns = server.connections();
    assert_eq!(conns.len(), 1, "one handshake, no retry: {conns:?}");
    assert!(
        conns[0]
            .notes
            .iter()
            .any(|n| n.starts_with("handshake failed")),
        "the server saw the handshake fail: {conns:?}"
    );
    assert!(conns[0].heads.is_empty(), "no request was sent: {conns:?}");
}

#[tokio::test]
async fn insecure_from_the_config_file_is_turned_off_by_no_insecure() {
    let server = https_server().await;
    let url = format!("https://localhost:{}/", server.port());
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("trawl.toml");
    std::fs::write(&cfg, "insecure = true\nrobots = \"ignore\"\n").expect("config written");
    let cfg = cfg.to_str().expect("a UTF-8 path");
    let base = ["fetch", "-c", cfg, "--resolve", "localhost:127.0.0.1"];
    let on = run_trawl(&[&base[..], &[url.as_str()]].concat(), None, LIMIT).await;
    assert_eq!(
        single(&on)["status"],
        200,
        "the file's insecure = true applies"
    );
    let off = run_trawl(
        &[&base[..], &["--no-insecure", url.as_str()]].concat(),
        None,
        LIMIT,
    )
    .await;
    assert_eq!(
        error_kind(&single(&off)),
        Some("tls"),
        "--no-insecure verifies again"
    );
}

#[tokio::test]
async fn insecure_accepts_the_self_signed_certificate() {
    let server = https_server().await;
    let url = format!("https://localhost:{}/", server.port());
    let out = run_trawl(
        &[
            "fetch",
            "--robots",
            "ignore",
            "--insecure",
            "--resolve",
            "localhost:127.0.0.1",
            &url,
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["title"], "Secure");
    assert_eq!(r["attempts"], 1);
    let conns = server.connections();
    assert_eq!(conns.len(), 1, "{conns:?}");
    assert_eq!(conns[0].notes, ["handshake ok"], "{conns:?}");
    assert_eq!(server.paths(), ["/"]);
    let head = &conns[0].heads[0];
    assert!(
        head.to_ascii_lowercase().contains("host: localhost:"),
        "SNI/Host name is localhost: {head}"
    );
}

// ------------------------------------------------- --deny-private-ips ----

/// Spellings of loopback and unspecified addresses that all reach this
/// machine, each with its own path so none is a duplicate of another, and
/// the address the refusal message should name.
fn private_spellings(port: u16) -> Vec<(String, &'static str)> {
    vec![
        (format!("http://127.0.0.1:{port}/dotted"), "127.0.0.1"),
        (format!("http://2130706433:{port}/decimal"), "127.0.0.1"),
        (format!("http://0x7f.0.0.1:{port}/hex"), "127.0.0.1"),
        (format!("http://0177.0.0.01:{port}/octal"), "127.0.0.1"),
        (format!("http://127.1:{port}/short"), "127.0.0.1"),
        (format!("http://0.0.0.0:{port}/unspecified"), "0.0.0.0"),
        (format!("http://[::1]:{port}/v6"), "::1"),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/mapped"),
            "127.0.0.1",
        ),
    ]
}

#[tokio::test]
async fn deny_private_ips_refuses_ip_literals_without_a_request() {
    let server = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|| async { page("Private", "") }),
    ))
    .await;
    let seeds = private_spellings(server.port());
    let mut args = vec!["fetch", "--robots", "ignore", "--deny-private-ips"];
    args.extend(seeds.iter().map(|(u, _)| u.as_str()));
    let out = run_trawl(&args, None, LIMIT).await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    assert_eq!(
        records.len(),
        seeds.len(),
        "one record per seed: {records:?}"
    );
    for (seed, addr) in &seeds {
        let path = seed.rsplit('/').next().expect("path");
        let r = records
            .iter()
            .find(|r| {
                r["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(&format!("/{path}")))
            })
            .unwrap_or_else(|| panic!("no record for {seed}: {records:?}"));
        assert_eq!(error_kind(r), Some("connect"), "{seed}: {r}");
        let msg = message(r);
        assert!(
            msg.contains("--deny-private-ips"),
            "{seed}: message names the flag: {msg}"
        );
        assert!(
            msg.contains(addr) || (*addr == "127.0.0.1" && msg.contains("::ffff:127.0.0.1")),
            "{seed}: message names the address {addr}: {msg}"
        );
        assert!(r["status"].is_null(), "{seed}: {r}");
    }
    assert!(
        server.paths().is_empty(),
        "the server saw {:?}",
        server.paths()
    );

    // The control: without the flag, the same server answers.
    let control = run_trawl(&["fetch", "--robots", "ignore", &seeds[0].0], None, LIMIT).await;
    let r = single(&control);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(server.paths(), ["/dotted"]);
}

#[tokio::test]
async fn deny_private_ips_also_covers_robots_txt() {
    let server = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|| async { page("Private", "") }),
    ))
    .await;
    let seed = server.url("/");
    let out = run_trawl(&["crawl", "--deny-private-ips", &seed], None, LIMIT).await;
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("connect"), "{r}");
    assert!(message(&r).contains("--deny-private-ips"), "{r}");
    assert!(
        server.paths().is_empty(),
        "--deny-private-ips, yet the private server saw {:?}",
        server.paths()
    );
}

#[tokio::test]
async fn deny_private_ips_refuses_a_name_resolved_to_loopback() {
    let server = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|| async { page("Private", "") }),
    ))
    .await;
    let seed = format!("http://foo.test:{}/", server.port());
    // robots.txt obeyed (the default): it must be refused too.
    let out = run_trawl(
        &[
            "crawl",
            "--deny-private-ips",
            "--resolve",
            "foo.test:127.0.0.1",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("connect"), "{r}");
    let msg = message(&r);
    assert!(
        msg.contains("127.0.0.1"),
        "message names the address: {msg}"
    );
    assert!(
        msg.contains("--deny-private-ips"),
        "message names the flag: {msg}"
    );
    assert!(r["status"].is_null(), "{r}");
    assert!(
        server.paths().is_empty(),
        "the server saw {:?}",
        server.paths()
    );

    // The control: the same mapping without the flag reaches the server.
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--resolve",
            "foo.test:127.0.0.1",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(server.paths(), ["/"]);
    let requests = server.requests();
    assert_eq!(
        requests[0].host.as_deref(),
        Some(format!("foo.test:{}", server.port()).as_str())
    );
}

// There is no sub-test for "a public seed that redirects to 127.0.0.1":
// every server a test can run here is on a loopback address, which
// `--deny-private-ips` refuses before the first hop, so the redirect would
// never be fetched. Making a non-private address local needs root (`ip addr
// add`), which a test must not do to its machine.

// ---------------------------------------------------------- redirects ----

/// Hops of the long chain: `/hop/0` → … → `/hop/15` (200).
const HOPS: u32 = 15;

fn redirect(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn redirect_routes() -> Router {
    Router::new()
        .route(
            "/scheme/{i}",
            get(|Path(i): Path<usize>| async move { redirect(SCHEMES[i].to_string()) }),
        )
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                if n < HOPS {
                    redirect(format!("/hop/{}", n + 1))
                } else {
                    page("End of the chain", "").into_response()
                }
            }),
        )
        .route("/loop/a", get(|| async { redirect("/loop/b".into()) }))
        .route(
            "/loop/b",
            get(|| async {
                (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, "/loop/c")],
                )
                    .into_response()
            }),
        )
        .route(
            "/loop/c",
            get(|| async {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, "/loop/a")],
                )
                    .into_response()
            }),
        )
        .route(
            "/self",
            get(|| async { redirect("/x/../self#again".into()) }),
        )
        .route(
            "/to-absolute-self",
            get(|headers: HeaderMap| async move {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                redirect(format!("HTTP://{host}/to-absolute-self"))
            }),
        )
}

/// Redirect targets that are not http(s).
const SCHEMES: [&str; 6] = [
    "file:///etc/passwd",
    "ftp://127.0.0.1/pub/",
    "gopher://127.0.0.1:70/1",
    "data:text/html,<title>data</title>",
    "javascript:alert(1)",
    "mailto:root@localhost",
];

#[tokio::test]
async fn redirects_to_other_schemes_are_refused_and_never_followed() {
    let server = TestServer::start(ServerOpts::routes(redirect_routes())).await;
    let urls: Vec<String> = (0..SCHEMES.len())
        .map(|i| server.url(&format!("/scheme/{i}")))
        .collect();
    let mut args = vec!["fetch", "--robots", "ignore", "--body"];
    args.extend(urls.iter().map(String::as_str));
    let out = run_trawl(&args, None, LIMIT).await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), SCHEMES.len(), "{records:?}");
    for (i, target) in SCHEMES.iter().enumerate() {
        let url = &urls[i];
        let r = records
            .iter()
            .find(|r| r["url"] == url.as_str())
            .unwrap_or_else(|| panic!("no record for {url}"));
        assert_eq!(error_kind(r), Some("redirect_scheme"), "{target}: {r}");
        assert_eq!(r["status"], 302, "{target}: {r}");
        assert_eq!(r["attempts"], 1, "{target}: {r}");
        assert!(
            r["body"].is_null() || r["body"] == "",
            "{target}: nothing was read from the target: {r}"
        );
    }
    // /etc/passwd was never read: nothing of it in the output.
    assert!(!out.stdout.contains("root:x:0:0"), "{}", out.stdout);
    assert!(!out.stdout.contains("/bin/"), "{}", out.stdout);
    let mut paths = server.paths();
    paths.sort();
    let mut want: Vec<String> = (0..SCHEMES.len()).map(|i| format!("/scheme/{i}")).collect();
    want.sort();
    assert_eq!(paths, want, "only the redirecting pages were requested");
}

#[tokio::test]
async fn a_fifteen_hop_chain_passes_the_default_limit_of_ten() {
    let server = TestServer::start(ServerOpts::routes(redirect_routes())).await;
    let out = run_trawl(
        &["fetch", "--robots", "ignore", &server.url("/hop/0")],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(error_kind(&r), Some("redirect_limit"), "{r}");
    assert!(
        message(&r).contains("10"),
        "the message names the limit: {r}"
    );
    assert_eq!(r["status"], 302, "{r}");
    let want: Vec<String> = (0..=10).map(|n| format!("/hop/{n}")).collect();
    assert_eq!(
        server.paths(),
        want,
        "the first request and 10 hops, no more"
    );

    // Allowed 15 hops, the same chain ends at its page.
    let out = run_trawl(
        &[
            "fetch",
            "--robots",
            "ignore",
            "--max-redirects",
            "15",
            &server.url("/hop/0"),
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["final_url"], server.url("/hop/15").as_str());
    assert_eq!(r["title"], "End of the chain");
}

#[tokio::test]
async fn redirect_loops_end_as_redirect_limit_after_one_round() {
    let server = TestServer::start(ServerOpts::routes(redirect_routes())).await;
    let cases: [(&str, &[&str]); 3] = [
        ("/loop/a", &["/loop/a", "/loop/b", "/loop/c"]),
        ("/self", &["/self"]),
        ("/to-absolute-self", &["/to-absolute-self"]),
    ];
    for (start, want) in cases {
        let before = server.paths().len();
        let out = run_trawl(
            &["fetch", "--robots", "ignore", &server.url(start)],
            None,
            LIMIT,
        )
        .await;
        let r = single(&out);
        assert_eq!(error_kind(&r), Some("redirect_limit"), "{start}: {r}");
        assert!(
            [302, 307, 308].contains(&r["status"].as_u64().unwrap_or(0)),
            "{start}: {r}"
        );
        let seen = server.paths()[before..].to_vec();
        assert_eq!(seen, want, "{start}: each URL of the loop requested once");
    }
}
