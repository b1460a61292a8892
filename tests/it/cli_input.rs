//! Command-line input: seed lists (files and stdin, with their bad lines),
//! usage and config errors (exit 2, naming the key or flag and the value),
//! config precedence, output destinations and formats (`-o`, `--format csv`,
//! `--stats`), field extraction, and `trawl fetch` following nothing.

use crate::common;

use common::records::{by_url, sorted_page_paths};

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use common::{TestServer, expected_pages, fixtures_dir, read_tsv, run_trawl};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(30);

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_str().expect("UTF-8 temp path").to_string()
}

/// A minimal RFC 4180 reader: quoted cells with `""` escapes, `\n` or `\r\n` rows.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted CSV cell");
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

#[tokio::test]
async fn seeds_file_skips_blanks_and_comments_and_reports_bad_lines() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "# seeds for the test\n\n{}\nnot a url\n   \nftp://x/\nx/y\n{}\n",
        server.url("/about.html"),
        server.url("/shop/widget.html"),
    );
    let seeds = write_file(dir.path(), "seeds.txt", &text);
    let out = run_trawl(&["fetch", "--seeds", &seeds], None, LIMIT).await;
    out.assert_code(0);

    for line in [4, 6, 7] {
        let want = format!("{seeds}:{line}: ");
        assert!(
            out.stderr.lines().any(|l| l.starts_with(&want)),
            "no {want:?} on stderr:\n{}",
            out.stderr
        );
    }
    for line in [1, 2, 3, 5, 8] {
        let wrong = format!("{seeds}:{line}:");
        assert!(
            !out.stderr.contains(&wrong),
            "line {line} is not bad:\n{}",
            out.stderr
        );
    }
    // The reasons quote or describe the bad line.
    assert!(out.stderr.contains("not a url"), "{}", out.stderr);
    assert!(out.stderr.contains("ftp://x/"), "{}", out.stderr);

    let records = by_url(&out.records());
    let want = sorted([server.url("/about.html"), server.url("/shop/widget.html")]);
    assert_eq!(records.keys().cloned().collect::<Vec<_>>(), want);
    for r in records.values() {
        assert_eq!(r["status"], 200);
        assert_eq!(r["depth"], 0);
        assert!(r["parent"].is_null());
    }
    assert_eq!(
        sorted_page_paths(&server),
        ["/about.html", "/shop/widget.html"]
    );
}

