//! A whole crawl of the fixture site: every expected page exactly once, at
//! its depth, with its status; nothing it must not fetch; links normalized;
//! titles decoded from every charset; stdout carrying records only.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{TestServer, by_url, expected_pages, expected_titles, run_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn every_page_once_at_its_depth_with_its_status() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", "--depth", "10", &server.url("/")], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());

    let expected = expected_pages();
    let want: HashSet<String> = expected.iter().map(|p| server.url(&p.path)).collect();
    let got: HashSet<String> = records.keys().cloned().collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );

    for page in &expected {
        let r = &records[&server.url(&page.path)];
        assert_eq!(r["depth"], page.depth, "depth of {}", page.path);
        assert_eq!(r["status"], page.status, "status of {}", page.path);
        assert_eq!(r["seed"], server.url("/"));
        if page.depth == 0 {
            assert!(r["parent"].is_null());
        } else {
            let parent = r["parent"].as_str().expect("parent set below the seed");
            assert_eq!(
                records[parent]["depth"],
                page.depth - 1,
                "parent of {}",
                page.path
            );
        }
        let error_kind = r["error"]["kind"].as_str();
        if page.status >= 400 {
            assert_eq!(error_kind, Some("http_status"), "{}", page.path);
        } else {
            assert!(r["error"].is_null(), "{}: {}", page.path, r["error"]);
        }
    }

    // What the server saw: each path at most once, never the forbidden ones.
    let mut seen = HashMap::new();
    for p in server.paths() {
        *seen.entry(p).or_insert(0) += 1;
    }
    for (path, n) in &seen {
        assert_eq!(*n, 1, "{path} requested {n} times");
    }
    for never in [
        "/nofollow-target.html",
        "/links/intro.html",
        "/broken/in-comment.html",
    ] {
        assert!(!seen.contains_key(never), "{never} must not be requested");
    }
    // robots.txt (a 404 here: allow all) is read once, before anything else.
    assert_eq!(
        server.paths().first().map(String::as_str),
        Some("/robots.txt")
    );
    assert_eq!(seen.len(), expected.len() + 1, "server saw {seen:?}");

    // The summary is on stderr and agrees with the records.
    let summary = format!(
        "{} pages, {} ok, 1 errors",
        expected.len(),
        expected.len() - 1
    );
    assert!(out.stderr.contains(&summary), "stderr: {}", out.stderr);
}

#[tokio::test]
async fn default_depth_is_three() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", &server.url("/")], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = expected_pages()
        .into_iter()
        .filter(|p| p.depth <= 3)
        .count();
    assert_eq!(records.len(), want);
    assert!(records.contains_key(&server.url("/deep/3.html")));
    assert!(!records.contains_key(&server.url("/deep/4.html")));
    assert_eq!(server.count("/deep/4.html"), 0);
}

#[tokio::test]
async fn links_are_absolute_normalized_deduplicated_in_page_order() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", "--depth", "2", &server.url("/")], None, LIMIT).await;
    let records = by_url(&out.records());
    let links = |path: &str| -> Vec<String> {
        records[&server.url(path)]["links"]
            .as_array()
            .unwrap_or_else(|| panic!("links of {path}"))
            .iter()
            .map(|l| l.as_str().unwrap_or_default().to_string())
            .collect()
    };

    let rel = links("/links/relative.html");
    for want in [
        "/links/a.html",
        "/links/b.html",
        "/about.html",
        "/links/sub/",
    ] {
        assert!(
            rel.contains(&server.url(want)),
            "relative.html lacks {want}: {rel:?}"
        );
    }

    let abs = links("/links/absolute.html");
    for want in [
        "/links/a.html",
        "/protocol-relative.html",
        "/case.html",
        "/about.html",
    ] {
        assert!(
            abs.contains(&server.url(want)),
            "absolute.html lacks {want}: {abs:?}"
        );
    }

    let dup = links("/links/duplicates.html");
    let unique: HashSet<&String> = dup.iter().collect();
    assert_eq!(unique.len(), dup.len(), "duplicates in {dup:?}");
    assert_eq!(dup.iter().filter(|l| l.contains("dup-target")).count(), 1);
    assert!(
        dup.iter().all(|l| !l.contains('#')),
        "fragments kept: {dup:?}"
    );

    let schemes = links("/links/schemes.html");
    assert!(
        schemes
            .iter()
            .all(|l| l.starts_with("http://") || l.starts_with("https://")),
        "non-http links kept: {schemes:?}"
    );

    let base = links("/links/base.html");
    assert!(base.contains(&server.url("/docs/intro.html")), "{base:?}");
    assert!(!base.contains(&server.url("/links/intro.html")), "{base:?}");

    let off = links("/links/offsite.html");
    assert!(
        off.contains(&"http://example.invalid/".to_string()),
        "{off:?}"
    );
    assert!(
        off.contains(&"https://other.invalid/page".to_string()),
        "{off:?}"
    );
    assert!(
        off.contains(&"http://example.invalid/upper".to_string()),
        "{off:?}"
    );
    assert!(
        records.keys().all(|u| !u.contains(".invalid")),
        "off-site link became a record"
    );

    let nofollow = links("/links/nofollow.html");
    assert!(
        nofollow.contains(&server.url("/nofollow-target.html")),
        "nofollow listed: {nofollow:?}"
    );
    assert_eq!(
        server.count("/nofollow-target.html"),
        0,
        "nofollow followed"
    );

    // The query is kept as written, never reordered.
    let query = links("/links/query.html");
    assert!(
        query.contains(&server.url("/search.html?b=2&a=1")),
        "{query:?}"
    );
    assert_eq!(server.count("/search.html?b=2&a=1"), 1);

    // Non-HTML resources: a record each, no links, no title.
    for path in ["/data.json", "/notes.txt", "/image.png", "/doc.xml"] {
        let r = &records[&server.url(path)];
        assert_eq!(r["links"], Value::Array(vec![]), "{path}");
        assert!(r["title"].is_null(), "{path}");
        assert!(r["bytes"].as_u64().unwrap_or(0) > 0, "{path}");
    }
}

