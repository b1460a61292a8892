//! File descriptors as a resource of the run: the open-file limit is raised
//! as far as the system allows, and what it leaves after a reserve is the
//! budget of sockets the transport may hold open (`fetch::http::pools`).
//!
//! At start the soft `RLIMIT_NOFILE` goes up to the hard limit, as the Go
//! runtime and nginx do: the soft limit cron and systemd hand out (1024) is
//! a default for programs that never asked, not a policy. The budget is
//! that limit less the descriptors already open and `reserve` — a reserve
//! for everything else a run opens: the state file with its journal, the
//! outputs, archives, a browser's pipes, a DNS lookup's socket.

/// Descriptors kept back from the budget, besides those open at start.
pub const RESERVE: u64 = 32;
/// The budget never goes below this, whatever the limit.
const MIN_SOCKETS: u64 = 4;

/// What the run may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The soft limit now in force.
    pub limit: u64,
    /// Sockets the transport may hold open.
    pub sockets: usize,
}

/// Raises the soft open-file limit to the hard limit and returns the budget.
pub fn prepare() -> Budget {
    let limit = raise();
    budget(limit, open_now())
}

/// The budget under `limit` with `open` descriptors open.
pub fn budget(limit: u64, open: u64) -> Budget {
    let reserve = RESERVE + limit / 32;
    let sockets = limit.saturating_sub(open + reserve).max(MIN_SOCKETS);
    Budget {
        limit,
        sockets: usize::try_from(sockets).unwrap_or(usize::MAX),
    }
}

/// Raises the soft limit as far as the hard limit; returns the soft limit.
fn raise() -> u64 {
    let Ok((soft, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
        tracing::info!("cannot read the open-file limit; assuming 1024");
        return 1024;
    };
    if soft >= hard {
        tracing::info!("open-file limit {soft} (the hard limit)");
        return soft;
    }
    // Linux refuses more than fs.nr_open, whatever the hard limit says
    // (an "unlimited" hard limit, say).
    let ceiling = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(hard, |n| n.min(hard));
    match rlimit::increase_nofile_limit(ceiling) {
        Ok(now) => {
            tracing::info!("open-file limit raised from {soft} to {now} (hard limit {hard})");
            now
        }
        Err(e) => {
            tracing::info!("open-file limit {soft}: cannot raise it to {hard}: {e}");
            soft
        }
    }
}

/// Descriptors open now (Linux: `/proc/self/fd`; elsewhere an estimate).
fn open_now() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(16, |d| d.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_a_reserve() {
        let b = budget(256, 10);
        assert_eq!(b.sockets, 256 - 10 - 32 - 8);
        let b = budget(1024, 10);
        assert_eq!(b.sockets, 1024 - 10 - 32 - 32);
    }

    #[test]
    fn a_tiny_limit_still_leaves_a_few_sockets() {
        assert_eq!(budget(20, 12).sockets, MIN_SOCKETS as usize);
    }

    #[test]
    fn preparing_leaves_the_soft_limit_at_the_hard_limit() {
        let b = prepare();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(b.limit, soft);
        assert!(soft == hard || soft >= 1 << 20, "soft {soft}, hard {hard}");
        assert!(b.sockets > 0);
    }
}
