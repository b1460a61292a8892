//! One run of a command, from the parsed command line to the exit code:
//! settings, then the three ports chosen for this run — the transport
//! (reqwest), the store (memory, or SQLite with `--state`) and the sinks
//! (records) — wired to the engine and the writer, then the end of the pass
//! and the summary.
//!
//! The only place that knows which implementation of a port is in use.

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::cli::{Cli, Command, SharedArgs};
use crate::config::Settings;
use crate::descriptors;
use crate::engine::{Engine, Stop};
use crate::fetch::Fetcher;
use crate::fetch::http::HttpTransport;
use crate::fetch::render::Renderer;
use crate::options::Mode;
use crate::output::mirror::MirrorSink;
use crate::output::records::{OutputSpec, RecordSink};
use crate::output::warc::{WarcSink, WarcSpec};
use crate::output::{Sink, SinkError, WriterHandle};
use crate::progress::Progress;
use crate::state::lock::StateLock;
use crate::state::memory::MemoryStore;
use crate::state::redis::{self, JoinError, RedisStore};
use crate::state::sqlite::SqliteStore;
use crate::state::{Store, StoreError};
use crate::{logging, seeds, shutdown};

/// Exit code of a run that was interrupted by a signal.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Errors that end the whole run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad flags, config or seeds: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The state store failed or cannot be used: exit 1.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An output cannot be written: exit 1.
    #[error(transparent)]
    Output(#[from] SinkError),
    /// Anything else that stops the run (the runtime, `--stats`): exit 1.
    #[error("{0}")]
    Fatal(String),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            AppError::Store(_) | AppError::Output(_) | AppError::Fatal(_) => 1,
        }
    }
}

/// What a run starts from, whatever its store.
struct Start {
    settings: Arc<Settings>,
    transport: HttpTransport,
    first_seed: Url,
    seeds: tokio::sync::mpsc::Receiver<Url>,
    quiet: bool,
    /// `--render auto|always`: the browser, started.
    renderer: Option<Arc<Renderer>>,
}

/// Runs one command to its end; `Ok` carries the exit code (0 or 130).
pub async fn run(cli: Cli) -> Result<i32, AppError> {
    let (mode, args) = match cli.command {
        Command::Crawl(a) => (Mode::Crawl, a),
        Command::Fetch(a) => (Mode::Fetch, a),
        Command::Status(a) => return shared_status(a, false).await,
        Command::Purge(a) => return shared_status(a, true).await,
        Command::Completions { shell } => return print_generated(Generated::Completions(shell)),
        Command::Man { dir } => return print_generated(Generated::Man(dir)),
    };
    let quiet = args.quiet;
    logging::init(quiet, args.verbose);
    let mut settings = Settings::resolve(mode, args).map_err(AppError::Usage)?;
    let token = crate::robots::product_token(&settings.user_agent);
    if settings.robots == crate::options::RobotsMode::Obey && !crate::robots::valid_token(&token) {
        tracing::warn!(
            "--user-agent {:?}: its product token {token:?} is not only letters, '_' and '-' \
             (RFC 9309 §2.2.1), so robots.txt groups cannot name it: only '*' groups apply",
            settings.user_agent
        );
    }
    let budget = descriptors::prepare();
    if settings.concurrency > budget.sockets {
        tracing::warn!(
            "--concurrency {} lowered to {}: that is what the open-file limit {} leaves",
            settings.concurrency,
            budget.sockets,
            budget.limit
        );
        settings.concurrency = budget.sockets;
    }
    let settings = Arc::new(settings);
    let transport = HttpTransport::new(&settings, budget.sockets).map_err(AppError::Usage)?;

    let mut seeds = seeds::spawn(settings.urls.clone(), settings.seeds_file.clone());
    let Some(first_seed) = seeds.recv().await else {
        return Err(AppError::Usage(
            "no valid seed URL: give absolute http(s) URLs as arguments or with --seeds FILE"
                .into(),
        ));
    };
    let start = Start {
        settings: settings.clone(),
        transport,
        first_seed,
        seeds,
        quiet,
        renderer: None,
    };
    if let Some(options) = &settings.redis {
        let store = RedisStore::open(options, &settings)
            .await
            .map_err(|e| match e {
                JoinError::Conflict(why) => AppError::Usage(why),
                JoinError::Store(e) => AppError::Store(e),
            })?;
        return crawl(start, store, None).await;
    }
    let Some(path) = &settings.state else {
        return crawl(start, MemoryStore::default(), None).await;
    };
    // --state: lock it, open it, and pick up where the last run stopped.
    let _lock = StateLock::acquire(path)?;
    let (store, opened) = SqliteStore::open(path)?;
    if opened.resumed && opened.pending > 0 {
        tracing::info!(
            "state {}: resuming pass {} with {} pages pending",
            path.display(),
            opened.pass,
            opened.pending
        );
    } else if !opened.resumed {
        tracing::info!(
            "state {}: starting recrawl pass {}",
            path.display(),
            opened.pass
        );
    }
    crawl(start, store, Some(opened.pass)).await
}

