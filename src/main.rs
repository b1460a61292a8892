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
