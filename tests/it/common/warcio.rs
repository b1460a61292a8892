//! warcio (PyPI), the web-archiving toolchain's reader, run on trawl's WARC
//! files: `warcio check -v` (every digest), `warcio index`, and
//! `warc_records.py` (every record as JSON). `.ci/run` installs it into
//! `.ci/venv`; `TRAWL_WARCIO_PYTHON` may name another Python that has it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The Python that has warcio.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TRAWL_WARCIO_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/bin/python");
    if venv.exists() {
        return venv;
    }
    panic!(
        "warcio is not installed: run .ci/run once (it makes .ci/venv), or \
         `python3 -m venv .ci/venv && .ci/venv/bin/pip install warcio`, or set \
         TRAWL_WARCIO_PYTHON to a Python that has it"
    );
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(python())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?} {args:?}: {e}", python()));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `warcio check -v FILE`: panics unless it exits 0, says nothing on
/// stderr, and every record it lists has its digests pass (a revisit's,
/// which warcio does not check, excepted). Returns the number of records.
pub fn check(file: &Path) -> usize {
    let f = file.to_str().expect("a UTF-8 path");
    let (ok, stdout, stderr) = run(&["-m", "warcio.cli", "check", "-v", f]);
    assert!(
        ok && stderr.trim().is_empty(),
        "warcio check {f}: {stdout}\n{stderr}"
    );
    let records = stdout
        .lines()
        .filter(|l| l.contains("WARC-Record-ID"))
        .count();
    // warcio checks no digest of a revisit record (it has no payload) and says so.
    let passes = stdout
        .lines()
        .filter(|l| {
            let l = l.trim();
            l == "digest pass" || l == "digest present but not checked (revisit)"
        })
        .count();
    assert!(records > 0, "warcio check {f} listed no record:\n{stdout}");
    assert_eq!(
        records, passes,
        "warcio check {f}: a digest did not pass:\n{stdout}"
    );
    records
}

/// `warcio index FILE`: the number of records it indexes.
pub fn index(file: &Path) -> usize {
    let f = file.to_str().expect("a UTF-8 path");
    let (ok, stdout, stderr) = run(&["-m", "warcio.cli", "index", f]);
    assert!(ok, "warcio index {f}: {stderr}");
    stdout.lines().filter(|l| l.starts_with('{')).count()
}

/// Every record of `files`, as `warc_records.py` dumps them.
pub fn records(files: &[PathBuf]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/common/warc_records.py");
    let mut args = vec![script.to_str().expect("a UTF-8 path").to_string()];
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = run(&refs);
    assert!(ok, "reading {files:?} with warcio: {stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
