//! What the frontier lets in: `--depth`, `--max-pages`, `--max-time`,
//! `--scope`, `--include`/`--exclude`, the spider-trap rules
//! (`--max-url-length`, repeated path segments, `--per-host-max-pages`) and
//! dedupe. Each test checks both the records and what the servers saw.

use crate::common;

use common::records::{by_url, sorted_page_paths};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Uri;
use axum::response::Html;
use common::{ServerOpts, TestServer, expected_pages, run_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(30);

fn url_set(records: &BTreeMap<String, Value>) -> BTreeSet<String> {
    records.keys().cloned().collect()
}

fn links_of(record: &Value) -> Vec<String> {
    record["links"]
        .as_array()
        .expect("links array")
        .iter()
        .map(|l| l.as_str().expect("link is a string").to_string())
        .collect()
}

/// The fixture pages at most `depth` links from `/`, as paths.
fn site_paths_within(depth: u32) -> Vec<String> {
    let mut paths: Vec<String> = expected_pages()
        .into_iter()
        .filter(|p| p.depth <= depth)
        .map(|p| p.path)
        .collect();
    paths.sort();
    paths
}

/// A routes-only site: every path in `pages` answers with a page linking to
/// its hrefs (`{pa}`/`{pb}` replaced by the ports set later); any other
/// path answers with a leaf page without links.
fn linking_site(pages: &'static [(&'static str, &'static [&'static str])], ports: Ports) -> Router {
    Router::new().fallback(move |uri: Uri| {
        let ports = ports.clone();
        async move {
            let path = uri.path().to_string();
            let (pa, pb) = ports.0.get().copied().unwrap_or_default();
            let links: String = pages
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, hrefs)| *hrefs)
                .unwrap_or_default()
                .iter()
                .map(|h| {
                    let h = h.replace("{pa}", &pa.to_string());
                    let h = h.replace("{pb}", &pb.to_string());
                    format!("<a href=\"{h}\">{h}</a>\n")
                })
                .collect();
            Html(format!(
                "<html><head><title>{path}</title></head><body>{links}</body></html>"
            ))
        }
    })
}

/// Ports of the two servers of a multi-host test, known once both started.
#[derive(Clone, Default)]
struct Ports(Arc<OnceLock<(u16, u16)>>);

