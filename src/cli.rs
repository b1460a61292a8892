//! The command line, as clap derive types and nothing else.
//!
//! Every option the config file can also set is an `Option<T>` (or an empty
//! `Vec` / `false`), so `config::Settings::resolve` can tell "not given" from
//! "given the default". Values with a syntax of their own are parsed here by
//! the shared parsers in `units`, so a bad value is reported by clap with the
//! flag's name and exits 2. The value enums are `options`'s: the config file
//! and the rest of the crate use them without depending on clap's types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::options::{Format, ProgressMode, RobotsMode, Scope};
use crate::units;

#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version,
    about = "A concurrent, polite web crawler and URL fetcher",
    long_about = "A concurrent, polite web crawler and URL fetcher.\n\n\
        Writes one JSON Lines record per URL to stdout (or --output); logs, \
        progress and the summary go to stderr."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Follow links from the seeds, within --scope and --depth.
    Crawl(CrawlArgs),
    /// Fetch exactly the given URLs; follow nothing (redirects excepted).
    Fetch(CrawlArgs),
    /// Print a shared crawl's state as one JSON object.
    Status(SharedArgs),
    /// Delete every key of a shared crawl.
    Purge(SharedArgs),
}

/// Which shared crawl `status` and `purge` are about.
#[derive(Debug, Args)]
pub struct SharedArgs {
    /// Redis server URL (redis://[:PASSWORD@]HOST[:PORT][/DB]).
    #[arg(long, value_name = "URL")]
    pub redis: String,

    /// The shared crawl's id.
    #[arg(long, value_name = "ID")]
    pub crawl_id: String,

    /// How long a lost server is waited for [default: 60s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub redis_timeout: Option<Duration>,
}

/// What `crawl` and `fetch` share.
#[derive(Debug, Args, Default)]
pub struct CrawlArgs {
    /// Seed URLs (crawl) or URLs to fetch (fetch).
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    /// Read URLs from FILE, one a line ('-' = stdin); blank lines and '#' comments are ignored.
    #[arg(long, value_name = "FILE")]
    pub seeds: Option<PathBuf>,

    /// TOML config file with the same keys as the long flags, plus [hosts."NAME"] tables.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write records to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Record format [default: jsonl].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Requests in flight, all hosts together [default: 64].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,

    /// Requests in flight to one host [default: 4].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: Option<u32>,

    /// Requests per second to one host; 0 = unlimited [default: 0].
    #[arg(long, value_name = "R", value_parser = units::parse_rate)]
    pub rate: Option<f64>,

    /// Link depth from a seed (seed = 0) [default: crawl 3, fetch 0].
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,

    /// Stop scheduling new pages after N fetches.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,

    /// Stop scheduling new pages after this long, then finish cleanly (90s, 30m).
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub max_time: Option<Duration>,

    /// Which discovered links are followed [default: host].
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,

    /// Follow only URLs matching this regex (repeatable; any match suffices).
    #[arg(long, value_name = "RE")]
    pub include: Vec<String>,

    /// Never follow URLs matching this regex (repeatable).
    #[arg(long, value_name = "RE")]
    pub exclude: Vec<String>,

    /// robots.txt handling [default: obey].
    #[arg(long, value_enum)]
    pub robots: Option<RobotsMode>,

    /// User-Agent header; its product token is matched in robots.txt [default: trawl/<version>].
    // The text is clap's --help, where `<version>` reads as meant.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(short = 'A', long, value_name = "S")]
    pub user_agent: Option<String>,

    /// Extra request header 'Name: value' (repeatable).
    #[arg(short = 'H', long, value_name = "K: V")]
    pub header: Vec<String>,

    /// HTTP, HTTPS or SOCKS proxy URL (the *_PROXY variables also work).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Whole-request deadline: connect, headers and body [default: 30s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub timeout: Option<Duration>,

    /// Connect deadline [default: 10s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Retries for connect errors, timeouts, broken bodies, 429 and 5xx [default: 2].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Stop reading a body past this size, after decompression [default: 10MiB].
    #[arg(long, value_name = "SIZE", value_parser = units::parse_size)]
    pub max_body: Option<u64>,

    /// Redirect hops per URL [default: 10].
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,

    /// Extract a field: text (or @attr) of the first match of CSS (repeatable).
    #[arg(long, value_name = "NAME=CSS[@attr]", value_parser = units::parse_select)]
    pub select: Vec<units::SelectSpec>,

    /// Extract a field: text (or @attr) of every match, as an array (repeatable).
    #[arg(long, value_name = "NAME=CSS[@attr]", value_parser = units::parse_select)]
    pub select_all: Vec<units::SelectSpec>,

    /// Include the decoded body text in each record.
    #[arg(long)]
    pub body: bool,

    /// Persistent crawl state (SQLite file) for resume and incremental recrawls.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// Share the crawl with other workers through this Redis server (needs --crawl-id).
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,

    /// The shared crawl to start or join (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "ID")]
    pub crawl_id: Option<String>,

    /// How long a worker's shards stay its own without a renewal [default: 30s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub lease: Option<Duration>,

    /// How long a lost Redis server is waited for before the run exits 1 [default: 60s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub redis_timeout: Option<Duration>,

    /// With --state, omit records of unchanged pages in a recrawl.
    #[arg(long)]
    pub changed_only: bool,

    /// Write the end-of-run summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Do not follow URLs longer than N bytes [default: 2083].
    #[arg(long, value_name = "N")]
    pub max_url_length: Option<usize>,

    /// Pages one host may take.
    #[arg(long, value_name = "N")]
    pub per_host_max_pages: Option<u64>,

    /// Cap on a robots.txt Crawl-delay [default: 30s].
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub max_crawl_delay: Option<Duration>,

    /// Skip TLS certificate verification.
    #[arg(long)]
    pub insecure: bool,

    /// Refuse loopback, private and link-local addresses after DNS resolution.
    #[arg(long)]
    pub deny_private_ips: bool,

    /// Resolve HOST to ADDR instead of asking DNS, as 'HOST:ADDR' (repeatable).
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,

    /// Progress line on stderr [default: auto = only when stderr is a terminal].
    #[arg(long, value_enum)]
    pub progress: Option<ProgressMode>,

    /// Only errors on stderr; no summary.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_rate_names_flag_and_value() {
        let err = Cli::try_parse_from(["trawl", "crawl", "--rate", "fast", "http://a/"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--rate") && err.contains("fast"), "{err}");
    }
}
