//! The closed sets of values that options take (`--format`, `--scope`,
//! `--robots`, `--progress`) and the command's mode: vocabulary that the
//! command line, the config file, the frontier and the output share.
//!
//! A leaf: it depends on nothing in the crate. clap's `ValueEnum` and serde's
//! `Deserialize` are derived here so flags and TOML keys parse to the same
//! values with the same spelling.

use clap::ValueEnum;
use serde::Deserialize;

/// `crawl` follows links; `fetch` fetches exactly what it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Crawl,
    Fetch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Same host as the seed.
    Host,
    /// Same registrable domain as the seed (public suffix list).
    Domain,
    /// Under the seed's directory (its path up to the last '/').
    Prefix,
    /// Everything.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotsMode {
    Obey,
    Ignore,
}

/// `--render`: which pages go through the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenderMode {
    /// No page (the default).
    Never,
    /// Pages that look like empty shells a script fills in.
    Auto,
    /// Every HTML page.
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}
