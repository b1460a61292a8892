//! SPEC "Spider traps" and "bad input never crashes": traps that would never
//! end (`/cal/{n+1}`, paths that nest themselves, URLs that grow every
//! level) under `--depth 1000`, and malformed seeds and links (spaces in
//! hosts, broken brackets and escapes, 100 KB URLs, non-UTF-8 bytes) that
//! must be reported, skipped or turned into error records. Each test checks
//! the records, stderr, the exit code and what the server saw.

use crate::common;

use common::records::{ERROR_KINDS, assert_no_panic, error_kind};

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::{ServerOpts, TestServer, run_command, run_trawl, trawl_command};

/// Upper bound on any one trawl run.
const LIMIT: Duration = Duration::from_secs(60);

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    ))
}

// ------------------------------------------------------- spider traps ----

/// `/cal/{n}` links to the day before and the day after, forever.
fn calendar() -> Router {
    Router::new().route(
        "/cal/{n}",
        get(|Path(n): Path<i64>| async move {
            page(
                &format!("Day {n}"),
                &format!(
                    "<a href=\"/cal/{}\">prev</a> <a href=\"/cal/{}\">next</a>",
                    n - 1,
                    n + 1
                ),
            )
        }),
    )
}

/// The paths a calendar crawl from `/cal/0` fetched, as day numbers.
fn days(server: &TestServer) -> BTreeSet<i64> {
    server
        .paths()
        .iter()
        .map(|p| {
            p.strip_prefix("/cal/")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected request {p}"))
        })
        .collect()
}

#[tokio::test]
async fn calendar_trap_ends_at_per_host_max_pages() {
    let server = TestServer::start(ServerOpts::routes(calendar())).await;
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--depth",
            "1000",
            "--per-host-max-pages",
            "30",
            &server.url("/cal/0"),
        ],
        None,
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), 30, "exactly 30 records for the host");
    let urls: BTreeSet<&str> = records.iter().filter_map(|r| r["url"].as_str()).collect();
    assert_eq!(urls.len(), 30, "each URL once");
    assert!(records.iter().all(|r| r["status"] == 200), "{records:?}");
    assert_eq!(
        server.paths().len(),
        30,
        "30 requests: {:?}",
        server.paths()
    );
    assert_eq!(days(&server).len(), 30, "30 different days");
}

#[tokio::test]
async fn calendar_trap_ends_at_max_pages() {
    let server = TestServer::start(ServerOpts::routes(calendar())).await;
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--depth",
            "1000",
            "--max-pages",
            "30",
            &server.url("/cal/0"),
        ],
        None,
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), 30, "exactly 30 fetches, 30 records");
    assert_eq!(server.paths().len(), 30, "{:?}", server.paths());
    assert_eq!(days(&server).len(), 30);
}

/// Every directory page links to `a/` and `b/c/` below itself, so paths
/// nest forever: `/a/a/a/…`, `/b/c/b/c/…`.
fn nesting() -> Router {
    Router::new().fallback(|uri: Uri| async move {
        page(
            uri.path(),
            "<a href=\"a/\">deeper</a> <a href=\"b/c/\">sideways</a>",
        )
    })
}

#[tokio::test]
async fn a_path_that_nests_itself_stops_when_a_segment_repeats() {
    let server = TestServer::start(ServerOpts::routes(nesting())).await;
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--depth",
            "1000",
            &server.url("/a/"),
        ],
        None,
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    let paths = server.paths();
    assert!(paths.contains(&"/a/a/".to_string()), "{paths:?}");
    for p in &paths {
        let segments: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        for s in &segments {
            let n = segments.iter().filter(|t| *t == s).count();
            assert!(n <= 3, "{p} repeats {s:?} {n} times");
        }
    }
    assert!(!paths.contains(&"/a/a/a/a/".to_string()), "{paths:?}");
    assert_eq!(records.len(), paths.len(), "one record per request");
    let unique: BTreeSet<&String> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len(), "each path once: {paths:?}");
    // The combinations of `a/` and `b/c/` with no segment more than twice
    // number in the dozens, not thousands.
    assert!(paths.len() < 200, "{} pages: {paths:?}", paths.len());
}