#[tokio::test]
async fn depth_zero_one_two_and_default_three() {
    for depth in [Some(0), Some(1), Some(2), None] {
        let server = TestServer::site().await;
        let seed = server.url("/");
        let mut args = vec!["crawl".to_string(), seed.clone()];
        if let Some(d) = depth {
            args.extend(["--depth".to_string(), d.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_trawl(&args, None, LIMIT).await;
        out.assert_code(0);
        let records = by_url(&out.records());
        let want = site_paths_within(depth.unwrap_or(3));
        let want_urls: BTreeSet<String> = want.iter().map(|p| server.url(p)).collect();
        assert_eq!(url_set(&records), want_urls, "--depth {depth:?}");
        assert_eq!(sorted_page_paths(&server), want, "--depth {depth:?}");
        let max = records.values().filter_map(|r| r["depth"].as_u64()).max();
        assert_eq!(
            max,
            Some(u64::from(depth.unwrap_or(3))),
            "--depth {depth:?}"
        );
    }
}

#[tokio::test]
async fn deep_chain_is_cut_at_the_depth_from_its_seed() {
    let server = TestServer::site().await;
    let seed = server.url("/deep/2.html");
    let out = run_trawl(&["crawl", "--depth", "2", &seed], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = ["/deep/2.html", "/deep/3.html", "/deep/4.html"];
    for (i, path) in want.iter().enumerate() {
        let r = &records[&server.url(path)];
        assert_eq!(r["depth"], i, "{path}");
        assert_eq!(r["seed"], seed.as_str(), "{path}");
    }
    assert_eq!(records.len(), 3);
    // /deep/4.html lists /deep/5.html but is at the limit: 5 is not fetched.
    assert_eq!(
        links_of(&records[&server.url("/deep/4.html")]),
        [server.url("/deep/5.html")]
    );
    assert_eq!(sorted_page_paths(&server), want);
}

#[tokio::test]
async fn max_pages_stops_after_exactly_n_fetches() {
    let server = TestServer::site().await;
    let out = run_trawl(
        &[
            "crawl",
            "--max-pages",
            "5",
            "--depth",
            "10",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    assert_eq!(records.len(), 5, "{:?}", records.keys());
    let requested = sorted_page_paths(&server);
    assert_eq!(requested.len(), 5, "server saw {requested:?}");
    let requested_urls: BTreeSet<String> = requested.iter().map(|p| server.url(p)).collect();
    assert_eq!(url_set(&records), requested_urls);
    assert!(records.contains_key(&server.url("/")));
    for r in records.values() {
        assert!(r["status"].is_u64(), "every record was fetched: {r}");
    }
}

#[tokio::test]
async fn max_time_ends_the_crawl_early_and_cleanly() {
    // 51 pages at 200 ms each, one at a time: the whole site takes > 10 s.
    let delay = Duration::from_millis(200);
    let server = TestServer::start(ServerOpts::site().with_delay(delay)).await;
    let started = Instant::now();
    let out = run_trawl(
        &[
            "crawl",
            "--depth",
            "10",
            "--per-host",
            "1",
            "--max-time",
            "1s",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    let took = started.elapsed();
    out.assert_code(0);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let records = by_url(&out.records());
    assert!(
        !records.is_empty() && records.len() <= 10,
        "{} records in about 1 s at 5 pages/s",
        records.len()
    );
    assert!(records.len() < expected_pages().len());
    for r in records.values() {
        assert_eq!(r["status"], 200, "{r}");
        assert!(r["error"].is_null(), "{r}");
    }
    // Every request that started got its record; nothing was left half done.
    let requested: BTreeSet<String> = sorted_page_paths(&server)
        .iter()
        .map(|p| server.url(p))
        .collect();
    assert_eq!(url_set(&records), requested);
    assert_eq!(server.in_flight(), 0);
}

static SCOPE_PAGES: &[(&str, &[&str])] = &[
    (
        "/",
        &[
            "/a1",
            "http://www.example.com:{pb}/b1",
            "http://blog.example.com:{pb}/blog1",
            "http://other.org:{pb}/o1",
            "/docs/index.html",
        ],
    ),
    (
        "/docs/index.html",
        &["/docs/d1", "/top", "http://www.example.com:{pb}/docs/d2"],
    ),
    (
        "/blog1",
        &[
            "http://blog.example.com:{pb}/blog2",
            "http://other.org:{pb}/o2",
        ],
    ),
];

/// Crawls the two-server scope site with `args`; returns the record URLs and
/// the `host path` pairs each server saw.
async fn scope_crawl(args: &[&str], seed_path: &str) -> (BTreeSet<String>, Vec<String>, String) {
    let ports = Ports::default();
    let a = TestServer::start(ServerOpts::routes(linking_site(SCOPE_PAGES, ports.clone()))).await;
    let b = TestServer::start(ServerOpts::routes(linking_site(SCOPE_PAGES, ports.clone()))).await;
    ports.0.set((a.port(), b.port())).expect("ports set once");
    let seed = format!("http://www.example.com:{}{seed_path}", a.port());
    let mut all = vec!["crawl"];
    all.extend_from_slice(args);
    let resolve = [
        "www.example.com:127.0.0.1",
        "blog.example.com:127.0.0.1",
        "other.org:127.0.0.1",
    ];
    for r in &resolve {
        all.extend(["--resolve", r]);
    }
    all.push(&seed);
    let out = run_trawl(&all, None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    // Out-of-scope links are still listed on the seed page.
    if seed_path == "/" {
        let links = links_of(&records[&seed]);
        assert!(
            links.contains(&format!("http://other.org:{}/o1", b.port())),
            "{links:?}"
        );
    }
    let mut seen = Vec::new();
    for (server, name) in [(&a, "A"), (&b, "B")] {
        for r in server.requests() {
            if r.path != "/robots.txt" {
                let host = r.host.clone().unwrap_or_default();
                let host = host.replace(&a.port().to_string(), "{pa}");
                let host = host.replace(&b.port().to_string(), "{pb}");
                seen.push(format!("{name} {host}{}", r.path));
            }
        }
    }
    seen.sort();
    let urls = url_set(&records)
        .into_iter()
        .map(|u| {
            u.replace(&a.port().to_string(), "{pa}")
                .replace(&b.port().to_string(), "{pb}")
        })
        .collect();
    (urls, seen, seed)
}

fn strs(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn scope_host_follows_the_same_host_name_on_any_port() {
    let (urls, seen, _) = scope_crawl(&[], "/").await;
    let want = [
        "http://www.example.com:{pa}/",
        "http://www.example.com:{pa}/a1",
        "http://www.example.com:{pa}/docs/index.html",
        "http://www.example.com:{pa}/docs/d1",
        "http://www.example.com:{pa}/top",
        "http://www.example.com:{pb}/b1",
        "http://www.example.com:{pb}/docs/d2",
    ];
    assert_eq!(urls, strs(&want));
    let mut want_seen = vec![
        "A www.example.com:{pa}/",
        "A www.example.com:{pa}/a1",
        "A www.example.com:{pa}/docs/d1",
        "A www.example.com:{pa}/docs/index.html",
        "A www.example.com:{pa}/top",
        "B www.example.com:{pb}/b1",
        "B www.example.com:{pb}/docs/d2",
    ];
    want_seen.sort();
    assert_eq!(seen, want_seen);
}

#[tokio::test]
async fn scope_domain_adds_sibling_subdomains() {
    let (urls, seen, _) = scope_crawl(&["--scope", "domain"], "/").await;
    let want = [
        "http://www.example.com:{pa}/",
        "http://www.example.com:{pa}/a1",
        "http://www.example.com:{pa}/docs/index.html",
        "http://www.example.com:{pa}/docs/d1",
        "http://www.example.com:{pa}/top",
        "http://www.example.com:{pb}/b1",
        "http://www.example.com:{pb}/docs/d2",
        "http://blog.example.com:{pb}/blog1",
        "http://blog.example.com:{pb}/blog2",
    ];
    assert_eq!(urls, strs(&want));
    assert!(seen.contains(&"B blog.example.com:{pb}/blog1".to_string()));
    assert!(seen.contains(&"B blog.example.com:{pb}/blog2".to_string()));
    assert!(
        seen.iter().all(|s| !s.contains("other.org")),
        "other.org is another domain: {seen:?}"
    );
    assert_eq!(seen.len(), want.len(), "{seen:?}");
}

#[tokio::test]
async fn scope_any_follows_everything() {
    let (urls, seen, _) = scope_crawl(&["--scope", "any"], "/").await;
    for want in [
        "http://other.org:{pb}/o1",
        "http://other.org:{pb}/o2",
        "http://blog.example.com:{pb}/blog2",
        "http://www.example.com:{pb}/docs/d2",
    ] {
        assert!(urls.contains(want), "{want} missing from {urls:?}");
    }
    assert_eq!(urls.len(), 11, "{urls:?}");
    assert!(
        seen.contains(&"B other.org:{pb}/o2".to_string()),
        "{seen:?}"
    );
    assert_eq!(seen.len(), 11, "{seen:?}");
}

#[tokio::test]
async fn scope_prefix_stays_under_the_seed_directory_and_port() {
    let (urls, seen, _) = scope_crawl(&["--scope", "prefix"], "/docs/index.html").await;
    let want = [
        "http://www.example.com:{pa}/docs/index.html",
        "http://www.example.com:{pa}/docs/d1",
    ];
    assert_eq!(urls, strs(&want));
    assert_eq!(
        seen,
        [
            "A www.example.com:{pa}/docs/d1",
            "A www.example.com:{pa}/docs/index.html"
        ]
    );
}

#[tokio::test]
async fn include_and_exclude_filter_discovered_links() {
    // Include and exclude together: only the shop, without the gadget.
    let server = TestServer::site().await;
    let seed = server.url("/");
    let out = run_trawl(
        &["crawl", "--include", "/shop/", "--exclude", "gadget", &seed],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = ["/", "/shop/", "/shop/gizmo.html", "/shop/widget.html"];
    let want_urls: BTreeSet<String> = want.iter().map(|p| server.url(p)).collect();
    assert_eq!(url_set(&records), want_urls);
    assert_eq!(sorted_page_paths(&server), want);
    // The seed itself is not filtered, and excluded links are still listed.
    assert!(links_of(&records[&server.url("/shop/")]).contains(&server.url("/shop/gadget.html")));

    // Two excludes: nothing matching either is requested, the rest is.
    let server = TestServer::site().await;
    let out = run_trawl(
        &[
            "crawl",
            "--depth",
            "2",
            "--exclude",
            "/links/",
            "--exclude",
            r"\.html$",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let paths = sorted_page_paths(&server);
    assert!(
        paths
            .iter()
            .all(|p| !p.contains("/links/") && !p.ends_with(".html")),
        "{paths:?}"
    );
    for want in ["/", "/charset/", "/shop/"] {
        assert!(paths.contains(&want.to_string()), "{want} not in {paths:?}");
    }
    let want_urls: BTreeSet<String> = paths.iter().map(|p| server.url(p)).collect();
    assert_eq!(url_set(&records), want_urls);
}

static TRAP_PAGES: &[(&str, &[&str])] = &[(
    "/",
    &[
        "/a/a/",
        "/a/a/a/",
        "/x/y/x/y/x",
        "/docs/v1/docs/",
        "/cal/2026/01/01/01",
        "/long/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "/short",
    ],
)];

#[tokio::test]
async fn repeated_segments_are_not_followed() {
    let server = TestServer::start(ServerOpts::routes(linking_site(
        TRAP_PAGES,
        Ports::default(),
    )))
    .await;
    let seed = server.url("/");
    let out = run_trawl(&["crawl", &seed], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let long = TRAP_PAGES[0].1[5];
    let mut want = vec!["/", "/a/a/", "/docs/v1/docs/", long, "/short"];
    want.sort();
    let want_urls: BTreeSet<String> = want.iter().map(|p| server.url(p)).collect();
    assert_eq!(url_set(&records), want_urls);
    assert_eq!(sorted_page_paths(&server), want);
    // The traps are still listed as links of the page.
    let links = links_of(&records[&seed]);
    assert!(links.contains(&server.url("/a/a/a/")), "{links:?}");
    assert!(links.contains(&server.url("/x/y/x/y/x")), "{links:?}");
}

#[tokio::test]
async fn max_url_length_limits_what_is_followed() {
    let server = TestServer::start(ServerOpts::routes(linking_site(
        TRAP_PAGES,
        Ports::default(),
    )))
    .await;
    let seed = server.url("/");
    let long = TRAP_PAGES[0].1[5];
    assert!(server.url(long).len() > 100 && server.url("/docs/v1/docs/").len() < 100);
    let out = run_trawl(&["crawl", "--max-url-length", "100", &seed], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = ["/", "/a/a/", "/docs/v1/docs/", "/short"];
    let want_urls: BTreeSet<String> = want.iter().map(|p| server.url(p)).collect();
    assert_eq!(url_set(&records), want_urls);
    assert_eq!(sorted_page_paths(&server), want);
    assert!(links_of(&records[&seed]).contains(&server.url(long)));
}

#[tokio::test]
async fn per_host_max_pages_caps_each_host() {
    let a = TestServer::site().await;
    let b = TestServer::start(ServerOpts::site().with_ip(Ipv4Addr::new(127, 0, 0, 2))).await;
    let out = run_trawl(
        &[
            "crawl",
            "--per-host-max-pages",
            "3",
            &a.url("/"),
            &b.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    for server in [&a, &b] {
        let mine: Vec<&String> = records
            .keys()
            .filter(|u| u.starts_with(&format!("{}/", server.origin())))
            .collect();
        assert_eq!(mine.len(), 3, "{} took {mine:?}", server.origin());
        assert!(mine.contains(&&server.url("/")));
        let paths = sorted_page_paths(server);
        assert_eq!(paths.len(), 3, "{} saw {paths:?}", server.origin());
        let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
        assert!(urls.iter().all(|u| records.contains_key(u)), "{urls:?}");
    }
    assert_eq!(records.len(), 6);
}

#[tokio::test]
async fn a_page_linked_from_many_parents_is_fetched_once() {
    let server = TestServer::site().await;
    let out = run_trawl(&["crawl", "--depth", "3", &server.url("/")], None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records()); // each URL once
    let about = server.url("/about.html");
    let parents = records
        .values()
        .filter(|r| links_of(r).contains(&about))
        .count();
    assert!(
        parents >= 5,
        "about.html linked from {parents} fetched pages"
    );
    assert_eq!(server.count("/about.html"), 1);
    assert_eq!(server.count("/links/dup-target.html"), 1);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for p in server.paths() {
        *counts.entry(p).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "requested twice: {repeated:?}");
    let requested: BTreeSet<String> = sorted_page_paths(&server)
        .iter()
        .map(|p| server.url(p))
        .collect();
    assert_eq!(url_set(&records), requested);
    assert_eq!(records[&about]["depth"], 1);

    // Seeds dedupe too, after normalization (fragment, host case).
    let server = TestServer::site().await;
    let about = server.url("/about.html");
    let variants = [
        about.clone(),
        format!("{about}#team"),
        about.replace("http://", "HTTP://"),
    ];
    let mut args = vec!["fetch"];
    args.extend(variants.iter().map(String::as_str));
    let out = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    assert_eq!(url_set(&records), BTreeSet::from([about]));
    assert_eq!(sorted_page_paths(&server), ["/about.html"]);
}
