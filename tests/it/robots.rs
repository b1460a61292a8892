//! robots.txt (RFC 9309) under the default `--robots obey`, as the servers
//! see it: fetched once per host (authority = host:port) and before anything
//! else there; `Allow`/`Disallow` for trawl's product token, for `*` and for
//! a `-A` agent; refused URLs get a `robots` record and are never requested;
//! `Crawl-delay` (capped by `--max-crawl-delay`) spaces the requests; a 5xx
//! robots.txt disallows, a 4xx allows, a redirect is followed; `--robots
//! ignore` skips it all.

use crate::common;

use std::net::Ipv4Addr;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::{LoggedRequest, ServerOpts, TestServer, TrawlOutput, run_trawl};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// Timer slack allowed below a minimum gap.
const SLACK: Duration = Duration::from_millis(5);

/// More slack after a request that opened its connection: its arrival is
/// stamped only once the server has accepted the connection and read the
/// request, which on a busy machine comes some milliseconds later, relative
/// to when trawl sent it, than for a request on a kept-alive connection.
const NEW_CONNECTION_SLACK: Duration = Duration::from_millis(30);

/// The slack allowed below a minimum gap that starts at `requests[i]`.
fn slack_after(requests: &[LoggedRequest], i: usize) -> Duration {
    let peer = requests[i].peer;
    let opened = peer.is_none() || !requests[..i].iter().any(|r| r.peer == peer);
    if opened { NEW_CONNECTION_SLACK } else { SLACK }
}

/// Every path not routed otherwise is a small HTML leaf page.
fn leaves() -> Router {
    Router::new().fallback(|uri: Uri| async move {
        Html(format!(
            "<html><head><title>{}</title></head><body>leaf</body></html>",
            uri.path()
        ))
    })
}

/// Leaf pages plus a `/robots.txt` answering `body` (text/plain, 200).
fn with_robots(body: &'static str) -> Router {
    leaves().route(
        "/robots.txt",
        get(move || async move { ([(header::CONTENT_TYPE, "text/plain")], body) }),
    )
}

/// `/` links to `/p/0` … `/p/{n-1}`; `/robots.txt` allows everything but
/// answers only after `robots_delay`.
fn fan_out(n: usize, robots_delay: Duration) -> Router {
    Router::new()
        .route(
            "/",
            get(move || async move {
                let links: String = (0..n)
                    .map(|i| format!("<a href=\"/p/{i}\">{i}</a>\n"))
                    .collect();
                Html(format!(
                    "<html><head><title>root</title></head><body>{links}</body></html>"
                ))
            }),
        )
        .route(
            "/p/{n}",
            get(|Path(n): Path<u32>| async move {
                Html(format!("<title>page {n}</title><p>leaf</p>"))
            }),
        )
        .route(
            "/robots.txt",
            get(move || async move {
                tokio::time::sleep(robots_delay).await;
                "User-agent: *\nDisallow:\n"
            }),
        )
}

/// The record whose `url` is `url`; panics listing the URLs otherwise.
fn record<'a>(records: &'a [Value], url: &str) -> &'a Value {
    records.iter().find(|r| r["url"] == url).unwrap_or_else(|| {
        let urls: Vec<&Value> = records.iter().map(|r| &r["url"]).collect();
        panic!("no record for {url}; records: {urls:?}")
    })
}

/// Asserts that `url` was refused by robots.txt: a `robots` error, no
/// status, no attempt, and the server never saw the path.
fn assert_refused(records: &[Value], server: &TestServer, path: &str) {
    let r = record(records, &server.url(path));
    assert_eq!(r["error"]["kind"], "robots", "{path}: {r}");
    assert!(
        r["status"].is_null(),
        "{path}: a refused URL has no status: {r}"
    );
    assert_eq!(
        r["attempts"], 0,
        "{path}: a refused URL has no attempt: {r}"
    );
    assert_eq!(
        server.count(path),
        0,
        "{path} was requested: {:?}",
        server.paths()
    );
}

