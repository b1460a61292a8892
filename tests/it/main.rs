//! trawl's integration tests, one test binary: each module runs the real
//! `trawl` binary against servers it starts on 127.0.0.1 (ephemeral ports)
//! and asserts on what trawl printed and what the servers saw.
//!
//! One binary rather than one per file: every test binary links the whole
//! dependency tree (tokio, axum, rustls, reqwest), and fifteen of them took
//! ~3 GiB of disk and fifteen links per build.

mod common;

mod body_caps;
mod broad;
mod cli_conventions;
mod cli_input;
mod content;
mod crawl_site;
mod faults_tcp;
mod hostile_dom;
mod http_basics;
mod limits;
mod mirror;
mod politeness;
mod rate_fidelity;
mod render;
mod robots;
mod run_control;
mod safety;
mod scheduling;
mod server_selftest;
mod shared;
mod sitemaps;
mod state_recrawl;
mod state_resume;
mod transport;
mod traps_bad_input;
mod warc;
