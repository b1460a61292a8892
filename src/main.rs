//! The `trawl` binary: parse the command line, run, map the result to an exit code.

fn main() {
    tune_malloc();
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

/// Two settings of glibc's malloc, measured on the benchmark sites:
///
/// - Page bodies (tens of KiB to MiB) come and go by the thousand. glibc's
///   malloc raises its mmap threshold after each large free, so later
///   bodies land in the heap and leave it fragmented: peak RSS on the Rust
///   docs was 80 MiB this way, 55-58 MiB with a fixed threshold, at the same
///   speed. Blocks of 256 KiB and more are then mapped and returned on free.
/// - One arena. A page is fetched and parsed on a runtime worker and its
///   links and record are handled by the engine on the main thread, so with
///   an arena per thread most memory is freed into another thread's arena,
///   where it stays: on the synthetic 100k site the peak heap is 17 MB and
///   peak RSS was 71 MB; with one arena 37 MB, at the same CPU (per-thread
///   caches take most allocations without the arena's lock). Not set when
///   `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` is, so a user's choice wins.
#[allow(unsafe_code)]
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arena_set = std::env::var_os("MALLOC_ARENA_MAX").is_some()
            || std::env::var_os("GLIBC_TUNABLES").is_some();
        // SAFETY: mallopt only adjusts allocator parameters; it is called
        // before any other thread exists, and a refusal (return 0) changes
        // nothing.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
            if !arena_set {
                libc::mallopt(libc::M_ARENA_MAX, 1);
            }
        }
    }
}