/// Asserts that `url` was fetched once and its record is a 200 without error.
fn assert_fetched(records: &[Value], server: &TestServer, path: &str) {
    let r = record(records, &server.url(path));
    assert_eq!(r["status"], 200, "{path}: {r}");
    assert!(r["error"].is_null(), "{path}: {r}");
    assert_eq!(server.count(path), 1, "{path}: {:?}", server.paths());
}

/// `trawl fetch EXTRA... URLS...` on `server`'s `paths`; exit 0 and one
/// record per URL.
async fn fetch(server: &TestServer, extra: &[&str], paths: &[&str]) -> Vec<Value> {
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let mut args = vec!["fetch"];
    args.extend_from_slice(extra);
    args.extend(urls.iter().map(String::as_str));
    let out: TrawlOutput = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(
        records.len(),
        paths.len(),
        "one record per URL:\n{}",
        out.stdout
    );
    records
}

/// Gaps between consecutive arrivals.
fn gaps(requests: &[LoggedRequest]) -> Vec<Duration> {
    requests
        .windows(2)
        .map(|w| w[1].arrived.duration_since(w[0].arrived))
        .collect()
}

/// Asserts that robots.txt was requested exactly once, first, and answered
/// before any other request to the server arrived.
fn assert_robots_once_and_first(server: &TestServer) {
    let requests = server.requests();
    assert_eq!(
        server.count("/robots.txt"),
        1,
        "{}: robots.txt not requested exactly once: {:?}",
        server.origin(),
        server.paths()
    );
    assert_eq!(
        requests[0].path,
        "/robots.txt",
        "{}: first request was not robots.txt: {:?}",
        server.origin(),
        server.paths()
    );
    let answered = requests[0].finished.expect("robots.txt answered");
    for r in &requests[1..] {
        assert!(
            r.arrived >= answered,
            "{}: {} arrived {:?} before robots.txt was answered",
            server.origin(),
            r.path,
            answered.duration_since(r.arrived)
        );
    }
}

#[tokio::test]
async fn robots_txt_is_fetched_once_per_authority_before_anything_else() {
    // robots.txt is slow to answer, so a crawler that does not wait for it
    // would be caught sending pages meanwhile.
    let slow_robots = Duration::from_millis(200);
    let a = TestServer::start(ServerOpts::routes(fan_out(40, slow_robots))).await;
    let b = TestServer::start(
        ServerOpts::routes(fan_out(40, slow_robots)).with_ip(Ipv4Addr::new(127, 0, 0, 2)),
    )
    .await;
    // Same IP as `a`, another port: another authority, its own robots.txt.
    let c = TestServer::start(ServerOpts::routes(fan_out(40, slow_robots))).await;
    let out = run_trawl(
        &[
            "crawl",
            "-j",
            "16",
            "--per-host",
            "8",
            &a.url("/"),
            &b.url("/"),
            &c.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), 3 * 41, "{}", out.stderr);
    for server in [&a, &b, &c] {
        assert_robots_once_and_first(server);
        assert_eq!(server.page_requests().len(), 41, "each page once");
    }
    assert!(
        records.iter().all(|r| r["error"].is_null()),
        "robots.txt allows everything"
    );
}

#[tokio::test]
async fn disallow_for_trawl_with_a_longer_allow_and_other_groups_ignored() {
    // trawl has its own group, so neither `otherbot`'s nor `*`'s apply.
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: otherbot\n\
         Disallow: /\n\
         \n\
         User-agent: trawl\n\
         Disallow: /private\n\
         Allow: /private/open\n\
         \n\
         User-agent: *\n\
         Disallow: /star-only\n",
    )))
    .await;
    let records = fetch(
        &server,
        &[],
        &[
            "/",
            "/private",
            "/private/secret.html",
            "/private/open",
            "/private/open/page.html",
            "/star-only/x.html",
            "/public.html",
        ],
    )
    .await;
    assert_refused(&records, &server, "/private");
    assert_refused(&records, &server, "/private/secret.html");
    for path in [
        "/",
        "/private/open",
        "/private/open/page.html",
        "/star-only/x.html",
        "/public.html",
    ] {
        assert_fetched(&records, &server, path);
    }
    assert_robots_once_and_first(&server);
}

