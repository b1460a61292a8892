//! Logging to stderr through `tracing`: trawl's warnings by default, errors
//! only with `-q`, more with each `-v` (dependencies from `-vv`); `RUST_LOG`
//! overrides. Never writes to stdout.

use tracing_subscriber::EnvFilter;

pub fn init(quiet: bool, verbose: u8) {
    // Dependencies speak only from -vv on: their own ERROR lines (a TLS
    // verifier reporting a bad certificate, say) repeat what the record says.
    let level = match (quiet, verbose) {
        (true, _) => "trawl=error",
        (false, 0) => "trawl=warn",
        (false, 1) => "trawl=info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
