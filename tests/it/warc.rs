//! `--warc`: the archive judged by warcio, the web-archiving toolchain's
//! reader — every digest checked, every record read — and by what the test
//! server sent: each request and response once, bodies as received (a
//! chunked one de-chunked, a gzip one still gzip), redirect hops, error
//! statuses and robots.txt included, revisits in a recrawl, a file a
//! `kill -9` cut still valid, rollover without a record lost or doubled.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use common::warcio;
use common::{ServerOpts, TestServer, finish_trawl, run_trawl, send_signal, spawn_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);
const CHUNKS: [&str; 3] = ["<title>Chunked</title>", "<p>in three", " chunks</p>"];
const PACKED: &str = "<title>Packed</title><p>sent gzip-encoded</p>";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into a Vec");
    e.finish().expect("gzip into a Vec")
}

/// `/` links to a chunked page, a gzip page, a redirect, a missing page, a
/// page with an ETag (304 to a match) and one without validators.
fn site() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                Html(
                    "<title>Home</title><a href=/chunked>c</a><a href=/gz>g</a>\
                     <a href=/moved>m</a><a href=/missing>x</a><a href=/etag>e</a>\
                     <a href=/same>s</a>",
                )
            }),
        )
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /private/\n" }),
        )
        .route(
            "/chunked",
            get(|| async {
                let parts = CHUNKS.map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c)));
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/html")
                    .body(Body::from_stream(futures::stream::iter(parts)))
                    .expect("a response")
            }),
        )
        .route(
            "/gz",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(PACKED.as_bytes()),
                )
            }),
        )
        .route(
            "/moved",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/target")],
                    Html("<a href=/target>moved</a>"),
                )
            }),
        )
        .route("/target", get(|| async { Html("<title>Target</title>") }))
        .route(
            "/etag",
            get(|headers: HeaderMap| async move {
                if headers.get(header::IF_NONE_MATCH).map(|v| v.as_bytes()) == Some(b"\"v1\"") {
                    return (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"v1\"")]).into_response();
                }
                ([(header::ETAG, "\"v1\"")], Html("<title>Tagged</title>")).into_response()
            }),
        )
        .route("/same", get(|| async { Html("<title>Same</title>") }))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn payload(r: &Value) -> Vec<u8> {
    data_encoding::BASE64
        .decode(r["payload"].as_str().unwrap_or_default().as_bytes())
        .expect("base64 payload")
}

fn header<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r["http_headers"].as_array()?.iter().find_map(|h| {
        (h[0].as_str()?.eq_ignore_ascii_case(name)).then(|| h[1].as_str().unwrap_or_default())
    })
}

/// Records of `kind` by target URI.
fn by_uri<'a>(records: &'a [Value], kind: &str) -> BTreeMap<String, Vec<&'a Value>> {
    let mut m: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in records.iter().filter(|r| r["type"] == kind) {
        m.entry(r["uri"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(r);
    }
    m
}

/// Crawls the site into `file`; returns the JSON records trawl printed.
async fn crawl(server: &TestServer, file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["crawl", "--warc", path_str(file), "--depth", "2"];
    args.extend_from_slice(extra);
    let seed = server.url("/");
    args.push(&seed);
    let out = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);
    out.records()
}

async fn archive_as_received(name: &str) {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(name);
    let printed = crawl(&server, &file, &[]).await;
    let n = warcio::check(&file);
    assert_eq!(warcio::index(&file), n, "warcio index reads every record");
    let records = warcio::records(std::slice::from_ref(&file));
    assert_eq!(records.len(), n);
    assert_eq!(records[0]["type"], "warcinfo", "a warcinfo first");
    assert!(payload(&records[0]).starts_with(b"software: trawl/"));

    // Every request the server saw: one request and one response record.
    let requests = by_uri(&records, "request");
    let responses = by_uri(&records, "response");
    let seen: Vec<String> = server
        .requests()
        .iter()
        .map(|r| server.url(&r.path))
        .collect();
    assert_eq!(
        requests.len(),
        seen.len(),
        "{:?} vs {seen:?}",
        requests.keys()
    );
    for url in &seen {
        let (req, resp) = (&requests[url], &responses[url]);
        assert_eq!((req.len(), resp.len()), (1, 1), "{url}");
        assert_eq!(req[0]["concurrent_to"], resp[0]["id"], "{url}");
        assert_eq!(resp[0]["ip"], "127.0.0.1");
        assert!(!url.contains('<'));
    }
    // Each record of the output has its exchanges; hops and robots.txt too.
    for r in &printed {
        assert!(
            responses.contains_key(r["url"].as_str().unwrap_or_default()),
            "{r}"
        );
    }
    for path in ["/robots.txt", "/moved", "/target", "/missing"] {
        assert!(responses.contains_key(&server.url(path)), "{path} archived");
    }
    assert!(
        responses[&server.url("/moved")][0]["status_line"]
            .as_str()
            .is_some_and(|s| s.contains("301")),
        "the redirect hop as received"
    );

    let chunked = responses[&server.url("/chunked")][0];
    assert_eq!(payload(chunked), CHUNKS.concat().as_bytes(), "de-chunked");
    assert_eq!(
        header(chunked, "x-crawler-transfer-encoding"),
        Some("chunked")
    );
    assert_eq!(header(chunked, "transfer-encoding"), None);
    assert_eq!(
        header(chunked, "content-length"),
        Some(CHUNKS.concat().len().to_string().as_str())
    );
    let packed = responses[&server.url("/gz")][0];
    assert_eq!(
        payload(packed),
        gzip(PACKED.as_bytes()),
        "still gzip-encoded"
    );
    assert_eq!(header(packed, "content-encoding"), Some("gzip"));
    let digest = format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&{
            use sha1::Digest;
            sha1::Sha1::digest(gzip(PACKED.as_bytes()))
        })
    );
    assert_eq!(
        packed["payload_digest"],
        digest.as_str(),
        "over the body as stored"
    );
}

