//! Settings: the one place where flags, the config file and built-in
//! defaults meet (`flag.or(file).unwrap_or(default)`), and where every value
//! is validated and turned into the objects the crawl uses (compiled regexes,
//! CSS selectors, header maps, per-host overrides).
//!
//! Receives the parsed `CrawlArgs`; hands out an immutable `Settings`. Every
//! error names the flag or key and the bad value, and maps to exit code 2.

#[cfg(test)]
mod documented;
pub mod file;
mod shared;

use shared::shared_crawl;
pub use shared::{RedisOptions, valid_crawl_id};

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::cli::CrawlArgs;
use crate::extract::{ContentOpts, FieldSpec};
use crate::options::{Format, Mode, ProgressMode, RenderMode, RobotsMode, Scope};
use crate::record::Blank;
use crate::units;
use file::{FileConfig, HostTable, NumOrStr};

/// Per-host overrides from `[hosts."NAME"]`.
#[derive(Debug, Clone, Default)]
pub struct HostOverride {
    pub rate: Option<f64>,
    pub per_host: Option<u32>,
}

/// Every validated option of one run.
#[derive(Debug)]
pub struct Settings {
    pub mode: Mode,
    pub urls: Vec<String>,
    pub seeds_file: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub format: Format,
    pub concurrency: usize,
    pub per_host: usize,
    pub rate: f64,
    pub depth: u32,
    pub max_pages: Option<u64>,
    pub max_time: Option<Duration>,
    pub scope: Scope,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub robots: RobotsMode,
    pub user_agent: String,
    pub headers: HeaderMap,
    pub proxy: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub max_body: u64,
    pub max_redirects: u32,
    pub fields: Vec<FieldSpec>,
    /// `--markdown`, `--text`, `--whole-page`.
    pub content: ContentOpts,
    /// `--render`, `--browser`, `--render-concurrency`.
    pub render: RenderMode,
    pub browser: Option<PathBuf>,
    pub render_concurrency: usize,
    /// A record before extraction fills it: one key per field (null for
    /// `--select`, `[]` for `--select-all`), null content fields.
    pub blank: Blank,
    pub body: bool,
    pub state: Option<PathBuf>,
    /// `--redis` and `--crawl-id`: a crawl shared with other workers.
    pub redis: Option<RedisOptions>,
    pub changed_only: bool,
    pub stats: Option<PathBuf>,
    /// `--sitemaps`: read the seeds' sitemaps.
    pub sitemaps: bool,
    /// `--save`: the mirror's directory.
    pub save: Option<PathBuf>,
    /// `--warc`: where the archive goes, and its files' size.
    pub warc: Option<PathBuf>,
    pub warc_max_size: u64,
    pub max_url_length: usize,
    pub per_host_max_pages: Option<u64>,
    pub max_crawl_delay: Duration,
    pub insecure: bool,
    pub deny_private_ips: bool,
    pub resolve: Vec<(String, IpAddr)>,
    pub progress: ProgressMode,
    /// Keyed by `host` (any port) or `host:port` (that port only), lower-case.
    pub hosts: HashMap<String, HostOverride>,
}