#[tokio::test]
async fn disallow_for_star_applies_when_trawl_has_no_group() {
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: otherbot\n\
         Disallow: /\n\
         \n\
         User-agent: *\n\
         Disallow: /admin/\n\
         Disallow: /tmp\n\
         Allow: /admin/help/\n",
    )))
    .await;
    let records = fetch(
        &server,
        &[],
        &[
            "/index.html",
            "/admin/",
            "/admin/users.html",
            "/admin/help/faq.html",
            "/tmp",
            "/tmpfile.txt",
            "/admins.html",
        ],
    )
    .await;
    for path in ["/admin/", "/admin/users.html", "/tmp", "/tmpfile.txt"] {
        assert_refused(&records, &server, path);
    }
    for path in ["/index.html", "/admin/help/faq.html", "/admins.html"] {
        assert_fetched(&records, &server, path);
    }
    assert_robots_once_and_first(&server);
}

#[tokio::test]
async fn user_agent_flag_selects_its_own_group() {
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: trawl\n\
         Disallow: /t/\n\
         \n\
         User-agent: mybot\n\
         Disallow: /m/\n\
         \n\
         User-agent: *\n\
         Disallow: /\n",
    )))
    .await;
    let records = fetch(
        &server,
        &["-A", "mybot/2.0"],
        &["/m/1.html", "/t/1.html", "/other.html"],
    )
    .await;
    assert_refused(&records, &server, "/m/1.html");
    assert_fetched(&records, &server, "/t/1.html");
    assert_fetched(&records, &server, "/other.html");
    for r in server.requests() {
        assert_eq!(
            r.header("user-agent"),
            Some("mybot/2.0"),
            "{} sent another User-Agent",
            r.path
        );
    }
    assert_robots_once_and_first(&server);
}

#[tokio::test]
async fn crawl_delay_spaces_every_request_to_the_host() {
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: *\nCrawl-delay: 1\nDisallow: /no\n",
    )))
    .await;
    let records = fetch(&server, &[], &["/a.html", "/b.html", "/c.html"]).await;
    for path in ["/a.html", "/b.html", "/c.html"] {
        assert_fetched(&records, &server, path);
    }
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        4,
        "robots.txt and 3 pages: {:?}",
        server.paths()
    );
    assert_eq!(requests[0].path, "/robots.txt");
    let gaps = gaps(&requests);
    for (i, gap) in gaps.iter().enumerate() {
        assert!(
            *gap + slack_after(&requests, i) >= Duration::from_secs(1),
            "gap {gap:?} < Crawl-delay 1 s; gaps {gaps:?}"
        );
    }
}

#[tokio::test]
async fn max_crawl_delay_caps_crawl_delay() {
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: *\nCrawl-delay: 1\n",
    )))
    .await;
    let paths = ["/1", "/2", "/3", "/4", "/5", "/6"];
    let records = fetch(&server, &["--max-crawl-delay", "300ms"], &paths).await;
    for path in paths {
        assert_fetched(&records, &server, path);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 7, "{:?}", server.paths());
    let gaps = gaps(&requests);
    for (i, gap) in gaps.iter().enumerate() {
        assert!(
            *gap + slack_after(&requests, i) >= Duration::from_millis(300),
            "gap {gap:?} < the capped delay of 300 ms; gaps {gaps:?}"
        );
    }
    // Six gaps of 1 s would take 6 s; capped at 300 ms they take about 1.8 s.
    let span = requests[6].arrived - requests[0].arrived;
    assert!(
        span < Duration::from_millis(4000),
        "7 requests took {span:?}: Crawl-delay 1 s was not capped; gaps {gaps:?}"
    );
}

