//! Every built-in default, written once. `config::Settings::resolve` falls
//! back to these; `cli::command` appends them to `--help` (`[default: …]`);
//! a test holds `config/trawl.toml` to them, key by key.

use std::time::Duration;

use crate::options::{Format, ProgressMode, RenderMode, RobotsMode, Scope};

pub const FORMAT: Format = Format::Jsonl;
pub const CONCURRENCY: u32 = 64;
pub const PER_HOST: u32 = 4;
pub const RATE: f64 = 0.0;
pub const DEPTH_CRAWL: u32 = 3;
pub const DEPTH_FETCH: u32 = 0;
pub const SCOPE: Scope = Scope::Host;
pub const ROBOTS: RobotsMode = RobotsMode::Obey;
pub const USER_AGENT: &str = concat!("trawl/", env!("CARGO_PKG_VERSION"));
pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const RETRIES: u32 = 2;
pub const MAX_BODY: u64 = 10 << 20;
pub const MAX_REDIRECTS: u32 = 10;
pub const MAX_URL_LENGTH: usize = 2083;
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);
pub const PROGRESS: ProgressMode = ProgressMode::Auto;
pub const LEASE: Duration = Duration::from_secs(30);
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(60);
pub const WARC_MAX_SIZE: u64 = 1 << 30;
pub const RENDER: RenderMode = RenderMode::Never;
pub const RENDER_CONCURRENCY: u32 = 4;
/// `body`, `changed_only`, `insecure`, `deny_private_ips`.
pub const SWITCH: bool = false;

/// A default as `--help` shows it and as the config file writes it.
pub struct Shown {
    /// The config key (the long flag with `_` for `-`).
    pub key: &'static str,
    /// For `--help`: `30s`, `jsonl`, `crawl 3, fetch 0` (empty: not shown,
    /// as for a switch that is off unless given).
    pub help: String,
    /// The TOML value in `config/trawl.toml`: `"30s"`, `64`, `false`.
    pub toml: String,
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

fn mib(bytes: u64) -> String {
    format!("{}MiB", bytes >> 20)
}

/// Every key that has a built-in default, in the order of `--help`.
pub fn shown() -> Vec<Shown> {
    let text = |key, v: String| Shown {
        key,
        toml: format!("{v:?}"),
        help: v,
    };
    let plain = |key, v: String| Shown {
        key,
        toml: v.clone(),
        help: v,
    };
    let switch = |key| Shown {
        key,
        toml: SWITCH.to_string(),
        help: String::new(),
    };
    let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_ascii_lowercase();
    vec![
        text("format", lower(&FORMAT)),
        plain("concurrency", CONCURRENCY.to_string()),
        plain("per_host", PER_HOST.to_string()),
        plain("rate", RATE.to_string()),
        Shown {
            key: "depth",
            help: format!("crawl {DEPTH_CRAWL}, fetch {DEPTH_FETCH}"),
            toml: DEPTH_CRAWL.to_string(),
        },
        text("scope", lower(&SCOPE)),
        text("robots", lower(&ROBOTS)),
        Shown {
            key: "user_agent",
            help: "trawl/<version>".into(),
            toml: format!("{USER_AGENT:?}"),
        },
        text("timeout", secs(TIMEOUT)),
        text("connect_timeout", secs(CONNECT_TIMEOUT)),
        plain("retries", RETRIES.to_string()),
        text("max_body", mib(MAX_BODY)),
        plain("max_redirects", MAX_REDIRECTS.to_string()),
        text("render", lower(&RENDER)),
        plain("render_concurrency", RENDER_CONCURRENCY.to_string()),
        switch("body"),
        switch("changed_only"),
        switch("sitemaps"),
        text("lease", secs(LEASE)),
        text("redis_timeout", secs(REDIS_TIMEOUT)),
        text("warc_max_size", format!("{}GiB", WARC_MAX_SIZE >> 30)),
        plain("max_url_length", MAX_URL_LENGTH.to_string()),
        text("max_crawl_delay", secs(MAX_CRAWL_DELAY)),
        switch("insecure"),
        switch("deny_private_ips"),
        text("progress", lower(&PROGRESS)),
    ]
}
