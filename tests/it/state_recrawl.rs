//! `--state` incremental recrawls and bad state files: once a pass has
//! finished, the next run starts again from the seeds with `If-None-Match` /
//! `If-Modified-Since` from the stored validators; a 304 or an identical body
//! gives `"unchanged": true` and the stored links are followed; a page that
//! is gone is reported once; `--changed-only` omits unchanged records. A
//! state file that is not trawl's, or is from a newer schema, is refused and
//! left as it was; without `--state` nothing persists.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::{LoggedRequest, ServerOpts, TestServer, run_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);
/// Pages `/p/0` … `/p/{PAGES-1}`, plus `/lm` and `/plain`.
const PAGES: u32 = 60;
/// A version that makes a page answer 404, and one that makes it answer 410.
const GONE_404: u64 = 0;
const GONE_410: u64 = 410;
/// Two pages that disappear.
const LEAF: u32 = 40;
const LEAF2: u32 = 41;
const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

/// The version of each page; tests change them between runs.
#[derive(Clone)]
struct Versions(Arc<Vec<AtomicU64>>);

impl Versions {
    fn new() -> Versions {
        Versions(Arc::new((0..PAGES).map(|_| AtomicU64::new(1)).collect()))
    }

    fn get(&self, k: u32) -> u64 {
        self.0[k as usize].load(Ordering::SeqCst)
    }

    fn set(&self, k: u32, v: u64) {
        self.0[k as usize].store(v, Ordering::SeqCst);
    }
}

fn etag(k: u32, v: u64) -> String {
    format!("\"{k}-v{v}\"")
}

/// `/p/0` links to every other page, `/p/{PAGES-1}` to `/lm` and `/plain`,
/// every page back to `/p/0`.
/// `/p/k` sends an ETag and a Last-Modified and answers 304 to a matching
/// `If-None-Match` (else to a matching `If-Modified-Since`); `/lm` sends only
/// Last-Modified; `/plain` neither.
fn site(versions: Versions) -> Router {
    let page = move |UrlPath(k): UrlPath<u32>, headers: HeaderMap| {
        let versions = versions.clone();
        async move {
            if k >= PAGES {
                return StatusCode::NOT_FOUND.into_response();
            }
            let v = versions.get(k);
            match v {
                GONE_404 => return StatusCode::NOT_FOUND.into_response(),
                GONE_410 => return StatusCode::GONE.into_response(),
                _ => {}
            }
            let tag = etag(k, v);
            let inm = headers.get(header::IF_NONE_MATCH).map(|h| h.as_bytes());
            let ims = headers.get(header::IF_MODIFIED_SINCE).map(|h| h.as_bytes());
            let fresh = match inm {
                Some(inm) => inm == tag.as_bytes(),
                None => ims == Some(LAST_MODIFIED.as_bytes()) && v == 1,
            };
            let validators = [
                (header::ETAG, tag.clone()),
                (header::LAST_MODIFIED, LAST_MODIFIED.to_string()),
            ];
            if fresh {
                return (StatusCode::NOT_MODIFIED, validators).into_response();
            }
            let mut body = format!("<title>page {k} v{v}</title><a href=\"/p/0\">home</a>\n");
            if k == 0 {
                for c in 1..PAGES {
                    body.push_str(&format!("<a href=\"/p/{c}\">page {c}</a>\n"));
                }
            }
            if k == PAGES - 1 {
                body.push_str("<a href=\"/lm\">lm</a><a href=\"/plain\">plain</a>\n");
            }
            (validators, Html(body)).into_response()
        }
    };
    Router::new()
        .route("/p/{k}", get(page))
        .route(
            "/lm",
            get(|headers: HeaderMap| async move {
                if headers.get(header::IF_MODIFIED_SINCE).map(|h| h.as_bytes())
                    == Some(LAST_MODIFIED.as_bytes())
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [(header::LAST_MODIFIED, LAST_MODIFIED)],
                    Html("<title>lm</title>"),
                )
                    .into_response()
            }),
        )
        .route("/plain", get(|| async { Html("<title>plain</title>") }))
}

