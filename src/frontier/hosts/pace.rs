//! A host's request pacing: `--rate`, Crawl-delay and back-off as one
//! rate, kept by GCRA (virtual scheduling) with burst 1.
//!
//! Each request has an ideal time, one period after the ideal time of the
//! one before. A request goes at its ideal time or later (when the
//! scheduler's timer fires and the engine's loop comes round to it), and
//! the next ideal time counts from the *ideal* time, not from that late
//! moment: otherwise every request loses the timer's lateness (up to 1 ms
//! of timer resolution plus a turn of the loop, more on a busy machine)
//! and the rate achieved falls further below the one asked the higher it
//! is (−11% at 100/s, −47% at 1000/s).
//!
//! How much lateness is made up is bounded, so nothing ever bursts:
//! - two requests are never closer than one period less [`TOLERANCE`]
//!   (1 ms, the timer's resolution): a late request is made up for by
//!   bringing the following ones forward by at most that much each;
//! - a host that waited on its timer has at most one period of lateness
//!   made up (more means the engine was stalled, not the timer late);
//! - a host that had nothing to send, or waited for a connection slot,
//!   has at most [`TOLERANCE`] made up: its schedule starts afresh, so a
//!   host that was idle does not burst afterwards.
//!
//! So in any interval t a host gets at most `R·t + 2` requests, and one that
//! always has work gets R a second.

use std::time::Duration;

use tokio::time::Instant;

/// The timer's resolution: two requests are never closer than one period
/// less this.
pub const TOLERANCE: Duration = Duration::from_millis(1);

/// The longest period kept: a rate below one request a day is one a day
/// (and `Instant` arithmetic cannot overflow).
const MAX_PERIOD: Duration = Duration::from_secs(86_400);

/// The pacing of one host with a rate; an unlimited host has none.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    period: Duration,
    /// The ideal time of the last request and when it actually went;
    /// `None` before the first.
    last: Option<(Instant, Instant)>,
    /// The host was told to wait for its next slot (and had work then).
    waiting: bool,
}

impl Pace {
    /// Pacing at `rate` requests per second; `None` for 0 (unlimited) or a
    /// rate that is not a positive number.
    pub fn new(rate: f64) -> Option<Pace> {
        Some(Pace {
            period: period(rate)?,
            last: None,
            waiting: false,
        })
    }

    /// Releases one request at `now`, or says when the next may go.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
        let slot = match self.last {
            None => now,
            Some((ideal, went)) => {
                let due = ideal + self.period;
                let spaced = went + self.period.saturating_sub(TOLERANCE);
                if now < due.max(spaced) {
                    self.waiting = true;
                    return Err(due.max(spaced));
                }
                let forgiven = if self.waiting {
                    self.period.max(TOLERANCE)
                } else {
                    TOLERANCE
                };
                due.max(now.checked_sub(forgiven).unwrap_or(now))
            }
        };
        self.last = Some((slot, now));
        self.waiting = false;
        Ok(())
    }

    /// Changes the rate: the next request is due one new period after the
    /// last one's ideal time. `None` when the new rate is unlimited.
    pub fn with_rate(self, rate: f64) -> Option<Pace> {
        Some(Pace {
            period: period(rate)?,
            ..self
        })
    }

    /// Pacing at `rate` for a host that had none: counted from `now`, as if
    /// a request had just gone (the host was unlimited until now, so its
    /// last request may have been that recent).
    pub fn starting(rate: f64, now: Instant) -> Option<Pace> {
        Some(Pace {
            period: period(rate)?,
            last: Some((now, now)),
            waiting: false,
        })
    }
}

