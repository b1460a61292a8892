//! trawl: a concurrent, polite web crawler and URL fetcher.
//!
//! `trawl crawl` follows links from seed URLs; `trawl fetch` fetches exactly
//! the URLs it is given. Either writes one record per URL (JSON Lines or
//! CSV) as pages finish, and a summary on stderr at the end.
//!
//! # Layout
//!
//! From the bottom up; a module uses only modules above it in this list
//! (the `layers` test reads every `use crate::` line and holds them to it).
//!
//! - vocabulary, the leaves: `options` (the enums options take), `units`
//!   ("90s", "10MiB", `NAME=CSS@attr`), `defaults` (every built-in default), `urls` (normalization and keys,
//!   scope anchors), `error` (page error kinds), `robots` (robots.txt rules),
//!   `record` (the record, the unit of work, what a store keeps of a page)
//! - `extract`: title, links and `--select` fields from HTML (synchronous)
//! - `cli` (clap types), `config` (flags + TOML file + defaults → `Settings`)
//! - `seeds`: streaming seed reader with `FILE:LINE` reasons
//! - `frontier`: admission rules and per-host ready queues
//! - `state`: the **store** port (`Store`, `Ack`) — `memory`, `sqlite`,
//!   `redis` (a crawl shared by several workers)
//! - `fetch`: the **transport** port (`Transport`) — `http` (reqwest) — the
//!   browser stage of `--render` (`render`: headless Chromium over a
//!   DevTools pipe), and the page stage every transport shares: caps,
//!   content-decoding, charset, extraction, the record
//! - `output`: the **sink** port (`Sink`) — `records` (JSONL/CSV) — the
//!   writer thread, the summary
//! - `progress`, `logging`, `shutdown`: the status line, tracing, signals
//! - `engine`: the crawl loop (scheduling, redirects, retries, stopping)
//! - `run`: picks the implementations of the ports and wires them
//!
//! # Data flow
//!
//! ```text
//! seeds → frontier (normalize → scope and rules) → store (dedupe; memory hands
//!       it straight back, SQLite keeps it and leases it back in windows)
//!       → per-host queue → engine (only hosts that may be requested now;
//!         ≤ --concurrency tasks)
//!       → fetch: transport (one hop, the response as received)
//!                → with --render, a 2xx HTML page: the browser (the DOM its
//!                  scripts built, from the same bytes)
//!                → page stage (status triage; capped, content-decoded body;
//!                  charset; extract: a byte scan in place for pages ≤ 256 KiB,
//!                  the blocking pool for larger ones or a DOM; the record)
//!       → engine: links → frontier at depth + 1; redirect → next hop at its
//!                 host; retry → delay heap → its host; record → writer thread
//!       → writer: every sink (records → stdout/file), flushed together
//!                 → store ack (the page is done)
//! ```

pub mod cli;
pub mod config;
pub mod defaults;
pub mod descriptors;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod logging;
pub mod options;
pub mod output;
pub mod progress;
pub mod record;
pub mod robots;
pub mod run;
pub mod seeds;
pub mod shutdown;
pub mod state;
pub mod units;
pub mod urls;

#[cfg(test)]
mod layers;

pub use run::{AppError, EXIT_INTERRUPTED, run};
