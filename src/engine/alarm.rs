//! The engine loop's alarm clock: wakes the loop when the next host may be
//! served (its rate), a retry is due or a time limit is reached.
//!
//! Not tokio's timer: it keeps whole milliseconds and its reactor rounds
//! the wait up to the next one, so a sleep ends 0–2 ms late, 1.1 ms on
//! average (measured here). That is a request's whole period at
//! `--rate 1000`, and more than the 1 ms a host's pace can make up per
//! request (`frontier::hosts::pace`), so the rate achieved fell short the
//! higher it was. A thread of the alarm's own sleeps on a condition
//! variable instead (the kernel's high-resolution timers: 0.12 ms late at
//! the median) and wakes the loop through a `Notify`. It sleeps without a
//! deadline while none is set, and only the loop's deadline changes touch
//! its lock.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::Notify;
use tokio::time::Instant;

pub struct Alarm {
    shared: Arc<Shared>,
    /// The deadline last set, to leave the lock alone when it is unchanged.
    set: Option<Instant>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    rang: Notify,
}

#[derive(Default)]
struct State {
    deadline: Option<std::time::Instant>,
    quit: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned lock still holds a
        // consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut state = self.lock();
        loop {
            if state.quit {
                return;
            }
            state = match state.deadline {
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(at) => {
                    let now = std::time::Instant::now();
                    if now >= at {
                        state.deadline = None;
                        self.rang.notify_one();
                        continue;
                    }
                    self.changed
                        .wait_timeout(state, at - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

impl Alarm {
    /// An alarm with its thread. Without a thread (the system would not
    /// start one), `rung` falls back to tokio's timer.
    pub fn new() -> Alarm {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            rang: Notify::new(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("trawl-alarm".into())
                .spawn(move || shared.run())
        };
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!("no alarm thread ({e}); waits are up to 2 ms late");
                None
            }
        };
        Alarm {
            shared,
            set: None,
            thread,
        }
    }

    /// Rings at `at` (replacing any earlier setting), or never for `None`.
    pub fn set(&mut self, at: Option<Instant>) {
        if at == self.set {
            return;
        }
        self.set = at;
        self.shared.lock().deadline = at.map(Instant::into_std);
        self.shared.changed.notify_one();
    }

    /// Waits until the alarm rings at the time set last (at once when it
    /// rang while nobody waited); never while it is not set. Once it has
    /// rung it is not set: the next `set` arms it, even for the same time.
    pub async fn rung(&mut self) {
        match (self.set, &self.thread) {
            (None, _) => std::future::pending().await,
            (Some(_), Some(_)) => self.shared.rang.notified().await,
            (Some(at), None) => tokio::time::sleep_until(at).await,
        }
        self.set = None;
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.shared.lock().quit = true;
        self.shared.changed.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn rings_at_the_time_set_and_not_before() {
        let mut alarm = Alarm::new();
        for _ in 0..20 {
            let at = Instant::now() + Duration::from_micros(1_700);
            alarm.set(Some(at));
            tokio::time::timeout(Duration::from_secs(5), alarm.rung())
                .await
                .expect("the alarm rang");
            assert!(Instant::now() >= at);
        }
    }

    #[tokio::test]
    async fn a_later_setting_replaces_an_earlier_one() {
        let mut alarm = Alarm::new();
        let start = Instant::now();
        alarm.set(Some(start + Duration::from_millis(5)));
        alarm.set(Some(start + Duration::from_millis(60)));
        tokio::time::timeout(Duration::from_secs(5), alarm.rung())
            .await
            .expect("the alarm rang");
        assert!(start.elapsed() >= Duration::from_millis(60));
        alarm.set(None);
        let never = tokio::time::timeout(Duration::from_millis(50), alarm.rung()).await;
        assert!(never.is_err(), "an alarm that is not set does not ring");
    }
}