/// Every page links one level deeper, each level's segment distinct from
/// all before it: `/grow/`, `/grow/l1-abcdefgh/`, `/grow/l1-abcdefgh/l2-…/`.
fn growing() -> Router {
    Router::new().fallback(|uri: Uri| async move {
        let level = uri.path().matches('/').count();
        page(
            "grow",
            &format!("<a href=\"{}l{level}-abcdefgh/\">deeper</a>", uri.path()),
        )
    })
}

#[tokio::test]
async fn max_url_length_stops_urls_that_grow_every_level() {
    let server = TestServer::start(ServerOpts::routes(growing())).await;
    let seed = server.url("/grow/");
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--depth",
            "1000",
            "--max-url-length",
            "60",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    out.assert_code(0);
    // The chain as the test expects it, cut where a URL passes 60 bytes.
    let mut want = Vec::new();
    let mut url = seed.clone();
    while url.len() <= 60 {
        want.push(url.clone());
        let level = url.trim_start_matches("http://").matches('/').count();
        url = format!("{url}l{level}-abcdefgh/");
    }
    let too_long = url;
    assert!(
        want.len() >= 2,
        "the chain is followed a few levels: {want:?}"
    );
    let records = out.records();
    let got: Vec<&str> = records.iter().filter_map(|r| r["url"].as_str()).collect();
    assert_eq!(got, want, "records in chain order");
    let requested: Vec<String> = server.paths().iter().map(|p| server.url(p)).collect();
    assert_eq!(requested, want);
    let last = records.last().expect("a last record");
    assert!(
        last["links"]
            .as_array()
            .is_some_and(|l| l.iter().any(|u| u == too_long.as_str())),
        "the too-long link is listed but not followed: {last}"
    );
}

// ---------------------------------------------------------- bad input ----