#[tokio::test]
async fn titles_are_decoded_from_every_charset() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", "--depth", "2", &server.url("/")], None, LIMIT).await;
    let records = by_url(&out.records());
    let mut titles = expected_titles("charset/EXPECTED_TITLES.tsv");
    titles.extend(expected_titles("titles/EXPECTED_TITLES.tsv"));
    assert!(titles.len() >= 7, "fixture titles: {titles:?}");
    for (path, title) in titles {
        let url = server.url(&path);
        let r = records
            .get(&url)
            .unwrap_or_else(|| panic!("no record for {url}"));
        assert_eq!(r["title"], title, "title of {path}");
    }
}

#[tokio::test]
async fn stdout_is_records_only_and_every_line_is_json() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", "-v", &server.url("/")], None, LIMIT).await;
    out.assert_code(0);
    assert!(out.stdout.ends_with('\n'));
    for line in out.stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let keys: HashSet<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let want: HashSet<&str> = [
            "url",
            "final_url",
            "seed",
            "parent",
            "depth",
            "status",
            "content_type",
            "bytes",
            "elapsed_ms",
            "attempts",
            "fetched_at",
            "title",
            "links",
            "fields",
            "error",
        ]
        .into();
        assert_eq!(keys, want, "fields of {line}");
    }
    assert!(
        out.stderr.contains("pages/s"),
        "summary on stderr: {}",
        out.stderr
    );
}

#[tokio::test]
async fn quiet_prints_no_summary() {
    let server = TestServer::site().await;
    let out = run_trawl(&["fetch", "-q", &server.url("/")], None, LIMIT).await;
    out.assert_code(0);
    assert_eq!(out.records().len(), 1);
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
}

/// Title and links come from a byte scanner unless `--select` needs a DOM,
/// in which case they come from the DOM: both must say the same of every
/// page of the fixture site (comments, scripts, base href, nofollow,
/// entities, charsets, unclosed tags).
#[tokio::test]
async fn scanner_and_dom_extract_the_same_titles_and_links() {
    let server = TestServer::site().await;
    let fast = run_trawl(&["crawl", "--depth", "10", &server.url("/")], None, LIMIT).await;
    let dom = run_trawl(
        &[
            "crawl",
            "--depth",
            "10",
            "--select",
            "unused=nothing-matches-this",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    fast.assert_code(0);
    dom.assert_code(0);
    let (fast, dom) = (by_url(&fast.records()), by_url(&dom.records()));
    assert_eq!(
        fast.keys().collect::<Vec<_>>(),
        dom.keys().collect::<Vec<_>>()
    );
    let mut with_links = 0;
    for (url, f) in &fast {
        let d = &dom[url];
        assert_eq!(f["title"], d["title"], "title of {url}");
        assert_eq!(f["links"], d["links"], "links of {url}");
        with_links += usize::from(f["links"].as_array().is_some_and(|l| !l.is_empty()));
    }
    assert!(with_links >= 40, "only {with_links} pages with links");
}