#[tokio::test]
async fn seeds_from_stdin_join_the_arguments() {
    let server = TestServer::site().await;
    let stdin = format!(
        "{}\n# comment\nmailto:someone@example.com\n\n{}\n",
        server.url("/docs/intro.html"),
        server.url("/shop/"),
    );
    let about = server.url("/about.html");
    let out = run_trawl(
        &["fetch", "--seeds", "-", &about],
        Some(stdin.as_bytes()),
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = sorted([
        server.url("/about.html"),
        server.url("/docs/intro.html"),
        server.url("/shop/"),
    ]);
    assert_eq!(records.keys().cloned().collect::<Vec<_>>(), want);
    assert_eq!(
        sorted_page_paths(&server),
        ["/about.html", "/docs/intro.html", "/shop/"]
    );
    // The bad stdin line is reported with its line number (3).
    let reported = out
        .stderr
        .lines()
        .find(|l| l.contains(":3: "))
        .unwrap_or_else(|| panic!("stdin line 3 not reported:\n{}", out.stderr));
    assert!(reported.contains("mailto"), "{reported}");
}

#[tokio::test]
async fn no_valid_seed_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeds = write_file(dir.path(), "bad.txt", "# only junk\nnot a url\nftp://x/\n");
    for args in [
        vec!["crawl", "--seeds", seeds.as_str()],
        vec!["fetch", "--seeds", seeds.as_str()],
        vec!["crawl"],
        vec!["fetch", "relative/path"],
    ] {
        let out = run_trawl(&args, None, LIMIT).await;
        out.assert_code(2);
        assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", out.stdout);
        assert!(
            out.stderr.to_lowercase().contains("seed"),
            "{args:?}: the message should say no seed is left:\n{}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn config_errors_exit_2_naming_key_and_value() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = server.url("/");
    let cases = [
        ("concurency = 3\n", vec!["concurency"]),
        ("max_time = \"soon\"\n", vec!["max_time", "soon"]),
        ("max_body = \"huge\"\n", vec!["max_body", "huge"]),
        ("scope = \"galaxy\"\n", vec!["scope", "galaxy"]),
        ("depth = -1\n", vec!["depth", "-1"]),
        ("[hosts.\"a.example\"]\nrat = 1.0\n", vec!["rat"]),
    ];
    for (i, (toml, names)) in cases.iter().enumerate() {
        let cfg = write_file(dir.path(), &format!("bad{i}.toml"), toml);
        let out = run_trawl(&["crawl", "--config", &cfg, &seed], None, LIMIT).await;
        out.assert_code(2);
        assert!(out.stdout.is_empty(), "{toml:?}: stdout {:?}", out.stdout);
        for name in names {
            assert!(
                out.stderr.contains(name),
                "{toml:?}: stderr does not name {name:?}:\n{}",
                out.stderr
            );
        }
    }
    // An unreadable config path.
    let missing = dir.path().join("nope").join("trawl.toml");
    let missing = missing.to_str().expect("UTF-8 path");
    let out = run_trawl(&["crawl", "-c", missing, &seed], None, LIMIT).await;
    out.assert_code(2);
    assert!(out.stderr.contains(missing), "{}", out.stderr);
    assert!(
        sorted_page_paths(&server).is_empty(),
        "a bad config must stop trawl before any request: {:?}",
        server.paths()
    );
}

#[tokio::test]
async fn bad_flag_values_exit_2_naming_flag_and_value() {
    let server = TestServer::site().await;
    let seed = server.url("/");
    for (flag, value) in [
        ("--rate", "fast"),
        ("--max-time", "soon"),
        ("--max-body", "huge"),
        ("--depth", "deep"),
        ("--scope", "galaxy"),
        ("--format", "xml"),
        ("--select", "novalue"),
        ("--include", "(unclosed"),
        ("--header", "no colon here"),
        ("--concurrency", "0"),
        ("--timeout", "forever"),
        ("--resolve", "bogus"),
        ("--select-all", "x=div[["),
    ] {
        let out = run_trawl(&["crawl", flag, value, &seed], None, LIMIT).await;
        out.assert_code(2);
        assert!(out.stdout.is_empty(), "{flag} {value}: {:?}", out.stdout);
        // A bad selector may be quoted without its field name.
        let shown = value.strip_prefix("x=").unwrap_or(value);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(shown),
            "{flag} {value}: stderr should name both:\n{}",
            out.stderr
        );
    }
    assert!(
        sorted_page_paths(&server).is_empty(),
        "{:?}",
        server.paths()
    );
}

#[tokio::test]
async fn config_values_apply_and_flags_beat_them() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = write_file(
        dir.path(),
        "trawl.toml",
        "depth = 0\nuser_agent = \"cfgbot/2.0\"\n",
    );
    let seed = server.url("/");

    // The file's depth 0 and user agent apply.
    let out = run_trawl(&["crawl", "-c", &cfg, &seed], None, LIMIT).await;
    out.assert_code(0);
    assert_eq!(by_url(&out.records()).keys().collect::<Vec<_>>(), [&seed]);
    assert_eq!(sorted_page_paths(&server), ["/"]);
    let first = server.requests();
    assert!(
        first
            .iter()
            .all(|r| r.header("user-agent") == Some("cfgbot/2.0")),
        "{:?}",
        first
            .iter()
            .map(|r| r.header("user-agent"))
            .collect::<Vec<_>>()
    );

    // Flags win: --depth 1 and -A.
    let server = TestServer::site().await;
    let seed = server.url("/");
    let out = run_trawl(
        &[
            "crawl",
            "-c",
            &cfg,
            "--depth",
            "1",
            "-A",
            "flagbot/3",
            &seed,
        ],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(0);
    let records = by_url(&out.records());
    let want = sorted(
        expected_pages()
            .iter()
            .filter(|p| p.depth <= 1)
            .map(|p| server.url(&p.path)),
    );
    assert_eq!(records.keys().cloned().collect::<Vec<_>>(), want);
    assert!(
        records
            .values()
            .all(|r| r["depth"].as_u64().is_some_and(|d| d <= 1))
    );
    let want_paths = sorted(
        expected_pages()
            .iter()
            .filter(|p| p.depth <= 1)
            .map(|p| p.path.clone()),
    );
    assert_eq!(sorted_page_paths(&server), want_paths);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("user-agent") == Some("flagbot/3"))
    );
}

