//! The progress line on stderr: pages done, queued, in flight, hosts ready,
//! pages/s. On a terminal it is one live line (`indicatif`); with
//! `--progress always` and no terminal (a log file under cron) it is a plain
//! line every few seconds. `auto` shows it only on a terminal. Never touches
//! stdout.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::ProgressMode;

/// How often a plain progress line is printed when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// A live status line, plain periodic lines, or nothing.
pub enum Progress {
    Off,
    Bar(ProgressBar),
    Lines(Mutex<Option<Instant>>),
}

/// The numbers shown.
pub struct Snapshot {
    pub done: u64,
    pub queued: usize,
    pub in_flight: usize,
    pub ready_hosts: usize,
    pub pages_per_s: f64,
}

impl Snapshot {
    fn text(&self) -> String {
        format!(
            "done {} | queued {} | in flight {} | ready hosts {} | {:.1} pages/s",
            self.done, self.queued, self.in_flight, self.ready_hosts, self.pages_per_s
        )
    }
}

impl Progress {
    pub fn new(mode: ProgressMode, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        match mode {
            ProgressMode::Never => Progress::Off,
            ProgressMode::Auto if quiet || !terminal => Progress::Off,
            ProgressMode::Always if !terminal => Progress::Lines(Mutex::new(None)),
            ProgressMode::Auto | ProgressMode::Always => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                {
                    bar.set_style(style);
                }
                Progress::Bar(bar)
            }
        }
    }

    pub fn enabled(&self) -> bool {
        !matches!(self, Progress::Off)
    }

    pub fn update(&self, s: &Snapshot) {
        match self {
            Progress::Off => {}
            Progress::Bar(bar) => {
                bar.set_message(s.text());
                bar.tick();
            }
            Progress::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_none_or(|t| t.elapsed() >= LINE_EVERY) {
                    *last = Some(Instant::now());
                    eprintln!("trawl: {}", s.text());
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