#[tokio::test]
async fn malformed_seed_arguments_are_reported_and_exit_two() {
    let huge = format!("http://exa mple.com/{}", "a".repeat(100_000));
    let bad = [
        "http://exa mple.com/",
        "http://[::1",
        "http://%zz/",
        "http://",
        "ftp://127.0.0.1/",
        "javascript:alert(1)",
        "not a url at all",
        "http://127.0.0.1:99999/",
        huge.as_str(),
    ];
    let mut args = vec!["fetch"];
    args.extend(bad);
    let out = run_trawl(&args, None, LIMIT).await;
    assert_no_panic(&out);
    out.assert_code(2);
    assert!(out.stdout.is_empty(), "no records: {}", out.stdout);
    for i in 1..=bad.len() {
        assert!(
            out.stderr.contains(&format!("argument {i}")),
            "argument {i} ({:?}) is reported:\n{}",
            bad[i - 1].chars().take(40).collect::<String>(),
            out.stderr.chars().take(4000).collect::<String>()
        );
    }

    // An argument that is not UTF-8 at all.
    let mut command = trawl_command(&[OsString::from("fetch")]);
    command.arg(OsString::from_vec(b"http://127.0.0.1/\xff\xfe".to_vec()));
    let out = run_command(command, None, LIMIT).await;
    assert_no_panic(&out);
    out.assert_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[tokio::test]
async fn a_seeds_file_with_odd_bytes_keeps_its_good_lines() {
    let server = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|uri: Uri| async move { page(uri.path(), "") }),
    ))
    .await;
    let origin = server.origin();
    // Line numbers in the comments; "bad" lines must be reported.
    let lines: Vec<Vec<u8>> = vec![
        b"# odd seeds".to_vec(),                                  // 1
        b"".to_vec(),                                             // 2
        format!("{origin}/ok").into_bytes(),                      // 3
        b"http://exa mple.com/".to_vec(),                         // 4 bad
        b"http://[::1".to_vec(),                                  // 5 bad
        b"http://%zz/".to_vec(),                                  // 6 bad
        b"\xff\xfe\xfd\x00\x01".to_vec(),                         // 7 bad
        format!("{origin}/crlf\r").into_bytes(),                  // 8 CRLF
        b"http://\x00nul/".to_vec(),                              // 9 bad
        [format!("{origin}/caf").as_bytes(), b"\xe9"].concat(),   // 10 Latin-1
        format!("{origin}/{}", "a".repeat(100_000)).into_bytes(), // 11 100 KB
        b"   ".to_vec(),                                          // 12
    ];
    let mut file = Vec::new();
    for line in &lines {
        file.extend_from_slice(line);
        file.push(b'\n');
    }
    let seeds = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(seeds.path(), &file).expect("write seeds");
    let seeds_path = seeds.path().to_str().expect("utf-8 path").to_string();

    for source in ["file", "stdin"] {
        let before = server.paths().len();
        let (args, stdin): (Vec<&str>, Option<&[u8]>) = match source {
            "file" => (
                vec!["fetch", "--robots", "ignore", "--seeds", &seeds_path],
                None,
            ),
            _ => (
                vec!["fetch", "--robots", "ignore", "--seeds", "-"],
                Some(&file),
            ),
        };
        let out = run_trawl(&args, stdin, LIMIT).await;
        assert_no_panic(&out);
        out.assert_code(0);
        let name = if source == "file" {
            seeds_path.as_str()
        } else {
            "<stdin>"
        };
        for bad in [4, 5, 6, 7, 9] {
            assert!(
                out.stderr.contains(&format!("{name}:{bad}:")),
                "{source}: line {bad} is reported as {name}:{bad}:\n{}",
                out.stderr.chars().take(4000).collect::<String>()
            );
        }
        let records = out.records();
        let urls: Vec<&str> = records.iter().filter_map(|r| r["url"].as_str()).collect();
        assert!(
            urls.contains(&server.url("/ok").as_str()),
            "{source}: {urls:?}"
        );
        assert!(
            urls.contains(&server.url("/crlf").as_str()),
            "{source}: {urls:?}"
        );
        for r in &records {
            match error_kind(r) {
                Some(k) => assert!(ERROR_KINDS.contains(&k), "{source}: {r}"),
                None => assert!(r["error"].is_null(), "{source}: {r}"),
            }
        }
        let seen: Vec<String> = server.paths()[before..].to_vec();
        assert!(seen.contains(&"/ok".to_string()), "{source}: {seen:?}");
        assert!(seen.contains(&"/crlf".to_string()), "{source}: {seen:?}");
        // Lines 10 (a raw Latin-1 byte) and 11 (a 100 KB URL) each get a
        // record (fetched, or an error such as invalid_url) or a report.
        for (line, path_start) in [(10, "/caf"), (11, "/aaaa")] {
            let recorded = urls.iter().any(|u| u.starts_with(&server.url(path_start)));
            let reported = out.stderr.contains(&format!("{name}:{line}:"));
            assert!(
                recorded ^ reported,
                "{source}: line {line} must get a record or a report, not both or neither \
                 (record {recorded}, reported {reported})"
            );
        }
        // Every request has its record; nothing else was asked for.
        for path in &seen {
            assert!(
                urls.contains(&server.url(path).as_str()),
                "{source}: {path} was requested but has no record"
            );
        }
        assert!(records.len() <= 4, "{source}: {urls:?}");
    }
}

#[tokio::test]
async fn a_seed_with_a_latin1_byte_is_reported_or_kept_byte_for_byte() {
    let server = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|uri: Uri| async move { page(uri.path(), "") }),
    ))
    .await;
    let line = [server.url("/caf").as_bytes(), b"\xe9\n"].concat();
    let out = run_trawl(
        &["fetch", "--robots", "ignore", "--seeds", "-"],
        Some(&line),
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    let paths = server.paths();
    if out.stderr.contains("<stdin>:1:") {
        assert_eq!(out.code(), Some(2), "the only seed was bad: {}", out.stderr);
        assert!(
            paths.is_empty(),
            "a reported line is not fetched: {paths:?}"
        );
    } else {
        out.assert_code(0);
        assert_eq!(
            paths,
            ["/caf%E9"],
            "the request must carry the byte of the list, not a replacement character"
        );
    }
}

