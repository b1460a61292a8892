//! trawl: a concurrent, polite web crawler and URL fetcher.
//!
//! `trawl crawl` follows links from seed URLs; `trawl fetch` fetches exactly
//! the URLs it is given. Either writes one record per URL (JSON Lines or
//! CSV) as pages finish, and a summary on stderr at the end.
//!
//! # Layout
//!
//! - `cli`: clap types; `config`: flags + TOML file + defaults → `Settings`
//! - `seeds`: streaming seed reader with `FILE:LINE` reasons
//! - `frontier`: normalization, scope, seen-set, per-host ready queues
//! - `engine`: the crawl loop (scheduling, redirects, retries, stopping)
//! - `fetch`: the HTTP client, one request per call, capped body, charset
//! - `extract`: title, links and `--select` fields from HTML (synchronous)
//! - `output`: the writer thread (JSONL/CSV) and the summary
//! - `error`: the error kinds of records and the run's exit codes
//! - `shutdown`, `progress`, `logging`: signals, the status line, tracing
//!
//! # Data flow
//!
//! ```text
//! seeds → frontier (normalize → scope → seen → per-host queue)
//!       → engine (only hosts that may be requested now; ≤ --concurrency tasks)
//!       → fetch (one hop, one attempt; capped body; decode; extract: a byte scan in
//!                place for pages ≤ 256 KiB, the blocking pool for larger ones or a DOM)
//!       → engine: record → writer thread → stdout/file; links → frontier at depth + 1;
//!                 redirect → next hop at its host; retry → delay heap → its host
//! ```

pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod logging;
pub mod output;
pub mod progress;
pub mod record;
pub mod seeds;
pub mod shutdown;
pub mod state;

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use cli::{Cli, Command};
use config::{Mode, Settings};
use engine::{Engine, Stop};
use error::AppError;
use fetch::FetchCtx;
use frontier::seen::{MemorySeen, RecentSeen};
use output::{OutputSpec, WriterHandle};
use progress::Progress;
use state::StateLock;
use state::sqlite::SqliteState;

/// Exit code of a run that was interrupted by a signal.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Runs one command to its end; `Ok` carries the exit code (0 or 130).
pub async fn run(cli: Cli) -> Result<i32, AppError> {
    let (mode, args) = match cli.command {
        Command::Crawl(a) => (Mode::Crawl, a),
        Command::Fetch(a) => (Mode::Fetch, a),
    };
    let quiet = args.quiet;
    logging::init(quiet, args.verbose);
    let settings = Arc::new(Settings::resolve(mode, args).map_err(AppError::Usage)?);
    let client = fetch::client::build(&settings).map_err(AppError::Usage)?;

    let mut seeds = seeds::spawn(settings.urls.clone(), settings.seeds_file.clone());
    let Some(first_seed) = seeds.recv().await else {
        return Err(AppError::Usage(
            "no valid seed URL: give absolute http(s) URLs as arguments or with --seeds FILE"
                .into(),
        ));
    };

    // --state: lock it, open it, and pick up where the last run stopped.
    let mut pass = None;
    let (_lock, store) = match &settings.state {
        None => (None, None),
        Some(path) => {
            let fatal = |e: state::StateError| AppError::Fatal(e.to_string());
            let lock = StateLock::acquire(path).map_err(fatal)?;
            let (store, opened) = SqliteState::open(path).map_err(fatal)?;
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
            pass = Some(opened.pass);
            if let Some(out) = &settings.output {
                state::cut_partial_line(out).map_err(|e| {
                    AppError::Fatal(format!("cannot repair output {}: {e}", out.display()))
                })?;
            }
            (Some(lock), Some(store))
        }
    };

    let output_lock = Arc::new(Mutex::new(()));
    let output_closed = CancellationToken::new();
    let spec = OutputSpec {
        path: settings.output.clone(),
        format: settings.format,
        field_names: settings.fields.iter().map(|f| f.name.clone()).collect(),
        with_body: settings.body,
        append: settings.state.is_some(),
    };
    let writer = WriterHandle::spawn(spec, store, output_lock.clone(), output_closed.clone())
        .map_err(AppError::Fatal)?;

    let shutdown = CancellationToken::new();
    shutdown::install(shutdown.clone(), output_lock);

    let ctx = Arc::new(FetchCtx::new(client, settings.clone()));
    let progress = Progress::new(settings.progress, quiet);
    let tx = writer.tx.clone();
    // Without --state the whole seen-set is in memory; with it the store
    // deduplicates and memory keeps only a bounded cache of recent keys.
    let mut end = if pass.is_some() {
        let mut engine = Engine::new(settings.clone(), RecentSeen::default(), ctx, tx, progress);
        engine.spill_to_state(writer.commits.clone());
        engine.run(first_seed, seeds, shutdown, output_closed).await
    } else {
        let engine = Engine::new(settings.clone(), MemorySeen::default(), ctx, tx, progress);
        engine.run(first_seed, seeds, shutdown, output_closed).await
    };
    if pass.is_some() {
        end.stats.pass = pass;
        end.stats.pass_complete = Some(end.pass_complete);
        end.stats.pending = Some(end.pending);
    }
    let written = writer.finish();
    if let Some(e) = end.fatal {
        return Err(AppError::Fatal(e));
    }
    written.map_err(AppError::Fatal)?;

    if !quiet {
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
