//! The per-epoch progress bar (on stderr): steps done, the latest losses, μ and samples per
//! second. Hidden with `--quiet`, and by indicatif itself when stderr is not a terminal.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::history::HistoryRow;

pub struct EpochProgress {
    bar: ProgressBar,
    start: Instant,
    batch: usize,
}

impl EpochProgress {
    /// `steps` is the expected number of steps (the bar grows if the epoch runs longer).
    pub fn new(epoch: usize, epochs: usize, steps: usize, batch: usize, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(steps as u64)
        };
        let style = ProgressStyle::with_template(
            "epoch {prefix} [{bar:24}] {pos}/{len} {elapsed_precise}<{eta_precise} {msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{epoch}/{epochs}"));
        bar.enable_steady_tick(Duration::from_millis(500));
        EpochProgress {
            bar,
            start: Instant::now(),
            batch,
        }
    }

    /// Called with the latest logged row and how many steps of this epoch are done.
    pub fn update(&self, steps_done: usize, last: &HistoryRow) {
        if self.bar.length().is_some_and(|len| steps_done as u64 > len) {
            self.bar.set_length(steps_done as u64);
        }
        self.bar.set_position(steps_done as u64);
        self.bar.set_message(format!(
            "ele {:.4} kl {:.4} adv {:.4} fea {:.4} μ {:.3} | {:.1} samples/s",
            last.l_ele,
            last.l_kl,
            last.l_adv,
            last.l_fea,
            last.mu,
            self.samples_per_sec(steps_done)
        ));
    }

    pub fn samples_per_sec(&self, steps_done: usize) -> f64 {
        (steps_done * self.batch) as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    /// Removes the bar (the caller prints the epoch summary).
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