/// A page whose links are malformed in every way, in bytes that are not
/// valid UTF-8 even though the header says so. `{origin}` is replaced by
/// the server's origin.
const ODD_LINKS: &[&[u8]] = &[
    b"http://exa mple.com/",
    b"http://[::1",
    b"http://%zz/",
    b"http://127.0.0.1:99999/",
    b"//",
    b"http://",
    b"https://[fe80::1%25eth0]/",
    b"\x00",
    b"/caf\xe9",
    b"/ok?q=\xff\xfe",
    b"{origin}/plain",
    b"  {origin}/spaced  ",
    b"ht\ttp://exa\nmple.com/",
    b"javascript:alert(1)",
    b"data:text/html,<a href=/x>",
    b"/%",
    b"/%%%zz",
    b"?only=query",
    b"#only-fragment",
];

/// `hay` with every `needle` replaced by `with`.
fn replace_bytes(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn links_with_odd_bytes_are_dropped_or_followed_never_a_crash() {
    let long_link = format!("/{}", "b".repeat(100_000));
    let origin_set = Arc::new(std::sync::OnceLock::<String>::new());
    let origin_cell = Arc::clone(&origin_set);
    let long = long_link.clone();
    let routes = Router::new()
        .route(
            "/",
            get(move || {
                let origin = origin_cell.get().cloned().unwrap_or_default();
                let long = long.clone();
                async move {
                    let mut html =
                        b"<html><head><title>Odd \xff links</title></head><body>".to_vec();
                    for link in ODD_LINKS {
                        html.extend_from_slice(b"<a href=\"");
                        html.extend(replace_bytes(link, b"{origin}", origin.as_bytes()));
                        html.extend_from_slice(b"\">x</a>\n");
                    }
                    html.extend_from_slice(format!("<a href=\"{long}\">long</a>").as_bytes());
                    html.extend_from_slice(b"</body></html>");
                    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
                }
            }),
        )
        .fallback(|uri: Uri| async move { page(uri.path(), "") });
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    origin_set.set(server.origin()).expect("origin set once");
    let out = run_trawl(
        &[
            "crawl",
            "--robots",
            "ignore",
            "--depth",
            "1",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    assert_no_panic(&out);
    out.assert_code(0);
    let records = out.records();
    let root = records
        .iter()
        .find(|r| r["url"] == server.url("/").as_str())
        .expect("a record for the page");
    assert!(root["error"].is_null(), "{root}");
    assert_eq!(root["status"], 200);
    let title = root["title"].as_str().expect("title");
    assert!(
        title.starts_with("Odd ") && title.ends_with(" links"),
        "{title}"
    );
    let links: Vec<&str> = root["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l.as_str().expect("link is a string"))
        .collect();
    for link in &links {
        let parsed = url::Url::parse(link).unwrap_or_else(|e| panic!("{link:?}: {e}"));
        assert!(["http", "https"].contains(&parsed.scheme()), "{link}");
        assert!(parsed.fragment().is_none(), "{link}");
        assert!(
            !link.contains("exa mple") && !link.contains("%zz/"),
            "{link}"
        );
    }
    assert!(links.contains(&server.url("/plain").as_str()), "{links:?}");
    // What was followed: records for every request, and never the 100 KB link.
    let paths = server.paths();
    assert_eq!(paths[0], "/");
    assert!(paths.contains(&"/plain".to_string()), "{paths:?}");
    assert!(
        paths.iter().all(|p| p.len() < 2083),
        "the long link was followed"
    );
    assert_eq!(
        records.len(),
        paths.len(),
        "one record per request: {paths:?}"
    );
    for r in &records {
        match error_kind(r) {
            Some(k) => assert!(ERROR_KINDS.contains(&k), "{r}"),
            None => assert!(r["error"].is_null(), "{r}"),
        }
    }
}
