//! Where the time goes, kernel by kernel: with profiling on, every dispatch is submitted and
//! waited for on its own and its wall time is added to its kernel's total. The wait defeats
//! batching, so totals are for finding hot kernels, not for timing a step.
//!
//! A kernel's time includes the copies recorded since the previous dispatch (the staging of
//! its texel operands, uploads of its inputs).

use std::time::Instant;

use crate::gpu::Gpu;
use crate::kernel_times::{KernelTime, KernelTimes};

impl Gpu {
    /// Starts (or stops) per-kernel timing, clearing earlier totals.
    pub fn profile_kernels(&self, on: bool) {
        self.sync();
        *self.kernel_times() = on.then(KernelTimes::default);
    }

    /// Kernel totals since [`Gpu::profile_kernels`] turned profiling on, slowest first.
    pub fn kernel_profile(&self) -> Vec<KernelTime> {
        self.kernel_times()
            .as_ref()
            .map(KernelTimes::slowest_first)
            .unwrap_or_default()
    }

    /// For the dispatcher: the moment a profiled dispatch starts, or None when not profiling.
    pub(crate) fn profile_start(&self) -> Option<Instant> {
        self.kernel_times().is_some().then(Instant::now)
    }

    /// For the dispatcher: waits for the dispatch just recorded and books its time.
    pub(crate) fn profile_end(&self, start: Instant, shader: &str, entry: &str) {
        self.sync();
        let seconds = start.elapsed().as_secs_f64();
        if let Some(times) = self.kernel_times().as_mut() {
            times.book(shader, entry, seconds);
        }
    }
}
