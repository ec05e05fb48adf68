//! The totals a kernel profile collects ([`Gpu::profile_kernels`](crate::Gpu::profile_kernels)):
//! per `shader::entry`, how often it ran and its summed wall time.

use std::collections::HashMap;

/// One kernel's share: `shader::entry`, how often it ran and its summed wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTime {
    pub kernel: String,
    pub dispatches: u64,
    pub seconds: f64,
}

#[derive(Default)]
pub(crate) struct KernelTimes {
    totals: HashMap<String, (u64, f64)>,
}

impl KernelTimes {
    /// Adds one dispatch of `shader::entry` that took `seconds`.
    pub fn book(&mut self, shader: &str, entry: &str, seconds: f64) {
        let t = self.totals.entry(format!("{shader}::{entry}")).or_default();
        t.0 += 1;
        t.1 += seconds;
    }

    /// The totals, slowest kernel first.
    pub fn slowest_first(&self) -> Vec<KernelTime> {
        let mut out: Vec<KernelTime> = self
            .totals
            .iter()
            .map(|(k, &(n, s))| KernelTime {
                kernel: k.clone(),
                dispatches: n,
                seconds: s,
            })
            .collect();
        out.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        out
    }
}