impl Settings {
    /// Merges `args` over the config file (if any) over the defaults.
    pub fn resolve(mode: Mode, args: CrawlArgs) -> Result<Settings, String> {
        let file = match &args.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let cfg = args
            .config
            .as_ref()
            .map(|p| format!("config {}", p.display()))
            .unwrap_or_default();
        // A value from the file is validated with the file and key in the message.
        let file_duration = |key: &str, v: &Option<NumOrStr>| -> Result<Option<Duration>, String> {
            v.as_ref()
                .map(|v| {
                    units::parse_duration(&v.as_text()).map_err(|e| format!("{cfg}: {key}: {e}"))
                })
                .transpose()
        };
        let file_size = |key: &str, v: &Option<NumOrStr>| -> Result<Option<u64>, String> {
            v.as_ref()
                .map(|v| units::parse_size(&v.as_text()).map_err(|e| format!("{cfg}: {key}: {e}")))
                .transpose()
        };
        let positive = |key: &str, v: Option<u32>| -> Result<Option<u32>, String> {
            match v {
                Some(0) => Err(format!("{cfg}: {key}: expected a number ≥ 1, got 0")),
                v => Ok(v),
            }
        };
        if let Some(r) = file.rate
            && !(r.is_finite() && r >= 0.0)
        {
            return Err(format!("{cfg}: rate: expected a number ≥ 0, got {r}"));
        }

        let list = |flag: Vec<String>, file: Option<Vec<String>>| {
            if flag.is_empty() {
                file.unwrap_or_default()
            } else {
                flag
            }
        };
        let include = compile_regexes("--include", &list(args.include, file.include))?;
        let exclude = compile_regexes("--exclude", &list(args.exclude, file.exclude))?;
        let headers = parse_headers(&list(args.header, file.header))?;

        let select_specs = if args.select.is_empty() {
            parse_file_selects(&cfg, "select", file.select)?
        } else {
            args.select
        };
        let select_all_specs = if args.select_all.is_empty() {
            parse_file_selects(&cfg, "select_all", file.select_all)?
        } else {
            args.select_all
        };
        let mut fields = Vec::new();
        for (spec, all) in select_specs
            .into_iter()
            .map(|s| (s, false))
            .chain(select_all_specs.into_iter().map(|s| (s, true)))
        {
            let flag = if all { "--select-all" } else { "--select" };
            if fields.iter().any(|f: &FieldSpec| f.name == spec.name) {
                return Err(format!("{flag}: field name {:?} is used twice", spec.name));
            }
            fields.push(FieldSpec::new(spec, all).map_err(|e| format!("{flag}: {e}"))?);
        }

        let resolve = list(args.resolve, file.resolve)
            .iter()
            .map(|s| parse_resolve(s))
            .collect::<Result<Vec<_>, _>>()?;

        let mut hosts = HashMap::new();
        for (name, HostTable { rate, per_host }) in file.hosts {
            if let Some(r) = rate
                && !(r.is_finite() && r >= 0.0)
            {
                return Err(format!(
                    "{cfg}: hosts.\"{name}\".rate: expected a number ≥ 0, got {r}"
                ));
            }
            if per_host == Some(0) {
                return Err(format!(
                    "{cfg}: hosts.\"{name}\".per_host: expected a number ≥ 1, got 0"
                ));
            }
            hosts.insert(name.to_ascii_lowercase(), HostOverride { rate, per_host });
        }

        let default_depth = match mode {
            Mode::Crawl => crate::defaults::DEPTH_CRAWL,
            Mode::Fetch => crate::defaults::DEPTH_FETCH,
        };
        let user_agent = args
            .user_agent
            .or(file.user_agent)
            .unwrap_or_else(|| crate::defaults::USER_AGENT.to_string());
        if HeaderValue::from_str(&user_agent).is_err() {
            return Err(format!(
                "--user-agent: not a valid header value: {user_agent:?}"
            ));
        }

        let content = ContentOpts {
            markdown: args.markdown || file.markdown.unwrap_or(false),
            text: args.text || file.text.unwrap_or(false),
            whole_page: args.whole_page || file.whole_page.unwrap_or(false),
        };
        if content.whole_page && !content.any() {
            return Err(
                "--whole-page: says what --markdown and --text convert; give one of them too"
                    .into(),
            );
        }

        let render = args
            .render
            .or(file.render)
            .unwrap_or(crate::defaults::RENDER);

        let sitemaps = switch(args.sitemaps, args.no_sitemaps, file.sitemaps);
        if sitemaps && mode == Mode::Fetch {
            return Err("--sitemaps: only with `trawl crawl` (fetch follows nothing)".into());
        }
        let state = args.state.or(file.state);
        let redis = shared_crawl(
            args.redis.or(file.redis),
            args.crawl_id.or(file.crawl_id),
            args.lease.or(file_duration("lease", &file.lease)?),
            args.redis_timeout
                .or(file_duration("redis_timeout", &file.redis_timeout)?),
            state.is_some(),
        )?;

        Ok(Settings {
            mode,
            urls: args.urls,
            seeds_file: args.seeds.or(file.seeds),
            output: args.output.or(file.output),
            format: args
                .format
                .or(file.format)
                .unwrap_or(crate::defaults::FORMAT),
            concurrency: args
                .concurrency
                .or(positive("concurrency", file.concurrency)?)
                .unwrap_or(crate::defaults::CONCURRENCY) as usize,
            per_host: args
                .per_host
                .or(positive("per_host", file.per_host)?)
                .unwrap_or(crate::defaults::PER_HOST) as usize,
            rate: args.rate.or(file.rate).unwrap_or(crate::defaults::RATE),
            depth: args.depth.or(file.depth).unwrap_or(default_depth),
            max_pages: args.max_pages.or(file.max_pages),
            max_time: args.max_time.or(file_duration("max_time", &file.max_time)?),
            scope: args.scope.or(file.scope).unwrap_or(crate::defaults::SCOPE),
            include,
            exclude,
            robots: args
                .robots
                .or(file.robots)
                .unwrap_or(crate::defaults::ROBOTS),
            user_agent,
            headers,
            proxy: args.proxy.or(file.proxy),
            timeout: args
                .timeout
                .or(file_duration("timeout", &file.timeout)?)
                .unwrap_or(crate::defaults::TIMEOUT),
            connect_timeout: args
                .connect_timeout
                .or(file_duration("connect_timeout", &file.connect_timeout)?)
                .unwrap_or(crate::defaults::CONNECT_TIMEOUT),
            retries: args
                .retries
                .or(file.retries)
                .unwrap_or(crate::defaults::RETRIES),
            max_body: args
                .max_body
                .or(file_size("max_body", &file.max_body)?)
                .unwrap_or(crate::defaults::MAX_BODY),
            max_redirects: args
                .max_redirects
                .or(file.max_redirects)
                .unwrap_or(crate::defaults::MAX_REDIRECTS),
            blank: Blank {
                fields: crate::extract::empty_fields(&fields),
                markdown: content.markdown,
                text: content.text,
                render: render != RenderMode::Never,
            },
            render,
            browser: args.browser.or(file.browser),
            render_concurrency: args
                .render_concurrency
                .or(positive("render_concurrency", file.render_concurrency)?)
                .unwrap_or(crate::defaults::RENDER_CONCURRENCY)
                as usize,
            content,
            fields,
            body: switch(args.body, args.no_body, file.body),
            state,
            redis,
            changed_only: switch(args.changed_only, args.no_changed_only, file.changed_only),
            stats: args.stats.or(file.stats),
            save: args.save.or(file.save),
            sitemaps,
            warc: args.warc.or(file.warc),
            warc_max_size: args
                .warc_max_size
                .or(file_size("warc_max_size", &file.warc_max_size)?)
                .unwrap_or(crate::defaults::WARC_MAX_SIZE),
            max_url_length: args
                .max_url_length
                .or(file.max_url_length)
                .unwrap_or(crate::defaults::MAX_URL_LENGTH),
            per_host_max_pages: args.per_host_max_pages.or(file.per_host_max_pages),
            max_crawl_delay: args
                .max_crawl_delay
                .or(file_duration("max_crawl_delay", &file.max_crawl_delay)?)
                .unwrap_or(crate::defaults::MAX_CRAWL_DELAY),
            insecure: switch(args.insecure, args.no_insecure, file.insecure),
            deny_private_ips: switch(
                args.deny_private_ips,
                args.no_deny_private_ips,
                file.deny_private_ips,
            ),
            resolve,
            progress: args
                .progress
                .or(file.progress)
                .unwrap_or(crate::defaults::PROGRESS),
            hosts,
        })
    }

