//! Adam over one parameter group, on the engine's fused update kernel
//! (`dvaan_tensor::ops::adam::adam_step`, `shaders/adam.wgsl`).

use dvaan_tensor::ops::adam::adam_step;
pub use dvaan_tensor::ops::adam::AdamConfig;
use dvaan_tensor::Tensor;

use crate::{Gradients, Param};

/// One optimiser per network: it holds the first and second moments `m`, `v` of each of
/// its parameters and the step count `t` (bias correction uses `t ≥ 1`).
pub struct Adam {
    pub config: AdamConfig,
    names: Vec<String>,
    params: Vec<Param>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    steps: u32,
}

impl Adam {
    pub fn new(params: Vec<(String, Param)>, config: AdamConfig) -> Adam {
        let (names, params): (Vec<String>, Vec<Param>) = params.into_iter().unzip();
        let zeros = |p: &Param| Tensor::zeros(p.value().gpu(), p.shape());
        let m = params.iter().map(zeros).collect();
        let v = params.iter().map(zeros).collect();
        Adam {
            config,
            names,
            params,
            m,
            v,
            steps: 0,
        }
    }

    /// The group, in order: pass it to [`Tape::backward`](crate::Tape::backward).
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// One update of every parameter that has a gradient in `grads` (a parameter the loss
    /// did not reach is left alone, like PyTorch leaves a parameter whose `grad` is None).
    pub fn step(&mut self, grads: &Gradients) {
        self.steps += 1;
        for ((p, m), v) in self.params.iter().zip(&self.m).zip(&self.v) {
            if let Some(g) = grads.get(p) {
                adam_step(p.value(), g, m, v, self.steps, &self.config);
                p.mark_updated();
            }
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Restores the step count from a checkpoint.
    pub fn set_steps(&mut self, steps: u32) {
        self.steps = steps;
    }

    /// The moments as `("<name>.m", m)` and `("<name>.v", v)`, sharing storage with the
    /// optimiser: read them to save a checkpoint, `write` into them to restore one.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.names.len());
        for ((name, m), v) in self.names.iter().zip(&self.m).zip(&self.v) {
            out.push((format!("{name}.m"), m.clone()));
            out.push((format!("{name}.v"), v.clone()));
        }
        out
    }
}