fn period(rate: f64) -> Option<Duration> {
    if rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    let period = Duration::try_from_secs_f64(1.0 / rate).unwrap_or(MAX_PERIOD);
    Some(period.clamp(Duration::from_nanos(1), MAX_PERIOD))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Releases requests as a late timer would, the k-th wake `late(k)`
    /// after the time it was told, for `n` requests; returns their times.
    fn run_with(
        pace: &mut Pace,
        start: Instant,
        late: impl Fn(usize) -> Duration,
        n: usize,
    ) -> Vec<Instant> {
        let mut now = start;
        let mut out = Vec::new();
        let mut wakes = 0;
        while out.len() < n {
            match pace.take(now) {
                Ok(()) => out.push(now),
                Err(due) => {
                    now = due + late(wakes);
                    wakes += 1;
                }
            }
        }
        out
    }

    fn run(pace: &mut Pace, start: Instant, late: Duration, n: usize) -> Vec<Instant> {
        run_with(pace, start, |_| late, n)
    }

    #[test]
    fn unlimited_and_nonsense_rates_have_no_pace() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Pace::new(rate).is_none(), "{rate}");
        }
        let tiny = Pace::new(1e-300).expect("a tiny rate is a rate");
        assert_eq!(tiny.period, MAX_PERIOD);
    }

    #[test]
    fn a_late_timer_loses_nothing_up_to_the_tolerance() {
        // 1000/s with every release 0.9 ms late: 1001 requests take 1 s,
        // not the 1.9 s that measuring from the late moment would give.
        let start = Instant::now();
        let mut pace = Pace::new(1000.0).expect("rate");
        let times = run(&mut pace, start, Duration::from_micros(900), 1001);
        let span = times[1000] - times[0];
        assert!(span <= Duration::from_millis(1001), "{span:?}");
        for w in times.windows(2) {
            assert!(w[1] - w[0] + TOLERANCE >= MS, "{:?}", w[1] - w[0]);
        }
    }

    #[test]
    fn lateness_past_the_tolerance_is_not_made_up_by_a_burst() {
        // 100/s, every release 3 ms late: the gaps never go below 9 ms
        // (the period less the tolerance); after the first, late from the
        // ideal time, they are 12 ms apart, not 13.
        let start = Instant::now();
        let mut pace = Pace::new(100.0).expect("rate");
        let times = run(&mut pace, start, 3 * MS, 11);
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            assert!(gap >= 9 * MS && gap <= 13 * MS, "{gap:?}");
        }
        assert_eq!(times[10] - times[1], 9 * 12 * MS);
    }

    #[test]
    fn an_occasional_late_wake_is_made_up_without_a_burst() {
        // 100/s; the 5th wake is 8 ms late: the next few requests come
        // 9 ms apart until the schedule is back on its ideal times.
        let start = Instant::now();
        let mut pace = Pace::new(100.0).expect("rate");
        let late = |k| if k == 5 { 8 * MS } else { Duration::ZERO };
        let times = run_with(&mut pace, start, late, 30);
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= 9 * MS, "{:?}", w[1] - w[0]);
        }
        assert_eq!(times[29] - times[0], 29 * 10 * MS, "nothing lost");
    }

    #[test]
    fn any_lateness_keeps_the_spacing_and_the_window_bound() {
        // Wakes late by a pseudo-random 0-15 ms: never two requests closer
        // than 1/R - 1 ms, never more than R*t + 2 in an interval t.
        for rate in [10.0, 200.0, 1000.0] {
            let start = Instant::now();
            let mut pace = Pace::new(rate).expect("rate");
            let late = |k: usize| {
                let x = (k as u64).wrapping_mul(6364136223846793005).rotate_left(29);
                Duration::from_micros(x % 15_000)
            };
            let times = run_with(&mut pace, start, late, 500);
            let period = Duration::from_secs_f64(1.0 / rate);
            for (i, a) in times.iter().enumerate() {
                if let Some(b) = times.get(i + 1) {
                    assert!(*b - *a + TOLERANCE >= period, "{rate}: {:?}", *b - *a);
                }
                for (j, b) in times.iter().enumerate().skip(i + 1).take(50) {
                    let allowed = rate * (*b - *a).as_secs_f64() + 2.0;
                    assert!(
                        (j - i + 1) as f64 <= allowed,
                        "{rate}: {} in {:?}",
                        j - i + 1,
                        *b - *a
                    );
                }
            }
        }
    }

    #[test]
    fn an_idle_host_does_not_burst_afterwards() {
        let start = Instant::now();
        let mut pace = Pace::new(10.0).expect("rate");
        assert!(pace.take(start).is_ok());
        let later = start + Duration::from_secs(5);
        assert!(pace.take(later).is_ok(), "idle long enough");
        let due = pace.take(later).expect_err("one request at a time");
        assert_eq!(due, later + 99 * MS, "one period less the tolerance");
        assert!(pace.take(due - Duration::from_nanos(1)).is_err());
        assert!(pace.take(due).is_ok());
    }

    #[test]
    fn a_rate_change_counts_from_the_last_ideal_time() {
        let start = Instant::now();
        let mut pace = Pace::new(10.0).expect("rate");
        assert!(pace.take(start).is_ok());
        // Halved (a 429): the next request is due 200 ms after the last.
        let mut slower = pace.with_rate(5.0).expect("rate");
        assert_eq!(slower.take(start + 150 * MS), Err(start + 200 * MS));
        assert!(pace.with_rate(0.0).is_none(), "unlimited again");
        // A host that was unlimited waits a whole period from now.
        let mut fresh = Pace::starting(4.0, start).expect("rate");
        assert_eq!(fresh.take(start), Err(start + 250 * MS));
    }
}
