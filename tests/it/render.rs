//! `--render`: pages loaded in a real headless Chromium (Debian's
//! `chromium`, which `.ci/run` installs) through the real binary — links
//! and a title built by a script, a framework shell `auto` renders and a
//! static page it leaves alone, a page that never settles, a page that asks
//! for a hundred sub-requests, the per-host limit with the browser's
//! requests counted, the rendered DOM in the WARC, signals, and a browser
//! that is not there.
//!
//! After every run no browser process and no profile may be left
//! (`common::browser`).

use crate::common;

use std::time::Duration;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::header::CONTENT_TYPE;
use axum::response::Html;
use axum::routing::get;
use common::browser::{Browsers, LIMIT};
use common::records::{by_url, error_kind};
use common::{ServerOpts, TestServer, finish_trawl, run_command, send_signal};
use serde_json::Value;

fn js(body: &'static str) -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(CONTENT_TYPE, "text/javascript")], body)
}

const APP_JS: &str = r#"
document.addEventListener('DOMContentLoaded', () => {
  document.title = 'Built by script';
  const root = document.getElementById('root');
  root.innerHTML = '<h1>Hello</h1><p>Made in the browser.</p><a href="/a">A</a> <a href="/b">B</a>';
  fetch('/data.json').then(r => r.json()).then(d => {
    const a = document.createElement('a');
    a.href = d.link;
    a.textContent = 'from data';
    root.append(a);
  });
});
"#;

const PROSE: &str = "The harbour was quiet that morning, and the boats lay still on the water, \
    waiting for the tide to turn before the fishermen went out again. ";

fn site() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                Html(
                    r#"<!doctype html><html><head><title>Shell</title><script src="/app.js"></script></head>
                    <body><div id="root"></div><img src="/logo.png"></body></html>"#,
                )
            }),
        )
        .route("/app.js", get(|| async { js(APP_JS) }))
        .route(
            "/data.json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], r#"{"link": "/c"}"#) }),
        )
        .route(
            "/{page}",
            get(|UrlPath(page): UrlPath<String>| async move {
                Html(format!("<title>{page}</title><p>{PROSE}</p>"))
            }),
        )
        .route(
            "/static",
            get(|| async {
                Html(format!(
                    r#"<title>Static</title><article><p>{}</p><a href="/a">A</a></article>
                    <script src="/static.js"></script>"#,
                    PROSE.repeat(10)
                ))
            }),
        )
        .route("/static.js", get(|| async { js("document.title = 'changed';") }))
        .route(
            "/never",
            get(|| async {
                Html(
                    "<title>Never</title><p>Polls forever.</p>\
                     <script>setInterval(() => fetch('/poll?' + Math.random()), 50);</script>",
                )
            }),
        )
        .route("/poll", get(|| async { "again" }))
        .route(
            "/alert",
            get(|| async {
                Html("<title>Before</title><script>alert('hello'); document.title = 'After alert';</script>")
            }),
        )
        .route(
            "/many",
            get(|| async {
                Html(
                    "<title>Many</title><script>for (let i = 0; i < 100; i++) fetch('/sub/' + i);</script>",
                )
            }),
        )
        .route("/sub/{n}", get(|| async { "sub" }))
}

fn site_requests(server: &TestServer, prefix: &str) -> usize {
    server
        .paths()
        .iter()
        .filter(|p| p.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn links_and_title_built_by_a_script_are_read_and_followed() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let b = Browsers::new();
    let warc = b.dir().join("crawl.warc");
    let out = b
        .run(&[
            "crawl",
            &server.url("/"),
            "--render",
            "always",
            "--depth",
            "1",
            "--warc",
            warc.to_str().unwrap(),
            "--timeout",
            "20s",
        ])
        .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let shell = &records[&server.url("/")];
    assert_eq!(shell["title"], "Built by script", "{shell}");
    assert_eq!(shell["rendered"], true);
    assert_eq!(shell["status"], 200);
    assert_eq!(shell["content_type"], "text/html; charset=utf-8");
    let links: Vec<&str> = shell["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    for page in ["/a", "/b", "/c"] {
        assert!(
            links.contains(&server.url(page).as_str()),
            "{page} in {links:?}"
        );
        let rec = &records[&server.url(page)];
        assert_eq!(rec["title"], page.trim_start_matches('/'), "{rec}");
        assert_eq!(rec["rendered"], true);
    }
    // app.js and data.json; the image was refused.
    assert_eq!(shell["subrequests"], 2, "{shell}");
    assert_eq!(site_requests(&server, "/logo.png"), 0);
    // The document itself was fetched once, by trawl.
    let gets = server.paths().iter().filter(|p| *p == "/").count();
    assert_eq!(gets, 1, "{:?}", server.paths());

    // The archive holds the response as received and the rendered DOM.
    common::warcio::check(&warc);
    let recs = common::warcio::records(std::slice::from_ref(&warc));
    let of = |kind: &str| {
        recs.iter()
            .filter(|r| r["type"] == kind && r["uri"] == server.url("/"))
            .collect::<Vec<&Value>>()
    };
    let (response, conversion) = (of("response"), of("conversion"));
    assert_eq!((response.len(), conversion.len()), (1, 1), "{recs:?}");
    assert_eq!(conversion[0]["refers_to"], response[0]["id"]);
    let dom = payload(conversion[0]);
    let dom = String::from_utf8_lossy(&dom);
    assert!(dom.contains("<title>Built by script</title>"), "{dom}");
    let raw = payload(response[0]);
    assert!(String::from_utf8_lossy(&raw).contains("<title>Shell</title>"));
}

#[tokio::test]
async fn auto_renders_the_shell_and_not_the_static_page() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let b = Browsers::new();
    let out = b
        .run(&[
            "fetch",
            &server.url("/"),
            &server.url("/static"),
            "--render",
            "auto",
        ])
        .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let shell = &records[&server.url("/")];
    assert_eq!(shell["rendered"], true, "{shell}");
    assert_eq!(shell["title"], "Built by script");
    let page = &records[&server.url("/static")];
    assert_eq!(page["rendered"], false, "{page}");
    assert_eq!(page["title"], "Static");
    assert!(page.get("subrequests").is_none());
    assert_eq!(
        site_requests(&server, "/static.js"),
        0,
        "the static page's script never ran"
    );
}