#[tokio::test]
async fn a_gzip_archive_is_every_exchange_as_received_and_warcio_reads_it() {
    archive_as_received("crawl.warc.gz").await;
}

#[tokio::test]
async fn a_plain_archive_too() {
    archive_as_received("crawl.warc").await;
}

#[tokio::test]
async fn a_recrawl_archives_unchanged_pages_as_revisits() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("crawl.warc.gz");
    let state = dir.path().join("state.db");
    let first = crawl(&server, &file, &["--state", path_str(&state)]).await;
    let fetched_at = |records: &[Value], path: &str| {
        records
            .iter()
            .find(|r| r["url"] == server.url(path))
            .map(|r| r["fetched_at"].clone())
            .unwrap_or_default()
    };
    let second = crawl(&server, &file, &["--state", path_str(&state)]).await;
    assert!(second.iter().any(|r| r["unchanged"] == true));
    warcio::check(&file);
    let records = warcio::records(std::slice::from_ref(&file));
    assert_eq!(
        records.iter().filter(|r| r["type"] == "warcinfo").count(),
        2,
        "the second run appends, after a warcinfo of its own"
    );
    let revisits = by_uri(&records, "revisit");
    let etag = revisits[&server.url("/etag")][0];
    assert!(
        etag["profile"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/server-not-modified")
    );
    assert!(
        etag["status_line"]
            .as_str()
            .is_some_and(|s| s.contains("304"))
    );
    let same = revisits[&server.url("/same")][0];
    assert!(
        same["profile"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/identical-payload-digest")
    );
    assert!(payload(same).is_empty(), "no body in a revisit");
    let original = &by_uri(&records, "response")[&server.url("/same")][0];
    assert_eq!(same["payload_digest"], original["payload_digest"]);
    assert_eq!(same["refers_to_uri"], server.url("/same").as_str());
    // fetched_at has whole seconds; the record's date of the first capture.
    let first_date = fetched_at(&first, "/same");
    assert_eq!(
        same["refers_to_date"].as_str().map(|d| &d[..19]),
        first_date.as_str().map(|d| &d[..19])
    );
}

/// `/p/0` … `/p/{n-1}`, each linking to the next ten, answering after a pause.
fn slow_tree(n: u32) -> Router {
    Router::new().route(
        "/p/{k}",
        get(move |UrlPath(k): UrlPath<u32>| async move {
            if k >= n {
                return (StatusCode::NOT_FOUND, Html(String::new()));
            }
            let mut body = format!("<title>p{k}</title>{}", "<p>text</p>".repeat(80));
            for c in (k * 10 + 1..=k * 10 + 10).filter(|&c| c < n) {
                body.push_str(&format!("<a href=\"/p/{c}\">{c}</a>"));
            }
            (StatusCode::OK, Html(body))
        }),
    )
}

#[tokio::test]
async fn a_file_cut_by_kill_9_is_valid_up_to_its_last_record() {
    let server =
        TestServer::start(ServerOpts::routes(slow_tree(400)).with_delay(Duration::from_millis(20)))
            .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("killed.warc.gz");
    let seed = server.url("/p/0");
    let child = spawn_trawl(&[
        "crawl",
        "--warc",
        path_str(&file),
        "--depth",
        "9",
        "-j",
        "8",
        "--per-host",
        "8",
        "-q",
        &seed,
    ]);
    assert!(
        server
            .wait_until(LIMIT, |s| s.page_requests().len() >= 60)
            .await
    );
    send_signal(&child, "KILL");
    assert_eq!(finish_trawl(child, LIMIT).await.code(), None, "killed");
    let n = warcio::check(&file);
    let records = warcio::records(std::slice::from_ref(&file));
    assert_eq!(records.len(), n, "every record reads whole");
    assert!(by_uri(&records, "response").len() >= 20, "{n} records");
}

#[tokio::test]
async fn rollover_loses_and_doubles_no_record() {
    let server = TestServer::start(ServerOpts::routes(slow_tree(120))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("roll.warc.gz");
    let seed = server.url("/p/0");
    let out = run_trawl(
        &[
            "crawl",
            "--warc",
            path_str(&file),
            "--warc-max-size",
            "20KiB",
            "--depth",
            "9",
            "--robots",
            "ignore",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let mut files: Vec<PathBuf> = vec![file.clone()];
    for i in 1.. {
        let next = dir.path().join(format!("roll-{i:05}.warc.gz"));
        if !next.exists() {
            break;
        }
        files.push(next);
    }
    assert!(files.len() >= 3, "{} files", files.len());
    let mut all = Vec::new();
    for f in &files {
        warcio::check(f);
        let records = warcio::records(std::slice::from_ref(f));
        assert_eq!(
            records[0]["type"], "warcinfo",
            "{f:?} starts with a warcinfo"
        );
        let size = std::fs::metadata(f).expect("metadata").len();
        let responses = records.iter().filter(|r| r["type"] == "response").count();
        assert!(size <= 20 * 1024 || responses == 1, "{f:?}: {size} bytes");
        all.extend(records);
    }
    let responses = by_uri(&all, "response");
    assert_eq!(responses.len(), 120, "every page once");
    assert!(responses.values().all(|v| v.len() == 1), "none twice");
    assert_eq!(responses.len(), out.records().len());
}