#[tokio::test]
async fn output_file_gets_the_records_and_stdout_stays_empty() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("out.jsonl");
    let out_str = out_path.to_str().expect("UTF-8 path");
    // An existing file is replaced, not appended to.
    std::fs::write(&out_path, "stale line\n").expect("pre-fill");
    let urls = [server.url("/about.html"), server.url("/shop/gizmo.html")];
    let out = run_trawl(&["fetch", "-o", out_str, &urls[0], &urls[1]], None, LIMIT).await;
    out.assert_code(0);
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    let text = std::fs::read_to_string(&out_path).expect("output file");
    assert!(text.ends_with('\n'), "{text:?}");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let got = sorted(
        records
            .iter()
            .map(|r| r["url"].as_str().unwrap_or("").to_string()),
    );
    assert_eq!(got, sorted(urls.iter().cloned()));
    assert!(records.iter().all(|r| r["status"] == 200));
    assert_eq!(
        sorted_page_paths(&server),
        ["/about.html", "/shop/gizmo.html"]
    );

    // An output that cannot be opened is fatal (exit 1), before any request.
    let server = TestServer::site().await;
    let bad = dir.path().join("no-such-dir").join("out.jsonl");
    let bad = bad.to_str().expect("UTF-8 path");
    let out = run_trawl(
        &["fetch", "-o", bad, &server.url("/about.html")],
        None,
        LIMIT,
    )
    .await;
    out.assert_code(1);
    assert!(out.stderr.contains(bad), "{}", out.stderr);
    assert!(
        sorted_page_paths(&server).is_empty(),
        "{:?}",
        server.paths()
    );
}

#[tokio::test]
async fn csv_has_a_header_with_scalar_and_field_columns() {
    let server = TestServer::site().await;
    let pages = ["/shop/widget.html", "/shop/gadget.html", "/missing.html"];
    let urls: Vec<String> = pages.iter().map(|p| server.url(p)).collect();
    let mut args = vec![
        "fetch",
        "--format",
        "csv",
        "--select",
        "price=.price",
        "--select-all",
        "tags=li.tag",
    ];
    args.extend(urls.iter().map(String::as_str));
    let out = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);

    let rows = parse_csv(&out.stdout);
    let header = &rows[0];
    for column in [
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
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "no {column} in {header:?}"
        );
    }
    assert!(
        header.iter().all(|h| h != "links" && h != "fields"),
        "list columns are not scalar: {header:?}"
    );
    // One column per field, after the scalar ones.
    let n = header.len();
    assert_eq!(&header[n - 2..], ["price", "tags"], "{header:?}");
    assert_eq!(rows.len(), 1 + pages.len(), "{rows:?}");
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let mut by = HashMap::new();
    for row in &rows[1..] {
        assert_eq!(row.len(), n, "ragged row {row:?}");
        by.insert(row[col("url")].clone(), row.clone());
    }
    let widget = &by[&urls[0]];
    assert_eq!(widget[col("status")], "200");
    assert_eq!(widget[col("title")], "Widget | trawl shop");
    assert_eq!(widget[col("price")], "9.99");
    for tag in ["blue", "metal", "small"] {
        assert!(widget[col("tags")].contains(tag), "{widget:?}");
    }
    assert_eq!(by[&urls[1]][col("price")], "19.50");
    let missing = &by[&urls[2]];
    assert_eq!(missing[col("status")], "404");
    assert_eq!(missing[col("price")], "", "no match is an empty cell");
    assert_eq!(sorted_page_paths(&server), sorted(pages.map(String::from)));
}

