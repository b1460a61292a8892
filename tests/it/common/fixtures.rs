//! Locations of the fixture directories and readers for the expectation files
//! kept beside them (`fixtures/site/EXPECTED.tsv`, `*/EXPECTED_TITLES.tsv`,
//! `shop/EXPECTED_FIELDS.tsv`).
//!
//! The files are tab-separated, one row a line; blank lines and lines starting
//! with `#` are comments. A malformed row is a broken fixture, so the readers
//! panic naming the file and line instead of returning errors.

use std::path::{Path, PathBuf};

/// `fixtures/NAME` in this package, e.g. `fixtures_dir("site")`.
pub fn fixtures_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Reads a tab-separated fixture file into rows of fields, skipping blank
/// lines and `#` comments.
pub fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// One row of `fixtures/site/EXPECTED.tsv`: a URL a full host-scoped crawl
/// of the site from `/` fetches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedPage {
    /// Path and query as requested, percent-encoded (`/caf%C3%A9.html`).
    pub path: String,
    /// Minimal link depth from `/` (the seed is 0).
    pub depth: u32,
    /// Final HTTP status.
    pub status: u16,
}

/// The rows of `fixtures/site/EXPECTED.tsv`.
pub fn expected_pages() -> Vec<ExpectedPage> {
    let path = fixtures_dir("site").join("EXPECTED.tsv");
    read_tsv(&path)
        .into_iter()
        .map(|row| match row.as_slice() {
            [p, depth, status] => ExpectedPage {
                path: p.clone(),
                depth: depth
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: bad depth {depth:?}: {e}", path.display())),
                status: status
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: bad status {status:?}: {e}", path.display())),
            },
            _ => panic!("{}: expected 3 fields, got {row:?}", path.display()),
        })
        .collect()
}

/// `(path, title)` pairs from an `EXPECTED_TITLES.tsv` under `fixtures/site`,
/// e.g. `expected_titles("charset/EXPECTED_TITLES.tsv")`.
pub fn expected_titles(relative: &str) -> Vec<(String, String)> {
    let path = fixtures_dir("site").join(relative);
    read_tsv(&path)
        .into_iter()
        .map(|row| match row.as_slice() {
            [p, title] => (p.clone(), title.clone()),
            _ => panic!("{}: expected 2 fields, got {row:?}", path.display()),
        })
        .collect()
}
