//! The HTTP transport's two clients: without a proxy, hyper-util's client
//! directly (HTTP/2 by ALPN, a bounded read buffer: a head of 24 KiB is
//! read, one of 1 MiB is a `too_large` record); with `--proxy` or a `*_PROXY`
//! variable, reqwest through the proxy.

use crate::common;

use common::records::{error_kind, single};

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Uri;
use axum::response::{Html, IntoResponse};
use bytes::Bytes;
use common::{ServerOpts, TestServer, run_command, run_trawl, trawl_command};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// Upper bound on any one trawl run.
const LIMIT: Duration = Duration::from_secs(60);

/// An HTTPS server on 127.0.0.1 that speaks only HTTP/2 (ALPN `h2`) with a
/// self-signed certificate for `localhost`; each page's title is the HTTP
/// version it was asked with and its path. Stops when dropped.
struct H2Server {
    port: u16,
    _tasks: JoinSet<()>,
}

async fn h2_server() -> H2Server {
    let mut config = common::tls::self_signed_localhost();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let mut tasks = JoinSet::new();
    tasks.spawn(async move {
        let mut conns = JoinSet::new();
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            conns.spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let page = format!(
                        "<html><head><title>{:?} {}</title></head><body>ok</body></html>",
                        req.version(),
                        req.uri().path()
                    );
                    let mut resp = hyper::Response::new(Full::new(Bytes::from(page)));
                    resp.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/html"),
                    );
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    H2Server {
        port,
        _tasks: tasks,
    }
}

#[tokio::test]
async fn https_speaks_http2_when_the_server_offers_it() {
    let server = h2_server().await;
    let urls: String = ["/a", "/b", "/c"]
        .iter()
        .map(|p| format!("https://localhost:{}{p}\n", server.port))
        .collect();
    let out = run_trawl(
        &[
            "fetch",
            "--insecure",
            "--robots",
            "ignore",
            "--resolve",
            "localhost:127.0.0.1",
            "--seeds",
            "-",
        ],
        Some(urls.as_bytes()),
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), 3, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], 200, "{r}");
        let url = r["url"].as_str().unwrap_or_default();
        let path = &url[url.rfind('/').unwrap_or(0)..];
        assert_eq!(r["title"], format!("HTTP/2.0 {path}"), "{r}");
    }
}

/// A server that answers any request, an absolute-form one (as a proxy
/// gets) included, with a page titled with the request's URI.
async fn echo_server() -> TestServer {
    let routes = Router::new().fallback(|uri: Uri| async move {
        Html(format!(
            "<html><head><title>{uri}</title></head><body>ok</body></html>"
        ))
    });
    TestServer::start(ServerOpts::routes(routes)).await
}

#[tokio::test]
async fn proxy_option_sends_requests_through_the_proxy() {
    let proxy = echo_server().await;
    let out = run_trawl(
        &[
            "fetch",
            "--proxy",
            &proxy.origin(),
            "--robots",
            "ignore",
            "http://site.invalid/a?b=1",
        ],
        None,
        LIMIT,
    )
    .await;
    let r = single(&out);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["title"], "http://site.invalid/a?b=1", "{r}");
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn proxy_variable_sends_requests_through_the_proxy() {
    let proxy = echo_server().await;
    let mut command = trawl_command(&["fetch", "--robots", "ignore", "http://site.invalid/v"]);
    command.env("HTTP_PROXY", proxy.origin());
    let out = run_command(command, None, LIMIT).await;
    let r = single(&out);
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["title"], "http://site.invalid/v", "{r}");
}

#[tokio::test]
async fn a_24_kib_response_head_is_read_and_a_1_mib_one_is_too_large() {
    let routes = Router::new().fallback(|uri: Uri| async move {
        let kib: usize = uri.path().trim_start_matches('/').parse().unwrap_or(1);
        let big = "x".repeat(kib * 1024);
        (
            [("x-big", big)],
            Html("<html><head><title>big head</title></head></html>"),
        )
            .into_response()
    });
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let urls = format!("{}\n{}\n", server.url("/24"), server.url("/1024"));
    let out = run_trawl(
        &["fetch", "--robots", "ignore", "--seeds", "-"],
        Some(urls.as_bytes()),
        LIMIT,
    )
    .await;
    let records = common::by_url(&out.records());
    let read = &records[&server.url("/24")];
    assert_eq!(read["status"], 200, "a 24 KiB head is read: {read}");
    assert_eq!(read["title"], "big head", "{read}");
    let refused = &records[&server.url("/1024")];
    assert_eq!(error_kind(refused), Some("too_large"), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("response head larger than 32 KiB"),
        "{refused}"
    );
    assert_eq!(refused["attempts"], 1, "not retried: {refused}");
}
