//! The transport contract, one test body run against every transport (the
//! HTTP transport with each of its clients: direct, and reqwest through a
//! forward proxy; the browser of `--render` is a stage after it, not a
//! transport), and the
//! page stage on top of it: what a transport returns is the response as
//! received — status, headers, the body before content-decoding, the peer —
//! and the page stage makes the same record of it whoever fetched it.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use url::Url;

use super::http::HttpTransport;
use super::transport::{Body, Request, Transport};
use super::{Fetcher, Outcome};
use crate::cli::CrawlArgs;
use crate::config::Settings;
use crate::options::Mode;
use crate::record::CrawlItem;
use crate::urls::Anchor;

const PAGE: &str = "<title>Packed</title><a href=\"/next\">next</a>";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A server on 127.0.0.1: `/packed` is gzip-coded HTML, `/echo` answers
/// with the request's conditional headers, `/moved` redirects.
async fn server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let routes = Router::new()
        .route(
            "/packed",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(PAGE.as_bytes()),
                )
            }),
        )
        .route(
            "/echo",
            get(|h: HeaderMap| async move {
                let v = |n: &str| {
                    h.get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_string()
                };
                format!("{} {}", v("if-none-match"), v("if-modified-since"))
            }),
        )
        .route(
            "/moved",
            get(|| async {
                (
                    [(header::LOCATION, "/packed")],
                    axum::http::StatusCode::FOUND,
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, routes).await.unwrap();
    });
    (addr, task)
}

async fn whole<B: Body>(mut body: B) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(chunk) = body.chunk().await.unwrap() {
        all.extend_from_slice(&chunk);
    }
    all
}

/// The contract.
async fn contract<T: Transport>(t: &T, base: &Url) {
    // As received: the coded bytes and the headers that describe them.
    let url = base.join("/packed").unwrap();
    let head = t.send(Request::get(&url)).await.unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header(header::CONTENT_ENCODING).as_deref(),
        Some("gzip")
    );
    assert_eq!(
        head.remote_addr.map(|a| a.ip().to_string()).as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        whole(head.body).await,
        gzip(PAGE.as_bytes()),
        "the body before decoding"
    );

    // Conditional requests carry their validators, and say they do.
    let url = base.join("/echo").unwrap();
    let mut req = Request::get(&url);
    req.if_none_match = Some("\"v1\"");
    req.if_modified_since = Some("Wed, 21 Oct 2015 07:28:00 GMT");
    let head = t.send(req).await.unwrap();
    let echoed = String::from_utf8(whole(head.body).await).unwrap();
    assert_eq!(echoed, "\"v1\" Wed, 21 Oct 2015 07:28:00 GMT");
    let sent = t.sent_headers(req);
    assert_eq!(sent["if-none-match"], "\"v1\"");
    assert!(sent.contains_key(header::USER_AGENT));

    // One hop: a redirect is returned, not followed.
    let url = base.join("/moved").unwrap();
    let head = t.send(Request::get(&url)).await.unwrap();
    assert_eq!(head.status, 302);
    assert_eq!(head.header(header::LOCATION).as_deref(), Some("/packed"));
}

/// An address bound but not listening: the port is held, and refuses.
fn refusing() -> tokio::net::TcpSocket {
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    closed
}

/// A refused connection (to the server, or to the proxy) is an error of a
/// kind, not a panic.
async fn refused<T: Transport>(t: &T, url: &Url) {
    let err = t
        .send(Request::get(url))
        .await
        .err()
        .expect("nothing listens");
    assert_eq!(err.kind, crate::error::ErrorKind::Connect, "{err:?}");
}

/// A forward proxy on 127.0.0.1 for plain HTTP: each request (in absolute
/// form) goes on to its target as it came, and the response comes back as
/// received, marked `x-proxied: 1`.
async fn proxy() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<axum::body::Body>();
    let routes = Router::new().fallback(move |req: axum::extract::Request| {
        let client = client.clone();
        async move {
            match client.request(req).await {
                Ok(mut resp) => {
                    let mark = header::HeaderValue::from_static("1");
                    resp.headers_mut().insert("x-proxied", mark);
                    resp.map(axum::body::Body::new).into_response()
                }
                Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, routes).await.unwrap();
    });
    (addr, task)
}

fn settings() -> Arc<Settings> {
    settings_with_proxy(None)
}

fn settings_with_proxy(proxy: Option<String>) -> Arc<Settings> {
    let args = CrawlArgs {
        retries: Some(0),
        proxy,
        ..CrawlArgs::default()
    };
    Arc::new(Settings::resolve(Mode::Fetch, args).unwrap())
}

fn item(url: Url) -> CrawlItem {
    CrawlItem::new(
        url.clone(),
        Arc::from(url.as_str()),
        Arc::new(Anchor::new(&url)),
        None,
        0,
    )
}

#[tokio::test]
async fn http_transport_keeps_the_contract() {
    let (addr, server) = server().await;
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let s = settings();
    let t = HttpTransport::new(&s, 64).unwrap();
    contract(&t, &base).await;
    let closed = refusing();
    refused(
        &t,
        &Url::parse(&format!("http://{}/", closed.local_addr().unwrap())).unwrap(),
    )
    .await;
    server.abort();
}

#[tokio::test]
async fn http_transport_through_a_proxy_keeps_the_contract() {
    let (addr, server) = server().await;
    let (proxy_addr, proxy) = proxy().await;
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let s = settings_with_proxy(Some(format!("http://{proxy_addr}")));
    let t = HttpTransport::new(&s, 64).unwrap();
    contract(&t, &base).await;
    let head = t.send(Request::get(&base)).await.unwrap();
    assert_eq!(
        head.header("x-proxied").as_deref(),
        Some("1"),
        "not proxied"
    );
    // The proxy refuses: an error of a kind.
    let closed = refusing();
    let s = settings_with_proxy(Some(format!("http://{}", closed.local_addr().unwrap())));
    refused(&HttpTransport::new(&s, 64).unwrap(), &base).await;
    server.abort();
    proxy.abort();
}

#[tokio::test]
async fn the_page_stage_decodes_and_keeps_the_exchange_only_when_asked() {
    let (addr, server) = server().await;
    let url = Url::parse(&format!("http://{addr}/packed")).unwrap();
    let s = settings();
    for capture in [false, true] {
        let fetcher = Fetcher::new(HttpTransport::new(&s, 64).unwrap(), s.clone(), capture);
        let Outcome::Done {
            record,
            exchange,
            follow,
            ..
        } = fetcher.fetch(item(url.clone())).await
        else {
            panic!("not a finished page");
        };
        assert_eq!(record.title.as_deref(), Some("Packed"), "{record:?}");
        assert_eq!(
            record.bytes,
            PAGE.len() as u64,
            "bytes count the decoded body"
        );
        assert_eq!(record.links, [format!("http://{addr}/next")]);
        assert_eq!(follow.len(), 1);
        match (capture, exchange) {
            (false, None) => {}
            (true, Some(ex)) => {
                assert_eq!(ex.status, 200);
                assert_eq!(&ex.body[..], gzip(PAGE.as_bytes()), "kept as received");
                assert_eq!(ex.headers[header::CONTENT_ENCODING], "gzip");
                assert_eq!(ex.url, url);
                assert!(ex.request_headers.contains_key(header::ACCEPT_ENCODING));
            }
            (capture, ex) => panic!("capture {capture}: exchange {ex:?}"),
        }
    }
    server.abort();
}