#[tokio::test]
async fn robots_txt_server_error_disallows_the_host_after_retries() {
    let server = TestServer::start(ServerOpts::routes(leaves().route(
        "/robots.txt",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }),
    )))
    .await;
    let paths = ["/", "/a.html", "/b/c.html"];
    let records = fetch(&server, &["--retries", "2"], &paths).await;
    for path in paths {
        assert_refused(&records, &server, path);
    }
    assert_eq!(
        server.count("/robots.txt"),
        3,
        "robots.txt: one attempt and --retries 2: {:?}",
        server.paths()
    );
    assert!(server.page_requests().is_empty(), "{:?}", server.paths());
}

#[tokio::test]
async fn robots_txt_not_found_allows_everything() {
    let server = TestServer::start(ServerOpts::routes(leaves().route(
        "/robots.txt",
        get(|| async { (StatusCode::NOT_FOUND, "no such file") }),
    )))
    .await;
    let paths = ["/", "/admin/", "/x/y.html"];
    let records = fetch(&server, &[], &paths).await;
    for path in paths {
        assert_fetched(&records, &server, path);
    }
    assert_robots_once_and_first(&server);
}

#[tokio::test]
async fn robots_txt_redirect_is_followed() {
    let routes = leaves()
        .route(
            "/robots.txt",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/real-robots.txt")],
                )
                    .into_response()
            }),
        )
        .route(
            "/real-robots.txt",
            get(|| async { "User-agent: *\nDisallow: /secret\n" }),
        );
    let server = TestServer::start(ServerOpts::routes(routes)).await;
    let records = fetch(&server, &[], &["/open.html", "/secret/x.html"]).await;
    assert_refused(&records, &server, "/secret/x.html");
    assert_fetched(&records, &server, "/open.html");
    assert_eq!(server.count("/robots.txt"), 1, "{:?}", server.paths());
    assert_eq!(server.count("/real-robots.txt"), 1, "{:?}", server.paths());
    let paths = server.paths();
    assert_eq!(
        &paths[..2],
        ["/robots.txt", "/real-robots.txt"],
        "robots.txt and its redirect target come first"
    );
}

#[tokio::test]
async fn robots_ignore_never_asks_and_fetches_disallowed_pages() {
    let server = TestServer::start(ServerOpts::routes(with_robots(
        "User-agent: *\nDisallow: /\nCrawl-delay: 5\n",
    )))
    .await;
    let paths = ["/", "/private/a.html", "/b.html"];
    let records = fetch(&server, &["--robots", "ignore"], &paths).await;
    for path in paths {
        assert_fetched(&records, &server, path);
    }
    assert_eq!(server.count("/robots.txt"), 0, "{:?}", server.paths());
}

#[tokio::test]
async fn redirect_hop_to_another_host_obeys_that_hosts_robots_txt() {
    let b = TestServer::start(
        ServerOpts::routes(with_robots("User-agent: *\nDisallow: /x/\n"))
            .with_ip(Ipv4Addr::new(127, 0, 0, 2)),
    )
    .await;
    let secret = b.url("/x/secret.html");
    let open = b.url("/open.html");
    let routes = leaves()
        .route(
            "/go-secret",
            get(move || {
                let to = secret.clone();
                async move { (StatusCode::FOUND, [(header::LOCATION, to)]).into_response() }
            }),
        )
        .route(
            "/go-open",
            get(move || {
                let to = open.clone();
                async move { (StatusCode::FOUND, [(header::LOCATION, to)]).into_response() }
            }),
        );
    let a = TestServer::start(ServerOpts::routes(routes)).await;
    let records = fetch(&a, &[], &["/go-secret", "/go-open"]).await;
    let refused = record(&records, &a.url("/go-secret"));
    assert_eq!(refused["error"]["kind"], "robots", "{refused}");
    assert_eq!(refused["final_url"], b.url("/x/secret.html"), "{refused}");
    assert_eq!(b.count("/x/secret.html"), 0, "{:?}", b.paths());
    let followed = record(&records, &a.url("/go-open"));
    assert_eq!(followed["status"], 200, "{followed}");
    assert_eq!(followed["final_url"], b.url("/open.html"), "{followed}");
    assert_robots_once_and_first(&a);
    assert_robots_once_and_first(&b);
}
