//! `--save DIR`: bodies on disk as `DIR/HOST/PATH`, content-decoded, the
//! record saying where — and nothing written outside DIR, whatever the URL
//! says (`..`, escaped `..`, NUL, `:`, `\`, 3,000-character names) or a
//! symlink planted inside DIR points to.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::http::{Uri, header};
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

/// Links that try to lead out of DIR, and every other path answered 200
/// with the path in the body.
fn hostile() -> Router {
    let long = "n".repeat(3_000);
    Router::new()
        .route(
            "/",
            get(move || {
                let long = long.clone();
                async move {
                    Html(format!(
                        "<title>Root</title>\
                         <a href=\"../../etc/passwd\">1</a>\
                         <a href=\"/%2e%2e%2f%2e%2e%2fescape\">2</a>\
                         <a href=\"/a/%2e%2e/%2e%2e/%2e%2e/b\">3</a>\
                         <a href=\"/{long}.html\">4</a>\
                         <a href=\"/nul%00byte\">5</a>\
                         <a href=\"/col:on\">6</a>\
                         <a href=\"/back%5Cslash\">7</a>\
                         <a href=\"/CON\">8</a>\
                         <a href=\"/search?q=1\">9</a>\
                         <a href=\"/trap/x\">10</a>\
                         <a href=\"/dir\">11</a><a href=\"/dir/inner\">12</a>\
                         <a href=\"/packed\">13</a><a href=\"/docs/\">14</a>"
                    ))
                }
            }),
        )
        .route(
            "/packed",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(b"<title>Packed</title>"),
                )
            }),
        )
        .fallback(|uri: Uri| async move { Html(format!("<title>{}</title>", uri.path())) })
}

/// Every file under `dir`, not following symlinks, relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("a readable dir").flatten() {
            let t = e.file_type().expect("a file type");
            if t.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn nothing_is_written_outside_dir_whatever_the_url_says() {
    let server = TestServer::start(ServerOpts::routes(hostile())).await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let mirror = tmp.path().join("mirror");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside dir");
    // A symlink planted inside DIR, out of it.
    let host_dir = mirror.join(format!("127.0.0.1+{}", server.port()));
    std::fs::create_dir_all(&host_dir).expect("host dir");
    std::os::unix::fs::symlink(&outside, host_dir.join("trap")).expect("symlink");

    let out = run_trawl(
        &[
            "crawl",
            "--save",
            mirror.to_str().expect("UTF-8"),
            "--depth",
            "1",
            "--robots",
            "ignore",
            &server.url("/"),
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());

    assert!(
        files(&outside).is_empty(),
        "written through the symlink: {:?}",
        files(&outside)
    );
    let mut top: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    top.sort();
    assert_eq!(top, ["mirror", "outside"], "nothing beside DIR");
    assert!(
        out.stderr.contains("trap") && out.stderr.contains("not saved"),
        "{}",
        out.stderr
    );
    let trap = &records[&server.url("/trap/x")];
    assert!(trap.get("saved").is_none(), "{trap}");

    // Every other page is on disk where its record says, with its body.
    let host = format!("127.0.0.1+{}", server.port());
    let mut saved = 0;
    for (url, r) in &records {
        let Some(rel) = r["saved"].as_str() else {
            continue;
        };
        saved += 1;
        assert!(rel.starts_with(&host), "{url}: {rel}");
        // A file that a later URL needed as a directory is its index.html.
        let mut path = mirror.join(rel);
        if path.is_dir() {
            path.push("index.html");
        }
        let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(!body.is_empty(), "{rel}");
    }
    assert_eq!(saved, records.len() - 1, "all but the trap");
    let names: Vec<String> = files(&mirror)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for want in [
        "/etc/passwd",
        "/..%2F..%2Fescape",
        "/b",
        "/nul%00byte",
        "/col%3Aon",
        "/back%5Cslash",
        "/CON_",
        "/index.html",
        "/docs/index.html",
        "/dir/index.html",
        "/dir/inner",
    ] {
        assert!(
            names.contains(&format!("{host}{want}")),
            "{want} not in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .all(|n| n.rsplit('/').next().is_some_and(|f| f.len() <= 200)),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with(&format!("{host}/search@")))
    );
    let packed = std::fs::read(mirror.join(format!("{host}/packed"))).expect("packed");
    assert_eq!(packed, b"<title>Packed</title>", "saved content-decoded");
}
