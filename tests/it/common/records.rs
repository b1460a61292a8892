//! Readers of trawl's output shared by the behaviour tests: the one record
//! of a `fetch`, records by URL, the error kind, and what the server saw
//! besides robots.txt.

use std::collections::BTreeMap;

use serde_json::Value;

use super::server::TestServer;
use super::trawl::TrawlOutput;

/// Fails the test if trawl printed panic text.
pub fn assert_no_panic(out: &TrawlOutput) {
    assert!(
        !out.stderr.contains("panicked"),
        "trawl panicked:\n{}",
        out.stderr
    );
}

/// Exit 0, no panic, exactly one record; returns it.
pub fn single(out: &TrawlOutput) -> Value {
    assert_no_panic(out);
    out.assert_code(0);
    let mut records = out.records();
    assert_eq!(records.len(), 1, "one record expected: {records:?}");
    records.remove(0)
}

/// The `error.kind` of a record, if it has an error.
pub fn error_kind(record: &Value) -> Option<&str> {
    record["error"]["kind"].as_str()
}

/// Record URL → record, asserting each URL appears once.
pub fn by_url(records: &[Value]) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for r in records {
        let url = r["url"].as_str().expect("url is a string").to_string();
        assert!(
            map.insert(url.clone(), r.clone()).is_none(),
            "{url} has two records"
        );
    }
    map
}

/// Paths the server saw, robots.txt aside (trawl may ask for it), sorted.
pub fn sorted_page_paths(server: &TestServer) -> Vec<String> {
    let mut paths: Vec<String> = server
        .paths()
        .into_iter()
        .filter(|p| p != "/robots.txt")
        .collect();
    paths.sort();
    paths
}

/// The error kinds of SPEC "Output".
pub const ERROR_KINDS: [&str; 12] = [
    "dns",
    "connect",
    "tls",
    "timeout",
    "http_status",
    "too_large",
    "redirect_limit",
    "redirect_scheme",
    "robots",
    "body",
    "decode",
    "invalid_url",
];