fn all_paths() -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = (0..PAGES).map(|k| format!("/p/{k}")).collect();
    paths.insert("/lm".into());
    paths.insert("/plain".into());
    paths
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Runs one pass: `crawl --depth 50 [--state S] [-o OUT] EXTRA… ORIGIN/p/0`;
/// returns what it wrote (to OUT, else stdout) keyed by path, and the
/// requests the server received during the run.
async fn pass(
    server: &TestServer,
    state: Option<&Path>,
    out: &Path,
    extra: &[&str],
) -> (BTreeMap<String, Value>, Vec<LoggedRequest>) {
    let before = server.page_requests().len();
    let seed = server.url("/p/0");
    let mut args = vec!["crawl", "--depth", "50", "-o", path_str(out)];
    if let Some(state) = state {
        args.extend(["--state", path_str(state)]);
    }
    args.extend(extra);
    args.push(&seed);
    let before_bytes = std::fs::read(out).map_or(0, |b| b.len());
    run_trawl(&args, None, LIMIT).await.assert_code(0);
    let text = std::fs::read_to_string(out).expect("output file");
    // With --state the file is appended to: this run's lines come last.
    let new = if state.is_some() {
        &text[before_bytes..]
    } else {
        &text[..]
    };
    assert!(
        new.is_empty() || new.ends_with('\n'),
        "partial line: {new:?}"
    );
    let mut records = BTreeMap::new();
    for line in new.lines() {
        let r: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let path = r["url"].as_str().expect("url")[server.origin().len()..].to_string();
        assert!(
            records.insert(path.clone(), r).is_none(),
            "{path} has two records in one pass"
        );
    }
    (records, server.page_requests()[before..].to_vec())
}

fn request_for<'a>(requests: &'a [LoggedRequest], path: &str) -> &'a LoggedRequest {
    let mut matching = requests.iter().filter(|r| r.path == path);
    let first = matching
        .next()
        .unwrap_or_else(|| panic!("{path} was not requested"));
    assert!(
        matching.next().is_none(),
        "{path} requested twice in a pass"
    );
    first
}

struct Files {
    dir: tempfile::TempDir,
    state: PathBuf,
    out: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().expect("temp dir");
    Files {
        state: dir.path().join("site.state"),
        out: dir.path().join("out.jsonl"),
        dir,
    }
}

