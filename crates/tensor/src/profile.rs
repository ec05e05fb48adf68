//! Where the time goes, kernel by kernel: with profiling on, every dispatch is submitted and
//! waited for on its own and its wall time is added to its kernel's total. The wait defeats
//! batching, so totals are for finding hot kernels, not for timing a step.
//!
//! A kernel's time includes the copies recorded since the previous dispatch (the staging of
//! its texel operands, uploads of its inputs).

use std::collections::HashMap;
use std::time::Instant;

use crate::Gpu;

/// One kernel's share: `shader::entry`, how often it ran and its summed wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTime {
    pub kernel: String,
    pub dispatches: u64,
    pub seconds: f64,
}

#[derive(Default)]
pub(crate) struct Profile {
    totals: HashMap<String, (u64, f64)>,
}

impl Gpu {
    /// Starts (or stops) per-kernel timing, clearing earlier totals.
    pub fn profile_kernels(&self, on: bool) {
        self.sync();
        *self.0.profile.lock().unwrap() = on.then(Profile::default);
    }

    /// Kernel totals since [`Gpu::profile_kernels`] turned profiling on, slowest first.
    pub fn kernel_profile(&self) -> Vec<KernelTime> {
        let guard = self.0.profile.lock().unwrap();
        let mut out: Vec<KernelTime> = guard
            .iter()
            .flat_map(|p| p.totals.iter())
            .map(|(k, &(n, s))| KernelTime {
                kernel: k.clone(),
                dispatches: n,
                seconds: s,
            })
            .collect();
        out.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        out
    }

    /// For the dispatcher: the moment a profiled dispatch starts, or None when not profiling.
    pub(crate) fn profile_start(&self) -> Option<Instant> {
        self.0.profile.lock().unwrap().is_some().then(Instant::now)
    }

    /// For the dispatcher: waits for the dispatch just recorded and books its time.
    pub(crate) fn profile_end(&self, start: Instant, shader: &str, entry: &str) {
        self.sync();
        let seconds = start.elapsed().as_secs_f64();
        if let Some(p) = self.0.profile.lock().unwrap().as_mut() {
            let t = p.totals.entry(format!("{shader}::{entry}")).or_default();
            t.0 += 1;
            t.1 += seconds;
        }
    }
}