#[tokio::test]
async fn a_page_that_never_settles_times_out_and_the_rest_go_on() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let b = Browsers::new();
    let started = std::time::Instant::now();
    let out = b
        .run(&[
            "fetch",
            &server.url("/never"),
            &server.url("/alert"),
            &server.url("/a"),
            "--render",
            "always",
            "--timeout",
            "3s",
            "--render-concurrency",
            "2",
        ])
        .await;
    let records = by_url(&out.records());
    let never = &records[&server.url("/never")];
    assert_eq!(error_kind(never), Some("timeout"), "{never}");
    assert_eq!(never["rendered"], false);
    assert_eq!(
        never["attempts"], 1,
        "a page that never settles is not retried"
    );
    // What HTTP gave is kept.
    assert_eq!(never["title"], "Never");
    let alert = &records[&server.url("/alert")];
    assert_eq!(
        alert["title"], "After alert",
        "a dialog does not hold the page"
    );
    assert_eq!(records[&server.url("/a")]["error"], Value::Null);
    assert!(started.elapsed() < Duration::from_secs(45));
}

#[tokio::test]
async fn sub_requests_are_counted_and_capped() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let b = Browsers::new();
    let out = b
        .run(&["fetch", &server.url("/many"), "--render", "always"])
        .await;
    let rec = common::records::single(&out);
    assert_eq!(rec["rendered"], true, "{rec}");
    assert_eq!(rec["subrequests"], 100, "{rec}");
    let sent = site_requests(&server, "/sub/");
    assert!(
        (1..=50).contains(&sent),
        "{sent} sub-requests reached the server"
    );
}

/// `/hub` links to ten pages `/p/N`, each a shell whose script sets the
/// title from `/slow/N`, which answers after `delay_ms`.
fn paged_site(delay_ms: u64) -> Router {
    Router::new()
        .route(
            "/hub",
            get(|| async {
                let links: String = (0..10)
                    .map(|i| format!("<a href=\"/p/{i}\">{i}</a>"))
                    .collect();
                Html(format!("<title>Hub</title>{links}"))
            }),
        )
        .route(
            "/p/{n}",
            get(|UrlPath(n): UrlPath<u32>| async move {
                Html(format!(
                    "<title>p{n}</title><div id=\"root\"></div>\
                     <script>fetch('/slow/{n}').then(r => r.text()).then(t => document.title = t);</script>"
                ))
            }),
        )
        .route(
            "/slow/{n}",
            get(move |UrlPath(n): UrlPath<u32>| async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                format!("data {n}")
            }),
        )
}

#[tokio::test]
async fn one_request_per_host_at_a_time_counts_the_browsers_requests() {
    let _cpu = common::cpu::exclusive().await;
    // Ten pages, each asking for slow data from a script: with --per-host 1
    // the next page's document waits until this page's data has come.
    let server = TestServer::start(ServerOpts::routes(paged_site(150))).await;
    let b = Browsers::new();
    let out = b
        .run(&[
            "crawl",
            &server.url("/hub"),
            "--render",
            "always",
            "--per-host",
            "1",
            "--render-concurrency",
            "4",
        ])
        .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    assert_eq!(records.len(), 11);
    for n in 0..10 {
        assert_eq!(
            records[&server.url(&format!("/p/{n}"))]["title"],
            format!("data {n}")
        );
    }
    assert_eq!(site_requests(&server, "/slow/"), 10);
    assert_eq!(
        server.max_in_flight(),
        1,
        "requests of two pages of one host overlapped"
    );
}