    /// The override for `host` on `port`: `host:port` wins over `host`.
    pub fn host_override(&self, host: &str, port: Option<u16>) -> Option<&HostOverride> {
        port.and_then(|p| self.hosts.get(&format!("{host}:{p}")))
            .or_else(|| self.hosts.get(host))
    }
}

fn compile_regexes(flag: &str, sources: &[String]) -> Result<Vec<Regex>, String> {
    sources
        .iter()
        .map(|s| Regex::new(s).map_err(|e| format!("{flag}: invalid regex {s:?}: {e}")))
        .collect()
}

fn parse_headers(lines: &[String]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for line in lines {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("--header: expected 'Name: value', got {line:?}"))?;
        let name = HeaderName::from_bytes(k.trim().as_bytes())
            .map_err(|_| format!("--header: invalid header name {:?} in {line:?}", k.trim()))?;
        let value = HeaderValue::from_str(v.trim())
            .map_err(|_| format!("--header: invalid header value {:?} in {line:?}", v.trim()))?;
        map.append(name, value);
    }
    Ok(map)
}

fn parse_file_selects(
    cfg: &str,
    key: &str,
    specs: Option<Vec<String>>,
) -> Result<Vec<units::SelectSpec>, String> {
    specs
        .unwrap_or_default()
        .iter()
        .map(|s| units::parse_select(s).map_err(|e| format!("{cfg}: {key}: {e}")))
        .collect()
}

