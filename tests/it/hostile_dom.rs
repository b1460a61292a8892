//! The DOM path (`--select`) against hostile pages, generated here: 300,000
//! nested `<div>`s, 5 MB of `<`, 2 million `<!--`, 200,000 links. Bounded
//! depth keeps the parse linear, node and memory bounds keep RSS down, and
//! a parse counts against `--timeout`; another host's pages never wait on
//! them.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use common::observe::observe;
use common::records::by_url;
use common::{ServerOpts, TestServer, trawl_command};

const LIMIT: Duration = Duration::from_secs(120);

fn page(body: String) -> Router {
    let body = Arc::new(body);
    Router::new().route(
        "/",
        get(move || {
            let body = Arc::clone(&body);
            async move { Html(body.as_str().to_string()) }
        }),
    )
}

fn nested(depth: usize) -> String {
    format!(
        "<title>deep</title>{}<a href=\"/found\">found</a>{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

/// A host of ten small pages that link to each other.
fn small_site() -> Router {
    Router::new().route(
        "/p/{k}",
        get(
            |axum::extract::Path(k): axum::extract::Path<u32>| async move {
                Html(format!(
                    "<title>p{k}</title><a href=\"/p/{}\">next</a>",
                    (k + 1) % 10
                ))
            },
        ),
    )
}

#[tokio::test]
async fn a_page_nested_300_000_deep_is_parsed_in_bounded_time() {
    let _cpu = common::cpu::exclusive().await;
    let deep = TestServer::start(ServerOpts::routes(page(nested(300_000)))).await;
    let small = TestServer::start(ServerOpts::routes(small_site())).await;
    let seeds: Vec<String> = (0..10).map(|k| small.url(&format!("/p/{k}"))).collect();
    let mut args = vec![
        "fetch".to_string(),
        "--select-all".into(),
        "links=a@href".into(),
        "--robots".into(),
        "ignore".into(),
        deep.url("/"),
    ];
    args.extend(seeds.iter().cloned());
    let o = observe(trawl_command(&args), LIMIT).await;
    o.out.assert_code(0);
    let records = by_url(&o.out.records());
    let r = &records[&deep.url("/")];
    assert!(r["error"].is_null(), "{}", r["error"]);
    assert_eq!(
        r["fields"]["links"],
        serde_json::json!(["/found"]),
        "the link is found"
    );
    for s in &seeds {
        assert_eq!(records[s]["status"], 200, "{s}: {}", records[s]["error"]);
    }
    // Minutes before the depth bound (quadratic); linear now.
    assert!(o.cpu < Duration::from_secs(2), "{:?} of CPU", o.cpu);
}

#[tokio::test]
async fn a_parse_past_its_timeout_ends_in_timeout() {
    let _cpu = common::cpu::exclusive().await;
    // 200,000 links: a quarter to half a second of DOM work (tokenizer and
    // tree), past a 100 ms deadline that the fetch of its 5.7 MB over
    // loopback (~15 ms) is well within.
    let links: String = (0..200_000)
        .map(|i| format!("<a href=\"/l{i}\">l{i}</a>"))
        .collect();
    let server = TestServer::start(ServerOpts::routes(page(links))).await;
    let o = observe(
        trawl_command(&[
            "fetch",
            "--select",
            "first=a@href",
            "--robots",
            "ignore",
            "--timeout",
            "100ms",
            &server.url("/"),
        ]),
        LIMIT,
    )
    .await;
    o.out.assert_code(0);
    let records = o.out.records();
    let r = &records[0];
    let error = &r["error"];
    assert_eq!(error["kind"], "timeout", "{error}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("DOM")),
        "{error}"
    );
    let links = r["links"].as_array().map_or(usize::MAX, Vec::len);
    assert_eq!(links, 0, "what was extracted is discarded");
}

/// Peak RSS of a `--select` run over `body`, with the record.
async fn rss_of(body: String) -> (u64, serde_json::Value) {
    let server = TestServer::start(ServerOpts::routes(page(body))).await;
    let o = observe(
        trawl_command(&[
            "fetch",
            "--select",
            "h=a",
            "--robots",
            "ignore",
            &server.url("/"),
        ]),
        LIMIT,
    )
    .await;
    o.out.assert_code(0);
    let records = o.out.records();
    (o.peak_rss_kib, records[0].clone())
}

#[tokio::test]
async fn hostile_pages_stay_within_a_memory_bound() {
    let _cpu = common::cpu::exclusive().await;
    // Measured: 19 MiB and 29 MiB (before the bounds: 396 MB and 208 MB).
    // A run's own floor is ~15 MiB; the body and its decoded text are two
    // copies of 5-8 MB; the DOM is one text node, or one comment.
    for (name, body) in [
        ("5 MB of '<'", "<".repeat(5 << 20)),
        ("2 million '<!--'", "<!--".repeat(2_000_000)),
    ] {
        let (kib, r) = rss_of(body).await;
        eprintln!("{name}: peak RSS {kib} KiB, {}", r["error"]);
        assert!(r["error"].is_null(), "{name}: {}", r["error"]);
        assert!(kib < 64 * 1024, "{name}: peak RSS {kib} KiB");
    }
}

#[tokio::test]
async fn a_page_past_the_node_bound_is_too_large() {
    let _cpu = common::cpu::exclusive().await;
    let (_, r) = rss_of("<b></b>".repeat(600_000)).await;
    let error = &r["error"];
    assert_eq!(error["kind"], "too_large", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("500000")),
        "{error}"
    );
}
