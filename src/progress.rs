//! The progress line on stderr (`indicatif`): pages done, queued, in flight,
//! hosts ready, pages/s. Shown only when stderr is a terminal unless
//! `--progress always`; never touches stdout.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressMode;

/// A live status line, or nothing.
pub struct Progress(Option<ProgressBar>);

/// The numbers shown.
pub struct Snapshot {
    pub done: u64,
    pub queued: usize,
    pub in_flight: usize,
    pub ready_hosts: usize,
    pub pages_per_s: f64,
}

impl Progress {
    pub fn new(mode: ProgressMode, quiet: bool) -> Progress {
        let show = match mode {
            ProgressMode::Always => true,
            ProgressMode::Never => false,
            ProgressMode::Auto => !quiet && std::io::stderr().is_terminal(),
        };
        if !show {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}") {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    pub fn update(&self, s: &Snapshot) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "done {} | queued {} | in flight {} | ready hosts {} | {:.1} pages/s",
                s.done, s.queued, s.in_flight, s.ready_hosts, s.pages_per_s
            ));
            bar.tick();
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
