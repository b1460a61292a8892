//! `--rate` fidelity at rates where a late timer would show, as the server
//! sees it: a host that always has work gets R requests a second (within
//! 3% over the run), and none of its requests comes early: trawl's promise
//! is that two requests to a host are never released closer than
//! 1/R − 1 ms.
//!
//! What the server sees carries noise besides trawl's schedule, so each
//! request is checked against the schedule of the requests before it
//! (`common::schedule`), not gap by gap. The rate over the run is not
//! affected by the noise (only the first and last arrival
//! count); a scheduler that measured each slot from the moment its timer
//! fired would lose ~1 ms a request: −2% at 20/s and −17% at 200/s.

use crate::common;

use std::time::Duration;

use axum::Router;
use axum::http::Uri;
use axum::response::Html;
use common::{LoggedRequest, ServerOpts, TestServer, run_trawl};

const LIMIT: Duration = Duration::from_secs(60);

/// Every path is a small page, answered at once.
fn pages() -> Router {
    Router::new().fallback(|uri: Uri| async move {
        Html(format!(
            "<html><head><title>{}</title></head><body>page</body></html>",
            uri.path()
        ))
    })
}

/// Fetches `n` pages of one host at `--rate rate` and checks what the
/// server saw.
async fn holds_rate(rate: u32, n: usize) {
    let _cpu = common::cpu::exclusive().await;
    let server = TestServer::start(ServerOpts::routes(pages())).await;
    let urls: String = (0..n)
        .map(|i| format!("{}\n", server.url(&format!("/p/{i}"))))
        .collect();
    let rate_arg = rate.to_string();
    let out = run_trawl(
        &[
            "fetch",
            "--seeds",
            "-",
            "--rate",
            &rate_arg,
            "--per-host",
            "16",
            "--robots",
            "ignore",
            "--progress",
            "never",
        ],
        Some(urls.as_bytes()),
        LIMIT,
    )
    .await;
    out.assert_code(0);
    assert_eq!(out.records().len(), n, "one record a URL");
    let requests = server.requests();
    assert_eq!(requests.len(), n, "one request a URL");

    let period = 1.0 / f64::from(rate);
    let start = requests[0].arrived;
    let secs = |r: &LoggedRequest| r.arrived.duration_since(start).as_secs_f64();
    let span = secs(&requests[n - 1]);
    let achieved = (n - 1) as f64 / span;
    let shortest = requests
        .windows(2)
        .map(|w| w[1].arrived.duration_since(w[0].arrived))
        .min()
        .unwrap_or_default();
    eprintln!(
        "--rate {rate}: {n} requests over {span:.3} s, achieved {achieved:.2}/s; \
         shortest gap between two arrivals {shortest:?}"
    );
    if let Err(e) = common::schedule::on_schedule(&requests, period) {
        panic!("--rate {rate}: {e}");
    }
    let error = achieved / f64::from(rate) - 1.0;
    assert!(
        error.abs() <= 0.03,
        "--rate {rate}: achieved {achieved:.2}/s ({:+.1}%), not within 3%",
        100.0 * error
    );
}

#[tokio::test]
async fn rate_20_is_achieved_within_three_percent() {
    holds_rate(20, 61).await;
}

#[tokio::test]
async fn rate_200_is_achieved_within_three_percent() {
    holds_rate(200, 601).await;
}