#[tokio::test]
async fn recrawl_sends_validators_and_reports_unchanged_changed_and_gone_pages() {
    let versions = Versions::new();
    let server = TestServer::start(ServerOpts::routes(site(versions.clone()))).await;
    let f = files();
    let state = Some(f.state.as_path());

    // Pass 1: a plain crawl; nothing conditional, no "unchanged" yet.
    let (first, requests) = pass(&server, state, &f.out, &[]).await;
    assert_eq!(first.keys().cloned().collect::<BTreeSet<_>>(), all_paths());
    assert!(
        first
            .values()
            .all(|r| r["status"] == 200 && r.get("unchanged").is_none())
    );
    assert!(requests.iter().all(|r| r.header("if-none-match").is_none()
        && r.header("if-modified-since").is_none()));

    // Between the passes /p/5 changes and two leaves disappear.
    versions.set(5, 2);
    versions.set(LEAF, GONE_404);
    versions.set(LEAF2, GONE_410);

    let (second, requests) = pass(&server, state, &f.out, &[]).await;
    assert_eq!(
        second.keys().cloned().collect::<BTreeSet<_>>(),
        all_paths(),
        "the recrawl reaches the whole site through the stored links"
    );
    for k in 0..PAGES {
        let path = format!("/p/{k}");
        let req = request_for(&requests, &path);
        assert_eq!(
            req.header("if-none-match"),
            Some(etag(k, 1).as_str()),
            "{path}"
        );
        assert_eq!(
            req.header("if-modified-since"),
            Some(LAST_MODIFIED),
            "{path}"
        );
        let r = &second[&path];
        match k {
            5 => {
                assert_eq!(r["status"], 200, "{r}");
                assert_eq!(r["unchanged"], false, "{r}");
                assert_eq!(r["title"], "page 5 v2", "{r}");
            }
            LEAF | LEAF2 => {
                assert_eq!(r["status"], if k == LEAF { 404 } else { 410 }, "{r}");
                assert_ne!(r["unchanged"], true, "a page that went away: {r}");
            }
            _ => {
                assert_eq!(r["status"], 304, "{r}");
                assert_eq!(r["unchanged"], true, "{r}");
                // The record repeats what the state stored.
                assert_eq!(r["title"], format!("page {k} v1"), "{r}");
                assert_eq!(r["links"], first[&path]["links"], "{r}");
            }
        }
    }
    let lm = request_for(&requests, "/lm");
    assert_eq!(lm.header("if-modified-since"), Some(LAST_MODIFIED));
    assert_eq!(lm.header("if-none-match"), None);
    assert_eq!(second["/lm"]["status"], 304);
    assert_eq!(second["/lm"]["unchanged"], true);
    let plain = request_for(&requests, "/plain");
    assert_eq!(plain.header("if-none-match"), None);
    assert_eq!(plain.header("if-modified-since"), None);
    // No validators, but the same body: unchanged all the same.
    assert_eq!(second["/plain"]["status"], 200);
    assert_eq!(second["/plain"]["unchanged"], true);

    // Pass 3, --changed-only: only /p/7, changed now, is written; the gone
    // pages were reported once; /p/5 is asked with its new validator.
    versions.set(7, 2);
    let (third, requests) = pass(&server, state, &f.out, &["--changed-only"]).await;
    assert_eq!(
        third.keys().cloned().collect::<Vec<_>>(),
        ["/p/7"],
        "--changed-only wrote {third:?}"
    );
    assert_eq!(third["/p/7"]["unchanged"], false);
    assert_eq!(third["/p/7"]["title"], "page 7 v2");
    let asked: BTreeSet<String> = requests.iter().map(|r| r.path.clone()).collect();
    assert_eq!(asked, all_paths(), "the whole site is still crawled");
    let p5 = request_for(&requests, "/p/5");
    assert_eq!(p5.header("if-none-match"), Some(etag(5, 2).as_str()));
    assert_eq!(p5.status, Some(304));
}

#[tokio::test]
async fn without_state_nothing_persists() {
    let versions = Versions::new();
    let server = TestServer::start(ServerOpts::routes(site(versions.clone()))).await;
    let f = files();
    for _ in 0..2 {
        let (records, requests) = pass(&server, None, &f.out, &[]).await;
        assert_eq!(
            records.keys().cloned().collect::<BTreeSet<_>>(),
            all_paths()
        );
        assert!(
            records
                .values()
                .all(|r| r["status"] == 200 && r.get("unchanged").is_none())
        );
        assert!(requests.iter().all(
            |r| r.header("if-none-match").is_none() && r.header("if-modified-since").is_none()
        ));
    }
    // The second run truncated the file rather than appending to it.
    let lines = std::fs::read_to_string(&f.out)
        .expect("output")
        .lines()
        .count();
    assert_eq!(lines, all_paths().len());
    let left: Vec<_> = std::fs::read_dir(f.dir.path())
        .expect("temp dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["out.jsonl"], "files left beside the output");
}

/// Runs trawl on `state`, expecting exit 1 with a message naming the path
/// and containing `why`, no request, and the file unchanged.
async fn refused(state: &Path, why: &str) {
    let server = TestServer::start(ServerOpts::routes(site(Versions::new()))).await;
    let before = std::fs::read(state).expect("state file");
    let out = state.with_extension("out.jsonl");
    let seed = server.url("/p/0");
    let args = [
        "crawl",
        "--state",
        path_str(state),
        "-o",
        path_str(&out),
        &seed,
    ];
    let run = run_trawl(&args, None, LIMIT).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains(&state.display().to_string()) && run.stderr.contains(why),
        "expected the path and {why:?} on stderr: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(state).expect("state file"),
        before,
        "state changed"
    );
    assert!(
        server.page_requests().is_empty(),
        "fetched with a bad state"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_trawl_state_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are my notes, not a database\n").expect("write");
    refused(&text, "not an SQLite database").await;

    let other = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&other).expect("sqlite");
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .expect("create");
    drop(conn);
    refused(&other, "not a trawl state").await;
}