#[tokio::test]
async fn stats_file_matches_the_records() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let stats_path = dir.path().join("stats.json");
    let stats_str = stats_path.to_str().expect("UTF-8 path");
    let urls = [
        server.url("/shop/"),
        server.url("/about.html"),
        server.url("/missing.html"),
        server.url("/data.json"),
    ];
    let mut args = vec!["fetch", "--stats", stats_str];
    args.extend(urls.iter().map(String::as_str));
    let out = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);
    let records = out.records();
    assert_eq!(records.len(), urls.len());

    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_path).expect("stats file"))
            .expect("stats JSON");
    let ok = records.iter().filter(|r| r["error"].is_null()).count();
    let bytes: u64 = records.iter().filter_map(|r| r["bytes"].as_u64()).sum();
    assert_eq!(stats["pages"], records.len());
    assert_eq!(stats["ok"], ok);
    assert_eq!(stats["errors"], json!({"http_status": 1}));
    assert_eq!(stats["bytes"], bytes);
    assert!(bytes > 0);
    let elapsed = stats["elapsed_s"].as_f64().expect("elapsed_s is a number");
    let rate = stats["pages_per_s"]
        .as_f64()
        .expect("pages_per_s is a number");
    assert!(elapsed > 0.0 && elapsed < LIMIT.as_secs_f64(), "{stats}");
    let want_rate = records.len() as f64 / elapsed;
    assert!(
        (rate - want_rate).abs() <= want_rate * 0.2 + 0.2,
        "pages_per_s {rate}, records/elapsed {want_rate}"
    );
}

#[tokio::test]
async fn select_fields_on_the_shop_pages() {
    let server = TestServer::site().await;
    let rows = read_tsv(&fixtures_dir("site").join("shop/EXPECTED_FIELDS.tsv"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    let urls: Vec<String> = rows.iter().map(|r| server.url(&r[0])).collect();
    let mut args = vec![
        "fetch",
        "--select",
        "name=h1.name",
        "--select",
        "sku=h1.name@data-sku",
        "--select",
        "price=.price",
        "--select-all",
        "tags=li.tag",
        "--select",
        "photo=img.photo@src",
        "--select-all",
        "prices=.price",
        "--select",
        "nothing=.no-such-class",
        "--select-all",
        "none=.no-such-class",
        "--select",
        "noattr=h1.name@data-missing",
    ];
    args.extend(urls.iter().map(String::as_str));
    let out = run_trawl(&args, None, LIMIT).await;
    out.assert_code(0);
    let records = by_url(&out.records());
    assert_eq!(records.len(), 3);

    for (row, url) in rows.iter().zip(&urls) {
        let [_, name, sku, price, tags, photo] = row.as_slice() else {
            panic!("bad fixture row {row:?}");
        };
        let photo = photo.replace("{{origin}}", &server.origin());
        let tags: Vec<&str> = tags.split(',').collect();
        let fields = &records[url]["fields"];
        assert_eq!(fields["name"], json!(name), "{url}");
        assert_eq!(fields["sku"], json!(sku), "{url}");
        assert_eq!(fields["price"], json!(price), "{url}");
        assert_eq!(fields["tags"], json!(tags), "{url}");
        assert_eq!(fields["photo"], json!(photo), "{url}");
        assert_eq!(fields["nothing"], Value::Null, "{url}");
        assert_eq!(fields["none"], json!([]), "{url}");
        assert_eq!(fields["noattr"], Value::Null, "{url}");
        let keys: BTreeSet<&str> = fields
            .as_object()
            .expect("fields object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 9, "{fields}");
    }
    // Widget has a second, struck-out price: --select-all sees both.
    assert_eq!(
        records[&server.url("/shop/widget.html")]["fields"]["prices"],
        json!(["9.99", "12.49"])
    );
    assert_eq!(
        records[&server.url("/shop/gadget.html")]["fields"]["prices"],
        json!(["19.50"])
    );
}

#[tokio::test]
async fn fetch_follows_no_links() {
    let server = TestServer::site().await;
    // The index links to 18 pages; fetch takes only what it is given, even
    // with a depth that would let a crawl follow them.
    let urls = [server.url("/"), server.url("/links/relative.html")];
    for extra in [&[][..], &["--depth", "3"][..]] {
        let mut args = vec!["fetch"];
        args.extend_from_slice(extra);
        args.extend(urls.iter().map(String::as_str));
        let out = run_trawl(&args, None, LIMIT).await;
        out.assert_code(0);
        let records = by_url(&out.records());
        assert_eq!(
            records.keys().cloned().collect::<Vec<_>>(),
            sorted(urls.iter().cloned())
        );
        // The links are listed, just not followed.
        let index_links = records[&urls[0]]["links"].as_array().expect("links");
        assert!(
            index_links.contains(&json!(server.url("/about.html"))),
            "{index_links:?}"
        );
    }
    // Two runs, each requesting exactly the two URLs.
    assert_eq!(
        sorted_page_paths(&server),
        ["/", "/", "/links/relative.html", "/links/relative.html"]
    );
}