#[tokio::test]
async fn a_browser_that_dies_is_started_again_and_the_crawl_goes_on() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(paged_site(400))).await;
    let b = Browsers::new();
    let hub = server.url("/hub");
    let child = b.spawn(&[
        "crawl",
        hub.as_str(),
        "--render",
        "always",
        "--per-host",
        "1",
    ]);
    until(&server, Duration::from_secs(30), |s| {
        site_requests(s, "/slow/") > 0
    })
    .await;
    let browser = b.alive();
    assert!(!browser.is_empty());
    for (pid, _) in &browser {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let out = finish_trawl(child, LIMIT).await;
    out.assert_code(0);
    b.assert_clean(&out).await;
    let records = by_url(&out.records());
    assert_eq!(records.len(), 11, "{}", out.stdout);
    for n in 0..10 {
        let rec = &records[&server.url(&format!("/p/{n}"))];
        assert_eq!(rec["title"], format!("data {n}"), "{rec}");
        assert_eq!(rec["rendered"], true);
    }
    // The page in the browser when it died was loaded again, by a new one.
    let retried: Vec<&Value> = records.values().filter(|r| r["attempts"] == 2).collect();
    assert_eq!(retried.len(), 1, "{retried:?}");
}

#[tokio::test]
async fn no_browser_is_exit_2_with_install_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = common::trawl_command(&[
        "fetch",
        "http://127.0.0.1:9/",
        "--render",
        "always",
        "--browser",
        "/nonexistent/chromium",
    ]);
    cmd.env("TMPDIR", tmp.path());
    let out = run_command(cmd, None, LIMIT).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("/nonexistent/chromium")
            && out.stderr.contains("apt-get install chromium"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

fn payload(r: &Value) -> Vec<u8> {
    data_encoding::BASE64
        .decode(r["payload"].as_str().unwrap_or_default().as_bytes())
        .expect("base64 payload")
}

#[tokio::test]
async fn a_browser_that_will_not_start_and_an_early_error_leave_nothing() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(site())).await;
    let page = server.url("/static");
    // `always` starts the browser first: one that exits at once is exit 2.
    let b = Browsers::new();
    let out = b
        .run(&[
            "fetch",
            &page,
            "--render",
            "always",
            "--browser",
            "/bin/false",
        ])
        .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("/bin/false") && out.stderr.contains("did not start"),
        "{}",
        out.stderr
    );
    // `auto` starts it only for a page that needs it: static pages never do.
    let out = b
        .run(&[
            "fetch",
            &page,
            "--render",
            "auto",
            "--browser",
            "/bin/false",
        ])
        .await;
    out.assert_code(0);
    assert_eq!(common::records::single(&out)["rendered"], false);
    // An error after the browser started (the output cannot be opened)
    // still ends it.
    let out = b
        .run(&[
            "fetch",
            &page,
            "--render",
            "always",
            "-o",
            "/nonexistent-dir/out.jsonl",
        ])
        .await;
    out.assert_code(1);
}

/// Waits until `cond` holds on the server, at most `bound`.
async fn until(server: &TestServer, bound: Duration, cond: impl FnMut(&TestServer) -> bool) {
    assert!(server.wait_until(bound, cond).await, "{:?}", server.paths());
}

fn slow_site() -> Router {
    Router::new()
        .route(
            "/slow",
            get(|| async {
                Html(
                    "<title>Slow</title><div id=\"root\"></div>\
                     <script>fetch('/data').then(r => r.text()).then(t => document.title = t);</script>",
                )
            }),
        )
        .route(
            "/data",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "Slow data"
            }),
        )
}

#[tokio::test]
async fn a_signal_mid_render_ends_the_browser_too() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(slow_site())).await;
    let url = server.url("/slow");
    let args = [
        "fetch",
        url.as_str(),
        "--render",
        "always",
        "--timeout",
        "20s",
    ];
    for signals in [&["TERM"][..], &["INT", "INT"][..]] {
        let b = Browsers::new();
        let child = b.spawn(&args);
        let before = site_requests(&server, "/data");
        until(&server, Duration::from_secs(30), |s| {
            site_requests(s, "/data") > before
        })
        .await;
        assert!(!b.alive().is_empty(), "the browser runs");
        for (i, signal) in signals.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            send_signal(&child, signal);
        }
        let out = finish_trawl(child, LIMIT).await;
        assert_eq!(out.code(), Some(130), "{signals:?}: {}", out.stderr);
        b.assert_clean(&out).await;
    }
}

#[tokio::test]
async fn a_killed_trawl_takes_its_browser_with_it() {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(slow_site())).await;
    let url = server.url("/slow");
    let b = Browsers::new();
    let child = b.spawn(&["fetch", url.as_str(), "--render", "always"]);
    until(&server, Duration::from_secs(30), |s| {
        site_requests(s, "/data") > 0
    })
    .await;
    send_signal(&child, "KILL");
    let _ = finish_trawl(child, LIMIT).await;
    // Nothing ran after the kill: the browser saw its pipe close and left.
    let left = b.gone_within(Duration::from_secs(10)).await;
    assert!(left.is_empty(), "{left:?}");
}
