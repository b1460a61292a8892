//! Shared helpers for trawl's integration tests.
//!
//! Owns the local test server (`server`, which serves fixture directories
//! through `site`), a raw-TCP fault server for responses no real server
//! would send (`raw`), the runners for the real `trawl` binary (`trawl`), and
//! the readers for the expectation files stored next to the fixtures
//! (`fixtures`), the lock that keeps CPU-heavy and timing tests apart
//! (`cpu`), the check that requests keep a rate's schedule
//! (`schedule`), and a self-signed TLS configuration (`tls`).
//! Tests assert on two things these helpers hand back: what trawl printed
//! ([`TrawlOutput`]) and what the server saw ([`TestServer::requests`]).
//! Nothing here talks to the internet or uses a fixed port.

pub mod browser;
pub mod cpu;
pub mod fixtures;
pub mod observe;
pub mod raw;
pub mod records;
pub mod redis;
pub mod schedule;
pub mod server;
mod site;
pub mod tls;
pub mod trawl;
pub mod warcio;

pub use fixtures::{expected_pages, expected_titles, fixtures_dir, read_tsv};
pub use raw::RawServer;
pub use records::by_url;
pub use server::{LoggedRequest, ServerOpts, TestServer};
pub use trawl::{
    TrawlOutput, finish_trawl, run_command, run_trawl, send_signal, spawn_trawl, trawl_command,
};