/// What `trawl completions` and `trawl man` print.
enum Generated {
    Completions(clap_complete::Shell),
    /// To stdout, or every page into a directory.
    Man(Option<std::path::PathBuf>),
}

/// Prints a completion script or the man page, both made from the same
/// command definition `--help` shows.
fn print_generated(what: Generated) -> Result<i32, AppError> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    match what {
        Generated::Completions(shell) => {
            clap_complete::generate(shell, &mut cmd, "trawl", &mut out)
        }
        Generated::Man(None) => clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| AppError::Fatal(format!("cannot render the man page: {e}")))?,
        Generated::Man(Some(dir)) => {
            clap_mangen::generate_to(cmd, &dir).map_err(|e| {
                AppError::Fatal(format!("cannot write man pages to {}: {e}", dir.display()))
            })?;
            eprintln!("man pages written to {}", dir.display());
            return Ok(0);
        }
    }
    use std::io::Write;
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(AppError::Fatal(format!("cannot write to stdout: {e}"))),
    }
}

/// `trawl status` (one JSON object on stdout) or `trawl purge`.
async fn shared_status(args: SharedArgs, purge: bool) -> Result<i32, AppError> {
    logging::init(false, 0);
    crate::config::valid_crawl_id(&args.crawl_id).map_err(AppError::Usage)?;
    let timeout = args.redis_timeout.unwrap_or(crate::defaults::REDIS_TIMEOUT);
    let mut link = redis::Link::connect(&args.redis, timeout).await?;
    let keys = redis::Keys::new(&args.crawl_id);
    if purge {
        let n = redis::purge(&mut link, &keys).await?;
        eprintln!("crawl {}: {n} keys deleted", args.crawl_id);
    } else {
        let status = redis::status(&mut link, &keys).await?;
        println!("{status}");
    }
    Ok(0)
}

/// The sinks of this run.
fn sinks(settings: &Settings) -> Result<Vec<Box<dyn Sink>>, SinkError> {
    let spec = OutputSpec {
        path: settings.output.clone(),
        format: settings.format,
        field_names: settings.fields.iter().map(|f| f.name.clone()).collect(),
        with_body: settings.body,
        with_saved: settings.save.is_some(),
        with_markdown: settings.content.markdown,
        with_text: settings.content.text,
        with_render: settings.render != crate::options::RenderMode::Never,
        // A resumed run, or a worker of a shared crawl started again, adds
        // to what earlier runs wrote.
        append: settings.state.is_some() || settings.redis.is_some(),
        changed_only: settings.changed_only,
    };
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    // First: it adds `saved` to the record the others write.
    if let Some(dir) = &settings.save {
        sinks.push(Box::new(MirrorSink::open(dir, settings.max_body)?));
    }
    sinks.push(Box::new(RecordSink::open(spec)?));
    if let Some(path) = &settings.warc {
        sinks.push(Box::new(WarcSink::open(WarcSpec {
            path: path.clone(),
            max_size: settings.warc_max_size,
            append: settings.state.is_some() || settings.redis.is_some(),
            info: warcinfo(settings),
        })?));
    }
    Ok(sinks)
}

