//! The fused Adam update, in place on the parameter and its two moment buffers.
//! Kernel: `shaders/adam.wgsl`. CPU reference: [`reference`].
//!
//! At step `t ≥ 1`, with `g = grad + weight_decay · param` (L2 decay, as PyTorch's `Adam`):
//! `m ← β1 m + (1 - β1) g`, `v ← β2 v + (1 - β2) g²`,
//! `param ← param - lr · m̂ / (√v̂ + eps)` with `m̂ = m / (1 - β1^t)`, `v̂ = v / (1 - β2^t)`.
//! The bias corrections depend only on `t`, so they are folded on the CPU (in f64) into
//! `step_size = lr / (1 - β1^t)` and `1 / √(1 - β2^t)`; the kernel reads each of param, grad,
//! m, v once and writes param, m, v once, four elements per invocation (vec4), with a second
//! small dispatch for the last `n % 4` elements. [`adam_step_range`] updates part of the
//! tensors, so an optimiser that keeps a network's parameters side by side in flat buffers
//! updates them all in one dispatch. It reads its inputs from the buffers on every adapter:
//! it reads each once, and every input changes between two updates, so reading texels on
//! CPU adapters (as other memory-bound kernels do) would stage four whole networks each
//! step, which cost more than the texel reads saved (docs/PERFORMANCE.md).

use std::ops::Range;

use crate::{grid_1d, Dispatch, Shader, Tensor};

const SHADER: Shader = crate::shader!("adam");
const WG: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
}

impl Default for AdamConfig {
    /// PyTorch's defaults.
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    first: u32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    inv_sqrt_bc2: f32,
}

/// One Adam step at step number `step` (1 for the first update), updating `param`, `m` and
/// `v` in place.
pub fn adam_step(
    param: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
    step: u32,
    cfg: &AdamConfig,
) {
    adam_step_range(param, grad, m, v, 0..param.numel(), step, cfg);
}

/// [`adam_step`] on elements `range` only, leaving the others alone: one dispatch updates
/// many parameters that lie side by side in flat buffers (an optimiser's whole network), each
/// element with the same arithmetic as a step of its own tensor. Four elements per
/// invocation from the first multiple of four in `range`, one per invocation around them.
pub fn adam_step_range(
    param: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
    range: Range<usize>,
    step: u32,
    cfg: &AdamConfig,
) {
    for (name, t) in [("grad", grad), ("m", m), ("v", v)] {
        assert_eq!(
            t.shape(),
            param.shape(),
            "adam_step: {name} {:?} vs param {:?}",
            t.shape(),
            param.shape()
        );
    }
    assert!(
        range.start <= range.end && range.end <= param.numel(),
        "adam_step: range {range:?} outside {} elements",
        param.numel()
    );
    assert!(
        step >= 1,
        "adam_step: steps count from 1 (bias correction divides by 1 - beta^t)"
    );
    let t = step as i32;
    let bc1 = 1.0 - (cfg.beta1 as f64).powi(t);
    let bc2 = 1.0 - (cfg.beta2 as f64).powi(t);
    let quads = range.start.next_multiple_of(4).min(range.end) / 4..range.end / 4;
    let params = |first: usize, end: usize| Params {
        n: end as u32,
        first: first as u32,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        eps: cfg.eps,
        weight_decay: cfg.weight_decay,
        step_size: (cfg.lr as f64 / bc1) as f32,
        inv_sqrt_bc2: (1.0 / bc2.sqrt()) as f32,
    };
    let gpu = param.gpu();
    let dispatch = |entry, params: &Params| {
        Dispatch::new(&SHADER, entry)
            .params(params)
            .arg(param)
            .arg(grad)
            .arg(m)
            .arg(v)
    };
    if !quads.is_empty() {
        dispatch("adam_step4", &params(quads.start, quads.end))
            .groups(grid_1d(quads.len(), WG))
            .run(gpu);
    }
    // The elements before the first whole quad and after the last.
    let (head, tail) = if quads.is_empty() {
        (range.clone(), range.end..range.end)
    } else {
        (range.start..quads.start * 4, quads.end * 4..range.end)
    };
    for part in [head, tail] {
        if !part.is_empty() {
            dispatch("adam_step", &params(part.start, part.end))
                .groups([1, 1, 1])
                .run(gpu);
        }
    }
}

/// The textbook form in f64, updating the slices in place.
pub mod reference {
    use super::AdamConfig;

    pub fn adam_step(
        param: &mut [f64],
        grad: &[f64],
        m: &mut [f64],
        v: &mut [f64],
        step: u32,
        cfg: &AdamConfig,
    ) {
        let (b1, b2) = (cfg.beta1 as f64, cfg.beta2 as f64);
        let t = step as i32;
        for i in 0..param.len() {
            let g = grad[i] + cfg.weight_decay as f64 * param[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let m_hat = m[i] / (1.0 - b1.powi(t));
            let v_hat = v[i] / (1.0 - b2.powi(t));
            param[i] -= cfg.lr as f64 * m_hat / (v_hat.sqrt() + cfg.eps as f64);
        }
    }
}
