//! The per-epoch progress bar (on stderr): steps the GPU has finished, the time left and
//! samples per second from them, and the latest losses and μ as they are read back. Hidden
//! with `--quiet`, and by indicatif itself when stderr is not a terminal.
//!
//! The position follows a count of finished steps (see [`crate::train::FinishedSteps`])
//! that a watcher thread reads a few times a second, so the bar moves every step although
//! losses are read back only every `log_every` steps.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use super::history::HistoryRow;

/// How often the watcher reads the count of finished steps.
const WATCH_EVERY: Duration = Duration::from_millis(100);

pub struct EpochProgress {
    bar: ProgressBar,
    start: Instant,
    batch: usize,
    watcher: Option<Watcher>,
}

struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl EpochProgress {
    /// `steps` is the expected number of steps (the bar grows if the epoch runs longer);
    /// `finished` returns how many steps of this epoch the GPU has finished, and is called
    /// from another thread while the bar is shown.
    pub fn new(
        epoch: usize,
        epochs: usize,
        steps: usize,
        batch: usize,
        quiet: bool,
        finished: impl Fn() -> usize + Send + 'static,
    ) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(steps as u64)
        };
        let style = ProgressStyle::with_template(
            "epoch {prefix} [{bar:24}] {pos}/{len} {elapsed_precise}<{left} {rate} {msg}",
        )
        .expect("the template is valid")
        .with_key("left", time_left)
        .with_key(
            "rate",
            move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let rate = (state.pos() as usize * batch) as f64 / seconds(state);
                let _ = write!(w, "{rate:.1} samples/s");
            },
        )
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{epoch}/{epochs}"));
        bar.enable_steady_tick(Duration::from_millis(500));
        let watcher = (!quiet).then(|| watch(bar.clone(), finished));
        EpochProgress {
            bar,
            start: Instant::now(),
            batch,
            watcher,
        }
    }

    /// Called with the latest logged row and how many steps of this epoch are done.
    pub fn update(&self, steps_done: usize, last: &HistoryRow) {
        advance(&self.bar, steps_done);
        self.bar.set_message(format!(
            "| ele {:.4} kl {:.4} adv {:.4} fea {:.4} μ {:.3}",
            last.l_ele, last.l_kl, last.l_adv, last.l_fea, last.mu,
        ));
    }

    pub fn samples_per_sec(&self, steps_done: usize) -> f64 {
        (steps_done * self.batch) as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    /// Removes the bar (the caller prints the epoch summary).
    pub fn finish(mut self) {
        self.stop_watching();
        self.bar.finish_and_clear();
    }

    fn stop_watching(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.stop.store(true, Ordering::Relaxed);
            // A watcher that panicked only stops moving the bar; training goes on.
            let _ = w.thread.join();
        }
    }
}

impl Drop for EpochProgress {
    fn drop(&mut self) {
        self.stop_watching();
    }
}

fn watch(bar: ProgressBar, finished: impl Fn() -> usize + Send + 'static) -> Watcher {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            advance(&bar, finished());
            std::thread::sleep(WATCH_EVERY);
        }
    });
    Watcher { stop, thread }
}

/// Moves the bar forward to `steps_done` (never back: the watcher and the log both move it).
fn advance(bar: &ProgressBar, steps_done: usize) {
    let steps_done = steps_done as u64;
    if bar.length().is_some_and(|len| steps_done > len) {
        bar.set_length(steps_done);
    }
    if steps_done > bar.position() {
        bar.set_position(steps_done);
    }
}

fn seconds(state: &ProgressState) -> f64 {
    state.elapsed().as_secs_f64().max(1e-9)
}

/// The time left at the mean pace of the steps finished so far; unknown before the first.
fn time_left(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let (pos, len) = (state.pos(), state.len().unwrap_or(0));
    if pos == 0 {
        let _ = w.write_str("--:--:--");
        return;
    }
    let left = (seconds(state) / pos as f64 * len.saturating_sub(pos) as f64).round() as u64;
    let _ = write!(
        w,
        "{:02}:{:02}:{:02}",
        left / 3600,
        left / 60 % 60,
        left % 60
    );
}
