//! The `trawl` binary: parse the command line, run, map the result to an exit code.

/// mimalloc, with the settings of `trawl::allocator`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    trawl::allocator::tune();
    let cli = trawl::cli::Cli::from_env();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trawl: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    // The engine runs on the main thread, the fetch tasks on the workers.
    // (Spawning the engine onto the workers saves thread wake-ups but not
    // measurable time, and lets more finished pages wait uncommitted, which
    // a kill -9 with --state would fetch again.)
    let code = match runtime.block_on(trawl::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trawl: {e}");
            e.exit_code()
        }
    };
    // Requests abandoned after the shutdown grace must not hold the exit.
    runtime.shutdown_background();
    std::process::exit(code);
}