/// A boolean key: `--X` or `--no-X` (the last given wins), else the
/// file's value, else off.
fn switch(on: bool, off: bool, file: Option<bool>) -> bool {
    if on || off {
        on
    } else {
        file.unwrap_or(crate::defaults::SWITCH)
    }
}

/// `HOST:ADDR`, where ADDR is an IPv4 or IPv6 address (`[::1]` or `::1`).
fn parse_resolve(s: &str) -> Result<(String, IpAddr), String> {
    let bad = || format!("--resolve: expected HOST:ADDR such as example.com:127.0.0.1, got {s:?}");
    let (host, addr) = s.split_once(':').ok_or_else(bad)?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn with_file(toml: &str) -> (tempfile::NamedTempFile, CrawlArgs) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(toml.as_bytes()).unwrap();
        let args = CrawlArgs {
            config: Some(f.path().to_path_buf()),
            ..CrawlArgs::default()
        };
        (f, args)
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let (_f, mut args) = with_file("per_host = 2\nconcurrency = 8\nmax_time = \"90s\"\n");
        args.concurrency = Some(16);
        let s = Settings::resolve(Mode::Crawl, args).unwrap();
        assert_eq!(s.concurrency, 16, "flag wins");
        assert_eq!(s.per_host, 2, "file beats default");
        assert_eq!(s.max_time, Some(Duration::from_secs(90)));
        assert_eq!(s.depth, 3, "crawl default depth");
        assert_eq!(s.retries, 2);
        assert_eq!(s.max_body, 10 << 20);
    }

    #[test]
    fn fetch_defaults_to_depth_zero() {
        let s = Settings::resolve(Mode::Fetch, CrawlArgs::default()).unwrap();
        assert_eq!(s.depth, 0);
    }

    #[test]
    fn unknown_key_is_named() {
        let (_f, args) = with_file("concurency = 3\n");
        let err = Settings::resolve(Mode::Crawl, args).unwrap_err();
        assert!(err.contains("concurency"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        for (toml, key, value) in [
            ("max_time = \"soon\"\n", "max_time", "soon"),
            ("max_body = \"huge\"\n", "max_body", "huge"),
            ("rate = \"fast\"\n", "rate", "fast"),
            ("select = [\"nocss\"]\n", "select", "nocss"),
            ("[hosts.\"a.example\"]\nrate = -1.0\n", "rate", "-1"),
        ] {
            let (_f, args) = with_file(toml);
            let err = Settings::resolve(Mode::Crawl, args).unwrap_err();
            assert!(
                err.contains(key) && err.contains(value),
                "{toml:?} gave {err}"
            );
        }
    }

    #[test]
    fn host_tables_apply_by_name_and_port() {
        let (_f, args) = with_file(
            "[hosts.\"a.example\"]\nrate = 1.0\n[hosts.\"a.example:8080\"]\nper_host = 1\n",
        );
        let s = Settings::resolve(Mode::Crawl, args).unwrap();
        assert_eq!(
            s.host_override("a.example", Some(80)).unwrap().rate,
            Some(1.0)
        );
        assert_eq!(
            s.host_override("a.example", Some(8080)).unwrap().per_host,
            Some(1)
        );
        assert!(s.host_override("b.example", None).is_none());
    }

    #[test]
    fn headers_and_resolve() {
        let args = CrawlArgs {
            header: vec!["X-Token: abc".into()],
            resolve: vec!["a.test:127.0.0.2".into(), "b.test:[::1]".into()],
            ..CrawlArgs::default()
        };
        let s = Settings::resolve(Mode::Crawl, args).unwrap();
        assert_eq!(s.headers["x-token"], "abc");
        assert_eq!(s.resolve[1].1, "::1".parse::<IpAddr>().unwrap());
        let bad = CrawlArgs {
            header: vec!["no colon".into()],
            ..CrawlArgs::default()
        };
        assert!(
            Settings::resolve(Mode::Crawl, bad)
                .unwrap_err()
                .contains("no colon")
        );
    }
}
