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

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::options::{Format, ProgressMode, RenderMode, RobotsMode, Scope};
use crate::units;

/// `trawl --version`: the version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("TRAWL_COMMIT"), ")");

/// The command line with every built-in default in its help
/// (`[default: …]`, from `config::defaults`): what `main` parses, and what
/// the completions and the man page are made from.
pub fn command() -> clap::Command {
    let shown = crate::defaults::shown();
    let add_defaults = |mut sub: clap::Command| {
        for d in &shown {
            // Argument ids are the field names, which are the config keys.
            if !d.help.is_empty() && sub.get_arguments().any(|a| a.get_id() == d.key) {
                sub = sub.mut_arg(d.key, |a| {
                    let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                    a.help(format!("{help} [default: {}]", d.help))
                });
            }
        }
        sub
    };
    let mut cmd = Cli::command();
    for name in ["crawl", "fetch", "status", "purge"] {
        cmd = cmd.mut_subcommand(name, add_defaults);
    }
    cmd
}

impl Cli {
    /// Parses the process's arguments (exits 2 with clap's message on a bad one).
    pub fn from_env() -> Cli {
        match Cli::from_arg_matches(&command().get_matches()) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version = VERSION,
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff: `trawl man | man -l -`), or write
    /// trawl.1 and a page per command (trawl-crawl.1, …) into DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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

    /// How long a lost server is waited for.
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

    /// Record format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Requests in flight, all hosts together.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,

    /// Requests in flight to one host.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: Option<u32>,

    /// Requests per second to one host; 0 = unlimited.
    #[arg(long, value_name = "R", value_parser = units::parse_rate)]
    pub rate: Option<f64>,

    /// Link depth from a seed (seed = 0).
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,

    /// Stop scheduling new pages after N fetches.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,

    /// Stop scheduling new pages after this long, then finish cleanly (90s, 30m).
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub max_time: Option<Duration>,

    /// Which discovered links are followed.
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,

    /// Follow only URLs matching this regex (repeatable; any match suffices).
    #[arg(long, value_name = "RE")]
    pub include: Vec<String>,

    /// Never follow URLs matching this regex (repeatable).
    #[arg(long, value_name = "RE")]
    pub exclude: Vec<String>,

    /// robots.txt handling.
    #[arg(long, value_enum)]
    pub robots: Option<RobotsMode>,

    /// User-Agent header; its product token is matched in robots.txt.
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

    /// Whole-request deadline: connect, headers and body.
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub timeout: Option<Duration>,

    /// Connect deadline.
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Retries for connect errors, timeouts, broken bodies, 429 and 5xx.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Stop reading a body past this size, after decompression.
    #[arg(long, value_name = "SIZE", value_parser = units::parse_size)]
    pub max_body: Option<u64>,

    /// Redirect hops per URL.
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,

    /// Extract a field: text (or @attr) of the first match of CSS (repeatable).
    #[arg(long, value_name = "NAME=CSS[@attr]", value_parser = units::parse_select)]
    pub select: Vec<units::SelectSpec>,

    /// Extract a field: text (or @attr) of every match, as an array (repeatable).
    #[arg(long, value_name = "NAME=CSS[@attr]", value_parser = units::parse_select)]
    pub select_all: Vec<units::SelectSpec>,

    /// Add "markdown": the page's main content as GitHub-flavoured Markdown.
    #[arg(long)]
    pub markdown: bool,

    /// Add "text": the page's main content as plain text.
    #[arg(long)]
    pub text: bool,

    /// With --markdown or --text: convert the whole <body>, not its main content.
    #[arg(long)]
    pub whole_page: bool,

    /// Load pages in headless Chromium and read the DOM its scripts built:
    /// never, pages that look like empty shells (auto), or every HTML page.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub render: Option<RenderMode>,

    /// The browser --render starts (default: chromium, chromium-browser,
    /// google-chrome-stable, google-chrome or chrome on PATH).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<PathBuf>,

    /// Pages the browser loads at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub render_concurrency: Option<u32>,

    /// Include the decoded body text in each record.
    #[arg(long, overrides_with = "no_body")]
    pub body: bool,

    /// Leave the body out (the config file may have turned it on).
    #[arg(long = "no-body", overrides_with = "body")]
    pub no_body: bool,

    /// Persistent crawl state (SQLite file) for resume and incremental recrawls.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// Share the crawl with other workers through this Redis server (needs --crawl-id).
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,

    /// The shared crawl to start or join (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "ID")]
    pub crawl_id: Option<String>,

    /// How long a worker's shards stay its own without a renewal.
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub lease: Option<Duration>,

    /// How long a lost Redis server is waited for before the run exits 1.
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub redis_timeout: Option<Duration>,

    /// With --state, omit records of unchanged pages in a recrawl.
    #[arg(long, overrides_with = "no_changed_only")]
    pub changed_only: bool,

    /// Write unchanged records too (the config file may have turned changed_only on).
    #[arg(long = "no-changed-only", overrides_with = "changed_only")]
    pub no_changed_only: bool,

    /// Read the seeds' sitemaps (/sitemap.xml and robots.txt's Sitemap lines): their pages join the crawl at depth 0.
    #[arg(long, overrides_with = "no_sitemaps")]
    pub sitemaps: bool,

    /// Do not read sitemaps (the config file may have turned sitemaps on).
    #[arg(long = "no-sitemaps", overrides_with = "sitemaps")]
    pub no_sitemaps: bool,

    /// Save every page's body under DIR/HOST/PATH (as wget -r does); the record says where.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Archive every request and response as WARC/1.1 in FILE (FILE.warc.gz: gzip, one member a record).
    #[arg(long, value_name = "FILE")]
    pub warc: Option<PathBuf>,

    /// Start the next WARC file (FILE-00001.warc.gz, …) past this size.
    #[arg(long, value_name = "SIZE", value_parser = units::parse_size)]
    pub warc_max_size: Option<u64>,

    /// Write the end-of-run summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Do not follow URLs longer than N bytes.
    #[arg(long, value_name = "N")]
    pub max_url_length: Option<usize>,

    /// Pages one host may take.
    #[arg(long, value_name = "N")]
    pub per_host_max_pages: Option<u64>,

    /// Cap on a robots.txt Crawl-delay.
    #[arg(long, value_name = "D", value_parser = units::parse_duration)]
    pub max_crawl_delay: Option<Duration>,

    /// Skip TLS certificate verification.
    #[arg(long, overrides_with = "no_insecure")]
    pub insecure: bool,

    /// Verify TLS certificates (the config file may have turned insecure on).
    #[arg(long = "no-insecure", overrides_with = "insecure")]
    pub no_insecure: bool,

    /// Refuse loopback, private and link-local addresses after DNS resolution.
    #[arg(long, overrides_with = "no_deny_private_ips")]
    pub deny_private_ips: bool,

    /// Allow private addresses (the config file may have turned deny_private_ips on).
    #[arg(long = "no-deny-private-ips", overrides_with = "deny_private_ips")]
    pub no_deny_private_ips: bool,

    /// Resolve HOST to ADDR instead of asking DNS, as 'HOST:ADDR' (repeatable).
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,

    /// Progress line on stderr.
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
