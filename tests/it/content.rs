//! `--markdown`, `--text` and `--whole-page` through the real binary: what
//! a page's record carries, for an article, an index page, a page that is
//! not HTML, a failed fetch, legacy charsets, CSV, and a 5 MB page (within
//! the memory budget of the DOM path).

use crate::common;

use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::observe::observe;
use common::records::{by_url, single};
use common::{ServerOpts, TestServer, run_trawl, trawl_command};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

const PROSE: &str = "The harbour was quiet that morning, and the boats lay still on the water, \
    waiting for the tide to turn before the fishermen went out again.";

fn article() -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>Harbour</title>
        <meta name="description" content="A quiet morning">
        <link rel="canonical" href="/story/harbour">
        <script>var analytics = "tracking code";</script></head>
        <body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
        <div class="cookie-consent">This site uses cookies. <a href="/privacy">Privacy</a></div>
        <main><article>
          <h1>The harbour at dawn</h1>
          <p>{PROSE}</p>
          <h2>Boats</h2>
          <ul><li>Trawlers</li><li>Dinghies with <a href="/sails">sails</a></li></ul>
          <table><tr><th>Boat</th><th>Crew</th></tr><tr><td>Trawler</td><td>6</td></tr></table>
          <pre><code>knots = miles / hours</code></pre>
          <p><img src="/img/dawn.jpg" alt="Dawn"> {PROSE}</p>
        </article></main>
        <aside><p>Advertisement: buy a boat today, the best boats in town.</p></aside>
        <footer>Copyright the harbour paper</footer></body></html>"#
    )
}

fn site() -> Router {
    let index: String = (0..20)
        .map(|i| format!("<li><a href=\"/story/{i}\">Story {i}</a></li>"))
        .collect();
    Router::new()
        .route("/article", get(|| async { Html(article()) }))
        .route(
            "/index",
            get(move || {
                let index = index.clone();
                async move {
                    Html(format!(
                        "<html><body><h1>All stories</h1><ul>{index}</ul></body></html>"
                    ))
                }
            }),
        )
        .route(
            "/data.json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], r#"{"a": 1}"#) }),
        )
        .route(
            "/latin1",
            get(|| async {
                let mut body =
                    b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf".to_vec();
                body.push(0xE9);
                body.extend_from_slice(b" cr");
                body.push(0xE8);
                body.extend_from_slice(b"me br");
                body.push(0xFB);
                body.extend_from_slice(b"l\xE9e</p></body></html>");
                ([(CONTENT_TYPE, "text/html")], body).into_response()
            }),
        )
        .route(
            "/win1252",
            get(|| async {
                let body = b"<html><body><p>\x93Quoted\x94 \x96 dash</p></body></html>".to_vec();
                ([(CONTENT_TYPE, "text/html; charset=windows-1252")], body).into_response()
            }),
        )
}

async fn fetch(server: &TestServer, paths: &[&str], flags: &[&str]) -> Vec<Value> {
    let urls: String = paths
        .iter()
        .map(|p| format!("{}\n", server.url(p)))
        .collect();
    let mut args = vec![
        "fetch",
        "--seeds",
        "-",
        "--robots",
        "ignore",
        "--progress",
        "never",
    ];
    args.extend_from_slice(flags);
    let out = run_trawl(&args, Some(urls.as_bytes()), LIMIT).await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), paths.len(), "{}", out.stderr);
    records
}

#[tokio::test]
async fn an_article_becomes_markdown_and_text() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let records = fetch(&server, &["/article"], &["--markdown", "--text"]).await;
    let r = &records[0];
    let md = r["markdown"].as_str().expect("markdown");
    let origin = server.origin();
    for want in [
        "# The harbour at dawn\n\nThe harbour was quiet".to_string(),
        "## Boats".to_string(),
        format!("- Trawlers\n- Dinghies with [sails]({origin}/sails)"),
        "| Boat | Crew |\n| --- | --- |\n| Trawler | 6 |".to_string(),
        "```\nknots = miles / hours\n```".to_string(),
        format!("![Dawn]({origin}/img/dawn.jpg)"),
    ] {
        assert!(md.contains(&want), "{want:?} not in\n{md}");
    }
    for gone in [
        "Home",
        "About us",
        "cookies",
        "Advertisement",
        "Copyright",
        "tracking",
    ] {
        assert!(!md.contains(gone), "{gone:?} in\n{md}");
    }
    let text = r["text"].as_str().expect("text");
    assert!(
        text.starts_with("The harbour at dawn\n\nThe harbour was quiet"),
        "{text}"
    );
    assert!(
        !text.contains('#') && !text.contains("](") && !text.contains("Home"),
        "{text}"
    );
    assert_eq!(r["lang"], "en");
    assert_eq!(r["description"], "A quiet morning");
    assert_eq!(r["canonical"], format!("{origin}/story/harbour"));
    assert_eq!(
        r["title"], "Harbour",
        "title and links as without --markdown"
    );
    assert!(
        r["links"].as_array().is_some_and(|l| l.len() >= 4),
        "{}",
        r["links"]
    );
}

