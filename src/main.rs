//! The `trawl` binary: parse the command line, run, map the result to an exit code.

fn main() {
    fixed_mmap_threshold();
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

/// Page bodies (tens of KiB to MiB) come and go by the thousand. glibc's
/// malloc raises its mmap threshold after each large free, so later bodies
/// land in the heap and leave it fragmented: peak RSS on the Rust docs was
/// 80 MiB this way, 55-58 MiB with a fixed threshold, at the same speed.
/// Blocks of 256 KiB and more are then mapped and returned on free.
#[allow(unsafe_code)]
fn fixed_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; it is called before
    // any other thread exists, and a refusal (return 0) changes nothing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