#[tokio::test]
async fn a_state_from_a_newer_schema_is_refused_and_left_untouched() {
    let versions = Versions::new();
    let server = TestServer::start(ServerOpts::routes(site(versions.clone()))).await;
    let f = files();
    let (records, _) = pass(&server, Some(&f.state), &f.out, &[]).await;
    assert_eq!(records.len(), all_paths().len());
    let conn = rusqlite::Connection::open(&f.state).expect("sqlite");
    conn.pragma_update(None, "user_version", 99)
        .expect("user_version");
    drop(conn);
    refused(&f.state, "schema version 99").await;
}

/// The state fails in the middle of a run — a trigger stands in for a full
/// disk: SQLite refuses to mark a tenth page done. The run finishes the
/// requests in flight and exits 1 with "state PATH: …"; every page the
/// server served has its record in the output, and every page the state
/// holds as done is among them, so a later run repeats pages but never
/// loses one.
#[tokio::test]
async fn a_state_that_fails_mid_run_exits_1_naming_it_and_loses_no_record() {
    let server = TestServer::start(ServerOpts::routes(site(Versions::new()))).await;
    let f = files();
    let (first, _) = pass(&server, Some(&f.state), &f.out, &["--max-pages", "1"]).await;
    assert_eq!(first.len(), 1);
    let conn = rusqlite::Connection::open(&f.state).expect("sqlite");
    conn.execute_batch(
        "CREATE TRIGGER full BEFORE UPDATE OF done ON pages
           WHEN NEW.done = 1 AND (SELECT count(*) FROM pages WHERE done = 1) >= 10
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    )
    .expect("trigger");
    drop(conn);

    let seed = server.url("/p/0");
    let args = [
        "crawl",
        "--depth",
        "50",
        "-j",
        "4",
        "-o",
        path_str(&f.out),
        "--state",
        path_str(&f.state),
        &seed,
    ];
    let run = run_trawl(&args, None, LIMIT).await;
    run.assert_code(1);
    let named = format!("state {}:", f.state.display());
    assert!(
        run.stderr.contains(&named) && run.stderr.contains("database or disk is full"),
        "expected {named:?} and the cause on stderr: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("cannot write"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    let text = std::fs::read_to_string(&f.out).expect("output");
    let recorded: BTreeSet<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("whole JSON lines"))
        .map(|r| r["url"].as_str().expect("url")[server.origin().len()..].to_string())
        .collect();
    let served: BTreeSet<String> = server
        .page_requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        served.len() < all_paths().len(),
        "the failure came before the end: {served:?}"
    );
    let lost: Vec<_> = served.difference(&recorded).collect();
    assert!(lost.is_empty(), "served without a record: {lost:?}");
    let conn = rusqlite::Connection::open(&f.state).expect("sqlite");
    let mut done = conn
        .prepare("SELECT url FROM pages WHERE done = 1 AND status IS NOT NULL")
        .expect("query");
    let done: Vec<String> = done
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|u| u.expect("url"))
        .collect();
    // How many are done depends on how the writer's batches fell: the
    // batch that met the trigger is rolled back whole, and on a loaded
    // machine batches are larger. What must hold: the first pass's page
    // stays done, no more than the trigger allowed, and each has a record.
    assert!(
        (1..=10).contains(&done.len()),
        "{} pages done before the failure",
        done.len()
    );
    for url in &done {
        let path = url.trim_start_matches(&server.origin()).to_string();
        assert!(
            recorded.contains(&path),
            "{url} is done in the state but has no record"
        );
    }
}
