//! A trawl run watched from /proc while it runs: its peak RSS (`VmHWM`),
//! the most descriptors it had open, and the CPU time it used, sampled every
//! 10 ms until it exits.

use std::time::Duration;

use tokio::process::Command;

use super::trawl::{TrawlOutput, finish_trawl};

/// What a run showed.
pub struct Observed {
    pub out: TrawlOutput,
    pub peak_rss_kib: u64,
    pub max_fds: usize,
    /// User and system CPU, at the last sample before it exited.
    pub cpu: Duration,
}

/// Starts `command` (stdout and stderr piped here) and watches it to its
/// end, killing it after `limit`.
pub async fn observe(mut command: Command, limit: Duration) -> Observed {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("start trawl");
    let pid = child.id().expect("a running child has a pid");
    // Clock ticks per second: 100 on every Linux trawl runs on.
    let tick = Duration::from_millis(10);
    let sampler = tokio::spawn(async move {
        let (mut rss, mut fds, mut cpu) = (0u64, 0usize, Duration::ZERO);
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if status.contains("State:\tZ") {
                break;
            }
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                rss = rss.max(kib);
            }
            if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
                fds = fds.max(dir.count());
            }
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                // Fields 14 and 15 (utime, stime), after the ")" that ends the name.
                let after = stat.rsplit(')').next().unwrap_or_default();
                let f: Vec<u64> = after
                    .split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|v| v.parse().ok())
                    .collect();
                if f.len() == 2 {
                    cpu = cpu.max(tick * (f[0] + f[1]) as u32);
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (rss, fds, cpu)
    });
    let out = finish_trawl(child, limit).await;
    let (peak_rss_kib, max_fds, cpu) = sampler.await.expect("sampler");
    Observed {
        out,
        peak_rss_kib,
        max_fds,
        cpu,
    }
}