#[tokio::test]
async fn an_index_page_a_non_html_page_and_a_failure() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let records = fetch(&server, &["/index", "/data.json", "/missing"], &["--text"]).await;
    let by = by_url(&records);
    let index = &by[&server.url("/index")];
    let text = index["text"].as_str().expect("text");
    assert!(
        text.starts_with("All stories\n\nStory 0\nStory 1"),
        "whole page: {text}"
    );
    assert!(text.contains("Story 19"), "{text}");
    assert!(index.get("markdown").is_none(), "only what was asked for");
    for path in ["/data.json", "/missing"] {
        let r = &by[&server.url(path)];
        for key in ["text", "lang", "description", "canonical"] {
            assert!(
                r.get(key).is_some_and(Value::is_null),
                "{path}: {key} in {r}"
            );
        }
    }
}

#[tokio::test]
async fn legacy_charsets_give_valid_utf8() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let records = fetch(&server, &["/latin1", "/win1252"], &["--text", "--markdown"]).await;
    let by = by_url(&records);
    assert_eq!(by[&server.url("/latin1")]["text"], "Café crème brûlée");
    assert_eq!(
        by[&server.url("/win1252")]["text"],
        "\u{201c}Quoted\u{201d} \u{2013} dash"
    );
}

#[tokio::test]
async fn whole_page_and_its_misuse() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let records = fetch(&server, &["/article"], &["--text", "--whole-page"]).await;
    let text = records[0]["text"].as_str().expect("text");
    for kept in [
        "Home",
        "About us",
        "Advertisement",
        "Copyright",
        "The harbour was quiet",
    ] {
        assert!(text.contains(kept), "{kept:?} not in\n{text}");
    }
    assert!(!text.contains("tracking"), "scripts never: {text}");
    let out = run_trawl(
        &["fetch", "--whole-page", &server.url("/article")],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("--whole-page") && out.stderr.contains("--markdown"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn csv_has_content_columns_when_asked() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let out = run_trawl(
        &[
            "fetch",
            "--format",
            "csv",
            "--markdown",
            "--robots",
            "ignore",
            &server.url("/article"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    for col in ["markdown", "lang", "description", "canonical"] {
        assert!(header.iter().any(|h| h == col), "{col} not in {header:?}");
    }
    assert!(!header.iter().any(|h| h == "text"), "{header:?}");
    let row = reader.records().next().expect("a row").expect("valid CSV");
    let md = &row[header.iter().position(|h| h == "markdown").unwrap_or(0)];
    assert!(md.starts_with("# The harbour at dawn"), "{md}");
}

#[tokio::test]
async fn without_the_flags_records_have_no_content_fields() {
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let out = run_trawl(
        &["fetch", "--robots", "ignore", &server.url("/article")],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let r = single(&out);
    for key in ["markdown", "text", "lang", "description", "canonical"] {
        assert!(r.get(key).is_none(), "{key} in {r}");
    }
}

#[tokio::test]
async fn a_five_megabyte_page_stays_within_the_memory_budget() {
    let paragraphs = 5 * 1024 * 1024 / (PROSE.len() + 7);
    let page = format!(
        "<html><body><article>{}</article></body></html>",
        format!("<p>{PROSE}</p>").repeat(paragraphs)
    );
    let len = page.len();
    let server = TestServer::start(ServerOpts::routes(Router::new().route(
        "/",
        get(move || {
            let page = page.clone();
            async move { Html(page) }
        }),
    )))
    .await;
    let o = observe(
        trawl_command(&[
            "fetch",
            "--markdown",
            "--robots",
            "ignore",
            &server.url("/"),
        ]),
        LIMIT,
    )
    .await;
    o.out.assert_code(0);
    let r = single(&o.out);
    assert!(r["error"].is_null(), "{}", r["error"]);
    let md = r["markdown"].as_str().expect("markdown");
    assert!(md.len() > len / 2, "{} of {len} bytes", md.len());
    eprintln!(
        "5 MB page ({len} bytes) to Markdown: peak RSS {} KiB",
        o.peak_rss_kib
    );
    // The budget lets a DOM take 20x its page (fetch/budget.rs): ~100 MB here.
    assert!(
        o.peak_rss_kib < 200 * 1024,
        "peak RSS {} KiB",
        o.peak_rss_kib
    );
}
