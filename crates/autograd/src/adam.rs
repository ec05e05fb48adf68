//! Adam over one parameter group, on the engine's fused update kernel
//! (`dvaan_tensor::ops::adam`, `shaders/adam.wgsl`).
//!
//! The group's parameters and moments live side by side in flat buffers, each parameter's
//! segment at an offset a view may start at, so one dispatch updates the whole group in
//! place: the optimiser moves each parameter's storage into its segment when it is made
//! ([`Tensor::relocate_into`]; the layers' handles follow), and each step only copies the
//! gradients into a flat buffer of the same layout (plain buffer copies, no kernel). Every
//! element sees the arithmetic a step of its own tensor would; the padding between segments
//! (which starts each segment at a whole texel, at least) holds zeros, which the update
//! keeps zero. A parameter that lives elsewhere already (another optimiser moved it) is
//! copied in before the update and back after it instead; one listed twice is updated once.

use std::ops::Range;

use dvaan_tensor::ops::adam::adam_step_range;
pub use dvaan_tensor::ops::adam::AdamConfig;
use dvaan_tensor::Tensor;

use crate::{Gradients, Param};

/// One optimiser per network: it holds the first and second moments `m`, `v` of each of
/// its parameters and the step count `t` (bias correction uses `t ≥ 1`).
pub struct Adam {
    pub config: AdamConfig,
    names: Vec<String>,
    params: Vec<Param>,
    /// Where each parameter's elements start in the flat buffers.
    offsets: Vec<usize>,
    /// Where each parameter's values live during a step.
    placement: Vec<Placement>,
    /// None for an empty group.
    flat: Option<Flat>,
    steps: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Placement {
    /// In its segment of the flat buffer: updated in place.
    Resident,
    /// Elsewhere (another optimiser moved it first): copied in before the update, back after.
    Copied,
    /// Listed earlier in this group too: updated there, once, and skipped here.
    Repeated,
}

/// The group laid out flat: the moments (the optimiser's state), and the buffers each step
/// gathers the parameters and their gradients into.
struct Flat {
    param: Tensor,
    grad: Tensor,
    m: Tensor,
    v: Tensor,
}

impl Adam {
    pub fn new(params: Vec<(String, Param)>, config: AdamConfig) -> Adam {
        let (names, params): (Vec<String>, Vec<Param>) = params.into_iter().unzip();
        let mut offsets = Vec::with_capacity(params.len());
        let mut len = 0;
        let flat = params.first().map(|first| {
            let gpu = first.value().gpu();
            let align = Tensor::view_alignment(gpu);
            for p in &params {
                offsets.push(len);
                len = (len + p.value().numel()).next_multiple_of(align);
            }
            let zeros = || Tensor::zeros(gpu, &[len]);
            Flat {
                param: zeros(),
                grad: zeros(),
                m: zeros(),
                v: zeros(),
            }
        });
        let mut placement = Vec::with_capacity(params.len());
        if let Some(f) = &flat {
            for (i, (p, &at)) in params.iter().zip(&offsets).enumerate() {
                let value = p.value();
                placement.push(
                    if params[..i].iter().any(|q| q.value().same_storage(value)) {
                        Placement::Repeated
                    } else if value.relocate_into(&f.param.view(at, p.shape())) {
                        Placement::Resident
                    } else {
                        Placement::Copied
                    },
                );
            }
        }
        Adam {
            config,
            names,
            params,
            offsets,
            placement,
            flat,
            steps: 0,
        }
    }

    /// The group, in order: pass it to [`Tape::backward`](crate::Tape::backward).
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// One update of every parameter that has a gradient in `grads` (a parameter the loss
    /// did not reach is left alone, like PyTorch leaves a parameter whose `grad` is None).
    /// One dispatch per run of neighbouring parameters that have one: one in all when every
    /// parameter does.
    pub fn step(&mut self, grads: &Gradients) {
        self.steps += 1;
        let Some(f) = &self.flat else { return };
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut joins_run = false;
        let placed = self.params.iter().zip(&self.offsets).zip(&self.placement);
        for ((p, &at), &placement) in placed {
            let g = grads.get(p).filter(|_| placement != Placement::Repeated);
            let Some(g) = g else {
                joins_run = false;
                continue;
            };
            let n = p.value().numel();
            f.grad.copy_region(at, g, 0, n);
            if placement == Placement::Copied {
                f.param.copy_region(at, p.value(), 0, n);
            }
            // Through the padding to a whole quad, so that no run ends in a scalar dispatch.
            let end = (at + n).next_multiple_of(4);
            match runs.last_mut() {
                Some(run) if joins_run => run.end = end,
                _ => runs.push(at..end),
            }
            joins_run = true;
        }
        for run in runs {
            adam_step_range(&f.param, &f.grad, &f.m, &f.v, run, self.steps, &self.config);
        }
        let placed = self.params.iter().zip(&self.offsets).zip(&self.placement);
        for ((p, &at), &placement) in placed {
            if grads.get(p).is_none() || placement == Placement::Repeated {
                continue;
            }
            if placement == Placement::Copied {
                p.value().copy_region(0, &f.param, at, p.value().numel());
            }
            p.mark_updated();
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

    /// The moments as `("<name>.m", m)` and `("<name>.v", v)`, views of the optimiser's flat
    /// buffers: read them to save a checkpoint, `write` into them to restore one.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.names.len());
        let Some(f) = &self.flat else { return out };
        for ((name, p), &at) in self.names.iter().zip(&self.params).zip(&self.offsets) {
            out.push((format!("{name}.m"), f.m.view(at, p.shape())));
            out.push((format!("{name}.v"), f.v.view(at, p.shape())));
        }
        out
    }
}
