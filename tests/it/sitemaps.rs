//! `--sitemaps`: robots.txt's `Sitemap` lines and `/sitemap.xml`, an index,
//! a gzip sitemap and a text one lead to pages no link reaches; each file
//! is fetched once and has its own record; a broken one is an error record;
//! pages carry their `lastmod`; an out-of-scope URL is not fetched; a file
//! over the protocol's 50,000 URLs is cut there, with a message.

use crate::common;

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use common::records::by_url;
use common::{ServerOpts, TestServer, run_trawl};

const LIMIT: Duration = Duration::from_secs(60);

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into a Vec");
    e.finish().expect("gzip into a Vec")
}

fn urlset(entries: &[(String, Option<&str>)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in entries {
        x.push_str(&format!("<url><loc>{loc}</loc>"));
        if let Some(m) = lastmod {
            x.push_str(&format!("<lastmod>{m}</lastmod>"));
        }
        x.push_str("</url>\n");
    }
    x.push_str("</urlset>\n");
    x
}

/// A site whose pages `/only/N` no link reaches, listed by sitemaps on its
/// own origin (known once the server is up: `origin`); `elsewhere` is
/// another host (out of `--scope host`).
fn site(origin: Arc<OnceLock<String>>, elsewhere: String) -> Router {
    let o = move || origin.get().cloned().unwrap_or_default();
    let (o1, o2, o3, o4) = (o.clone(), o.clone(), o.clone(), o.clone());
    let (e1, e2) = (elsewhere.clone(), elsewhere);
    Router::new()
        .route("/", get(|| async { Html("<title>Home</title>no links") }))
        .route(
            "/robots.txt",
            get(move || async move {
                format!("User-agent: *\nAllow: /\nSitemap: {}/index.xml\n", o1())
            }),
        )
        .route(
            "/index.xml",
            get(move || async move {
                let o = o2();
                let body = format!(
                    "<sitemapindex><sitemap><loc>{o}/s1.xml.gz</loc></sitemap>\
                     <sitemap><loc>{o}/s2.txt</loc></sitemap>\
                     <sitemap><loc>{o}/broken.xml</loc></sitemap>\
                     <sitemap><loc>{o}/big.xml</loc></sitemap></sitemapindex>"
                );
                ([(header::CONTENT_TYPE, "application/xml")], body)
            }),
        )
        .route(
            "/s1.xml.gz",
            get(move || async move {
                let o = o3();
                let xml = urlset(&[
                    (format!("{o}/only/1"), Some("2026-01-02")),
                    (format!("{e1}/outside"), None),
                ]);
                (
                    [(header::CONTENT_TYPE, "application/gzip")],
                    gzip(xml.as_bytes()),
                )
            }),
        )
        .route(
            "/s2.txt",
            get(move || async move {
                let o = o4();
                format!("{o}/only/2\n# a comment\n{o}/only/3\n")
            }),
        )
        .route(
            "/sitemap.xml",
            get(move || async move {
                urlset(&[(format!("{}/only/4", o()), Some("2025-12-31T10:00:00Z"))])
            }),
        )
        .route(
            "/broken.xml",
            get(|| async { "<urlset><url><loc>http://x/</url>" }),
        )
        .route(
            "/big.xml",
            get(move || async move {
                let big: Vec<(String, Option<&str>)> = (0..50_010)
                    .map(|i| (format!("{e2}/big/{i}"), None))
                    .collect();
                urlset(&big)
            }),
        )
        .route(
            "/only/{n}",
            get(|| async { Html("<title>Only</title><p>reached through a sitemap</p>") }),
        )
}

#[tokio::test]
async fn sitemaps_lead_to_pages_no_link_reaches() {
    let other = TestServer::start(ServerOpts::routes(
        Router::new().fallback(|| async { Html("<title>Other</title>") }),
    ))
    .await;
    let origin: Arc<OnceLock<String>> = Arc::default();
    // Another host name (the same address): out of `--scope host`.
    let elsewhere = format!("http://other.test:{}", other.port());
    let server = TestServer::start(ServerOpts::routes(site(origin.clone(), elsewhere))).await;
    origin.set(server.origin()).expect("set once");
    let seed = server.url("/");
    let out = run_trawl(
        &[
            "crawl",
            "--sitemaps",
            "--resolve",
            "other.test:127.0.0.1",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let url = |p: &str| server.url(p);

    for file in [
        "/index.xml",
        "/s1.xml.gz",
        "/s2.txt",
        "/sitemap.xml",
        "/big.xml",
    ] {
        let r = &records[&url(file)];
        assert_eq!(r["source"]["kind"], "sitemap", "{r}");
        assert!(r["error"].is_null(), "{r}");
        assert_eq!(server.count(file), 1, "{file} fetched once");
    }
    let broken = &records[&url("/broken.xml")];
    assert_eq!(broken["source"]["kind"], "sitemap");
    assert_eq!(broken["error"]["kind"], "decode", "{broken}");

    for n in 1..=4 {
        let r = &records[&url(&format!("/only/{n}"))];
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["depth"], 0, "{r}");
        assert!(r.get("source").is_none(), "a page is no sitemap: {r}");
    }
    assert_eq!(records[&url("/only/1")]["lastmod"], "2026-01-02");
    assert_eq!(
        records[&url("/only/1")]["parent"],
        url("/s1.xml.gz").as_str()
    );
    assert_eq!(records[&url("/only/4")]["lastmod"], "2025-12-31T10:00:00Z");
    assert!(records[&url("/only/2")].get("lastmod").is_none());

    assert_eq!(other.requests().len(), 0, "out-of-scope URLs fetched");
    let big = &records[&url("/big.xml")];
    assert_eq!(big["links"].as_array().map(Vec::len), Some(50_000));
    assert!(
        out.stderr.contains("big.xml") && out.stderr.contains("cut at"),
        "{}",
        out.stderr
    );
}