/// The `warcinfo` fields of this run (WARC-1.1 §6.4 and the IIPC's
/// recommended fields): the software, the format, and how the crawl was
/// made — the command line, with header values and URL passwords hidden.
fn warcinfo(settings: &Settings) -> Vec<(String, String)> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let args: Vec<String> = std::env::args().collect();
    let robots = match settings.robots {
        crate::options::RobotsMode::Obey => "classic",
        crate::options::RobotsMode::Ignore => "ignore",
    };
    [
        ("software", format!("trawl/{}", crate::cli::VERSION)),
        ("format", "WARC File Format 1.1".to_string()),
        (
            "conformsTo",
            "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
                .to_string(),
        ),
        ("hostname", hostname),
        ("http-header-user-agent", settings.user_agent.clone()),
        ("robots", robots.to_string()),
        ("command", crate::output::warc::redacted_command(&args)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Crawls with `store` (of `pass`, for a store that has passes), then ends
/// the pass and reports. With `--render`, the browser lives exactly as long
/// as this: started first (a missing browser is exit 2) and ended on every
/// way out.
async fn crawl<S: Store>(mut start: Start, store: S, pass: Option<i64>) -> Result<i32, AppError> {
    start.renderer = Renderer::start(&start.settings)
        .await
        .map_err(AppError::Usage)?;
    let renderer = start.renderer.clone();
    let ended = crawl_with(start, store, pass).await;
    if let Some(renderer) = renderer {
        renderer.shutdown().await;
    }
    ended
}

async fn crawl_with<S: Store>(start: Start, store: S, pass: Option<i64>) -> Result<i32, AppError> {
    let settings = start.settings;
    let sinks = sinks(&settings)?;
    let capture = sinks.iter().any(|s| s.wants_exchange());
    let output_lock = Arc::new(Mutex::new(()));
    let output_closed = CancellationToken::new();
    let writer = WriterHandle::spawn(
        sinks,
        store.ack(),
        output_lock.clone(),
        output_closed.clone(),
    )
    .map_err(AppError::Fatal)?;

    let shutdown = CancellationToken::new();
    shutdown::install(shutdown.clone(), output_lock);

    let fetcher = Fetcher::new(start.transport, settings.clone(), capture)
        .with_renderer(start.renderer.clone());
    let fetcher = Arc::new(fetcher);
    let progress = Progress::new(settings.progress, start.quiet);
    let engine = Engine::new(
        settings.clone(),
        store,
        fetcher,
        writer.tx.clone(),
        progress,
    );
    let mut end = engine
        .run(start.first_seed, start.seeds, shutdown, output_closed)
        .await;

    // Every record written and handed to the store before it is asked
    // what is left.
    let written = writer.finish();
    let mut store = end.store;
    if let Some(e) = end.fatal {
        return Err(e.into());
    }
    written?;
    if let Some(pass) = pass {
        let pending = store.count_pending().await?;
        // A run stopped by a limit right after its last page still completes the pass.
        let complete = match end.stop {
            None => true,
            Some(Stop::Limit) => pending == 0 && !end.more_seeds,
            Some(_) => false,
        };
        if complete {
            // Every page of this pass has its record: the next run recrawls.
            store.finish_pass().await?;
        }
        end.stats.pass = Some(pass);
        end.stats.pass_complete = Some(complete);
        end.stats.pending = Some(pending);
    }
    store.close().await?;

    if !start.quiet {
        eprintln!("{}", end.stats.line());
    }
    if let Some(path) = &settings.stats {
        end.stats.write_json(path).map_err(AppError::Fatal)?;
    }
    Ok(match end.stop {
        Some(Stop::Signal) => EXIT_INTERRUPTED,
        _ => 0,
    })
}
