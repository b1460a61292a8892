//! The `trawl` binary: parse the command line, run, map the result to an exit code.

use clap::Parser;

fn main() {
    let cli = trawl::cli::Cli::parse();
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
    // The run is a task of the runtime, not the future `block_on` polls on
    // the main thread: then the engine and the fetch tasks it spawns share
    // the workers, instead of waking another thread for every page.
    let run = runtime.block_on(async { tokio::spawn(trawl::run(cli)).await });
    let code = match run {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("trawl: {e}");
            e.exit_code()
        }
        Err(e) => {
            eprintln!("trawl: internal error: {e}");
            1
        }
    };
    // Requests abandoned after the shutdown grace must not hold the exit.
    runtime.shutdown_background();
    std::process::exit(code);
}
