//! The TOML config file schema: the long flag names with `_` for `-`, plus
//! `[hosts."NAME"]` tables of per-host overrides.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) so a typo never passes
//! silently. Values with their own syntax (durations, sizes, selectors) are
//! kept raw here and validated by `Settings::resolve`, which names the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::options::{Format, ProgressMode, RenderMode, RobotsMode, Scope};

/// A duration or size written either as a number or as a string with a unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum NumOrStr {
    Num(f64),
    Str(String),
}

impl NumOrStr {
    pub fn as_text(&self) -> String {
        match self {
            NumOrStr::Num(n) => n.to_string(),
            NumOrStr::Str(s) => s.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub seeds: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub format: Option<Format>,
    pub concurrency: Option<u32>,
    pub per_host: Option<u32>,
    pub rate: Option<f64>,
    pub depth: Option<u32>,
    pub max_pages: Option<u64>,
    pub max_time: Option<NumOrStr>,
    pub scope: Option<Scope>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub robots: Option<RobotsMode>,
    pub user_agent: Option<String>,
    pub header: Option<Vec<String>>,
    pub proxy: Option<String>,
    pub timeout: Option<NumOrStr>,
    pub connect_timeout: Option<NumOrStr>,
    pub retries: Option<u32>,
    pub max_body: Option<NumOrStr>,
    pub max_redirects: Option<u32>,
    pub select: Option<Vec<String>>,
    pub select_all: Option<Vec<String>>,
    pub body: Option<bool>,
    pub markdown: Option<bool>,
    pub text: Option<bool>,
    pub whole_page: Option<bool>,
    pub render: Option<RenderMode>,
    pub browser: Option<PathBuf>,
    pub render_concurrency: Option<u32>,
    pub state: Option<PathBuf>,
    pub redis: Option<String>,
    pub crawl_id: Option<String>,
    pub lease: Option<NumOrStr>,
    pub redis_timeout: Option<NumOrStr>,
    pub changed_only: Option<bool>,
    pub stats: Option<PathBuf>,
    pub warc: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub sitemaps: Option<bool>,
    pub warc_max_size: Option<NumOrStr>,
    pub max_url_length: Option<usize>,
    pub per_host_max_pages: Option<u64>,
    pub max_crawl_delay: Option<NumOrStr>,
    pub insecure: Option<bool>,
    pub deny_private_ips: Option<bool>,
    pub resolve: Option<Vec<String>>,
    pub progress: Option<ProgressMode>,
    #[serde(default)]
    pub hosts: BTreeMap<String, HostTable>,
}

/// `[hosts."example.com"]` (any port) or `[hosts."example.com:8080"]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostTable {
    pub rate: Option<f64>,
    pub per_host: Option<u32>,
}

impl FileConfig {
    /// Reads and parses `path`; the error names the file and, through the
    /// TOML parser, the line, the key and the bad value.
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("config {}: cannot read: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }
}
