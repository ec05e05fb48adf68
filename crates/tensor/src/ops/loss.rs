//! Losses, each returning its batch mean as a `[1]` tensor, and their gradients.
//! Kernel: `shaders/loss.wgsl`. CPU reference: [`reference`].
//!
//! With per-element terms `t_i`, a loss is `(1 / count) Σ_i t_i`, where `count` is the
//! number of elements (N for per-sample losses, N·D for `bce` and `mse`).
//!
//! - `bce_with_logits`: `t = w (max(l, 0) - l y + log(1 + e^{-|l|}))`, the form that never
//!   overflows (finite for |l| up to f32's range); `dt/dl = w (σ(l) - y)`.
//! - `bce` on probabilities q clamped to `[BCE_CLAMP, 1 - BCE_CLAMP]`:
//!   `t = -(y ln q + (1 - y) ln(1 - q))`, `dt/dq = (q - y) / (q (1 - q))`, also at the clamp
//!   (the gradient passes straight through it, so a saturated output can still learn).
//! - `mse`: `t = (x - y)²`, `dt/dx = 2 (x - y)`.
//! - `focal_with_logits` (targets 0/1): with `s = (2y - 1) l`, `q = σ(s)` (= p_t) and
//!   `ls = ln σ`, `t = -α_t (1 - q)^γ ln q = -α_t e^{γ ls(-s)} ls(s)`, α_t = α for y = 1 and
//!   1 - α for y = 0. Since `ls'(s) = 1 - q` and `d ls(-s)/ds = -q`:
//!   `dt/dl = (2y - 1) α_t (1 - q)^γ (γ q ln q - (1 - q))`.
//!
//! `bce_with_logits_scaled` gives `factor` times the mean from the same kernels (the factor
//! folded into the `1 / count` they apply), so a weighted loss costs no scale dispatch.
//!
//! Forward sums are reduced in a fixed order (no atomics), so they are bit-reproducible.
//! Backward kernels read the upstream `dloss` `[1]` on the GPU.

use crate::{grid_1d, shader, Dispatch, Shader, Tensor};

const SHADER: Shader = shader!("loss");
const WG: u32 = 256;
/// Terms per invocation in the forward pass (`ITEMS` in the shader).
const ITEMS: usize = 16;

/// Probabilities are clamped to `[BCE_CLAMP, 1 - BCE_CLAMP]` before their logarithm.
pub const BCE_CLAMP: f32 = 1e-7;

const BCE_LOGITS: u32 = 0;
const BCE: u32 = 1;
const MSE: u32 = 2;
const FOCAL: u32 = 3;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    groups: u32,
    weighted: u32,
    scale: f32,
    a: f32,
    b: f32,
    _pad: [u32; 2],
}

/// What distinguishes one loss from another, besides its inputs.
struct Spec<'a> {
    op: u32,
    aux: Option<&'a Tensor>,
    weighted: bool,
    count: usize,
    /// The loss is `factor` times the mean (1 but for `bce_with_logits_scaled`).
    factor: f32,
    a: f32,
    b: f32,
}

impl Spec<'_> {
    fn params(&self, n: usize, groups: usize) -> Params {
        Params {
            n: n as u32,
            groups: groups as u32,
            weighted: self.weighted as u32,
            scale: (self.factor as f64 / self.count as f64) as f32,
            a: self.a,
            b: self.b,
            _pad: [0; 2],
        }
    }
}

fn forward(name: &str, x: &Tensor, y: &Tensor, spec: Spec) -> Tensor {
    assert!(x.numel() > 0, "{name}: empty input {:?}", x.shape());
    let gpu = x.gpu();
    let n = x.numel();
    let groups = n.div_ceil(WG as usize * ITEMS);
    let params = spec.params(n, groups);
    let partials = Tensor::uninit(gpu, &[groups]);
    Dispatch::new(&SHADER, "forward")
        .constant("OP", spec.op as f64)
        .params(&params)
        .arg(x)
        .arg(y)
        .arg(spec.aux.unwrap_or(x)) // unused by this OP, but the binding must be filled
        .arg(&partials)
        .groups(grid_1d(groups, 1))
        .run(gpu);
    if groups == 1 {
        // The one workgroup wrote the mean.
        return partials;
    }
    let mean = Tensor::uninit(gpu, &[1]);
    Dispatch::new(&SHADER, "finish")
        .params(&params)
        .arg(&partials)
        .arg(&mean)
        .groups([1, 1, 1])
        .run(gpu);
    mean
}

fn backward(name: &str, x: &Tensor, y: &Tensor, dloss: &Tensor, spec: Spec) -> Tensor {
    backward_into(name, x, y, dloss, spec, None)
}

/// The gradient of x, and with `negated` its negation written there too, in one dispatch.
fn backward_into(
    name: &str,
    x: &Tensor,
    y: &Tensor,
    dloss: &Tensor,
    spec: Spec,
    negated: Option<&Tensor>,
) -> Tensor {
    assert_eq!(
        dloss.numel(),
        1,
        "{name}: dloss {:?} must hold one value",
        dloss.shape()
    );
    let gpu = x.gpu();
    let n = x.numel();
    let dx = Tensor::uninit(gpu, x.shape());
    let entry = if negated.is_some() {
        "backward_both"
    } else {
        "backward"
    };
    Dispatch::new(&SHADER, entry)
        .constant("OP", spec.op as f64)
        .params(&spec.params(n, 0))
        .arg(x)
        .arg(y)
        .arg(spec.aux.unwrap_or(x))
        .arg(dloss)
        .arg(&dx)
        .arg_if(negated)
        .groups(grid_1d(n, WG))
        .run(gpu);
    dx
}

fn same_shape(name: &str, a: &Tensor, b: &Tensor, what: &str) {
    assert_eq!(
        a.shape(),
        b.shape(),
        "{name}: {what} {:?} vs {:?}",
        a.shape(),
        b.shape()
    );
}

fn bce_logits_spec<'a>(
    name: &str,
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&'a Tensor>,
    factor: f32,
) -> Spec<'a> {
    same_shape(name, logits, targets, "logits vs targets");
    if let Some(w) = weights {
        same_shape(name, logits, w, "logits vs weights");
    }
    Spec {
        op: BCE_LOGITS,
        aux: weights,
        weighted: weights.is_some(),
        count: logits.numel(),
        factor,
        a: 0.0,
        b: 0.0,
    }
}

/// Mean of (optionally weighted) binary cross-entropy on logits.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor, weights: Option<&Tensor>) -> Tensor {
    bce_with_logits_scaled(logits, targets, weights, 1.0)
}

pub fn bce_with_logits_backward(
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&Tensor>,
    dloss: &Tensor,
) -> Tensor {
    bce_with_logits_scaled_backward(logits, targets, weights, 1.0, dloss)
}

/// `factor` times [`bce_with_logits`], in the same dispatches.
pub fn bce_with_logits_scaled(
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&Tensor>,
    factor: f32,
) -> Tensor {
    let spec = bce_logits_spec("bce_with_logits", logits, targets, weights, factor);
    forward("bce_with_logits", logits, targets, spec)
}

/// The gradient of [`bce_with_logits_scaled`] for the upstream `dloss` `[1]`.
pub fn bce_with_logits_scaled_backward(
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&Tensor>,
    factor: f32,
    dloss: &Tensor,
) -> Tensor {
    let spec = bce_logits_spec("bce_with_logits_backward", logits, targets, weights, factor);
    backward("bce_with_logits_backward", logits, targets, dloss, spec)
}

fn bce_spec<'a>(name: &str, probs: &Tensor, targets: &Tensor) -> Spec<'a> {
    same_shape(name, probs, targets, "probs vs targets");
    Spec {
        op: BCE,
        aux: None,
        weighted: false,
        count: probs.numel(),
        factor: 1.0,
        a: BCE_CLAMP,
        b: 1.0 - BCE_CLAMP,
    }
}

/// Mean binary cross-entropy of probabilities (clamped) against targets in [0, 1].
pub fn bce(probs: &Tensor, targets: &Tensor) -> Tensor {
    forward("bce", probs, targets, bce_spec("bce", probs, targets))
}

pub fn bce_backward(probs: &Tensor, targets: &Tensor, dloss: &Tensor) -> Tensor {
    backward(
        "bce_backward",
        probs,
        targets,
        dloss,
        bce_spec("bce_backward", probs, targets),
    )
}

fn mse_spec<'a>(name: &str, pred: &Tensor, target: &Tensor) -> Spec<'a> {
    same_shape(name, pred, target, "pred vs target");
    Spec {
        op: MSE,
        aux: None,
        weighted: false,
        count: pred.numel(),
        factor: 1.0,
        a: 0.0,
        b: 0.0,
    }
}

/// Mean squared error over all elements.
pub fn mse(pred: &Tensor, target: &Tensor) -> Tensor {
    forward("mse", pred, target, mse_spec("mse", pred, target))
}

pub fn mse_backward(pred: &Tensor, target: &Tensor, dloss: &Tensor) -> Tensor {
    backward(
        "mse_backward",
        pred,
        target,
        dloss,
        mse_spec("mse_backward", pred, target),
    )
}

/// `(d/dpred, d/dtarget)` of [`mse`] in one dispatch: the loss is symmetric up to sign, so
/// the target's gradient is the prediction's negated.
pub fn mse_backward_both(pred: &Tensor, target: &Tensor, dloss: &Tensor) -> (Tensor, Tensor) {
    let name = "mse_backward_both";
    let dtarget = Tensor::uninit(pred.gpu(), pred.shape());
    let spec = mse_spec(name, pred, target);
    let dpred = backward_into(name, pred, target, dloss, spec, Some(&dtarget));
    (dpred, dtarget)
}

fn focal_spec<'a>(
    name: &str,
    logits: &Tensor,
    targets: &Tensor,
    gamma: f32,
    alpha: f32,
) -> Spec<'a> {
    same_shape(name, logits, targets, "logits vs targets");
    assert!(
        gamma >= 0.0 && (0.0..=1.0).contains(&alpha),
        "{name}: gamma {gamma} alpha {alpha}"
    );
    Spec {
        op: FOCAL,
        aux: None,
        weighted: false,
        count: logits.numel(),
        factor: 1.0,
        a: gamma,
        b: alpha,
    }
}

/// Mean focal loss on logits with 0/1 targets.
pub fn focal_with_logits(logits: &Tensor, targets: &Tensor, gamma: f32, alpha: f32) -> Tensor {
    let spec = focal_spec("focal_with_logits", logits, targets, gamma, alpha);
    forward("focal_with_logits", logits, targets, spec)
}

pub fn focal_with_logits_backward(
    logits: &Tensor,
    targets: &Tensor,
    gamma: f32,
    alpha: f32,
    dloss: &Tensor,
) -> Tensor {
    let spec = focal_spec("focal_with_logits_backward", logits, targets, gamma, alpha);
    backward("focal_with_logits_backward", logits, targets, dloss, spec)
}

/// Plain f64 versions: each forward returns the mean, each backward the gradient for a given
/// upstream `dloss`.
pub mod reference {
    use super::BCE_CLAMP;

    fn mean(terms: impl Iterator<Item = f64>, count: usize) -> f64 {
        terms.sum::<f64>() / count as f64
    }

    fn sigmoid(s: f64) -> f64 {
        if s >= 0.0 {
            1.0 / (1.0 + (-s).exp())
        } else {
            s.exp() / (1.0 + s.exp())
        }
    }

    fn log_sigmoid(s: f64) -> f64 {
        -((-s).max(0.0) + (-s.abs()).exp().ln_1p())
    }

    fn weight(w: Option<&[f64]>, i: usize) -> f64 {
        w.map_or(1.0, |w| w[i])
    }

    pub fn bce_with_logits(l: &[f64], y: &[f64], w: Option<&[f64]>) -> f64 {
        let terms = (0..l.len())
            .map(|i| weight(w, i) * (l[i].max(0.0) - l[i] * y[i] + (-l[i].abs()).exp().ln_1p()));
        mean(terms, l.len())
    }

    pub fn bce_with_logits_backward(
        l: &[f64],
        y: &[f64],
        w: Option<&[f64]>,
        dloss: f64,
    ) -> Vec<f64> {
        let g = dloss / l.len() as f64;
        (0..l.len())
            .map(|i| g * weight(w, i) * (sigmoid(l[i]) - y[i]))
            .collect()
    }

    fn clamp_prob(q: f64) -> f64 {
        q.clamp(BCE_CLAMP as f64, (1.0 - BCE_CLAMP) as f64)
    }

    pub fn bce(q: &[f64], y: &[f64]) -> f64 {
        let terms = (0..q.len()).map(|i| {
            let c = clamp_prob(q[i]);
            -(y[i] * c.ln() + (1.0 - y[i]) * (1.0 - c).ln())
        });
        mean(terms, q.len())
    }

    pub fn bce_backward(q: &[f64], y: &[f64], dloss: f64) -> Vec<f64> {
        let g = dloss / q.len() as f64;
        (0..q.len())
            .map(|i| {
                let c = clamp_prob(q[i]);
                g * (c - y[i]) / (c * (1.0 - c))
            })
            .collect()
    }

    pub fn mse(x: &[f64], y: &[f64]) -> f64 {
        mean((0..x.len()).map(|i| (x[i] - y[i]).powi(2)), x.len())
    }

    pub fn mse_backward(x: &[f64], y: &[f64], dloss: f64) -> Vec<f64> {
        let g = dloss / x.len() as f64;
        (0..x.len()).map(|i| g * 2.0 * (x[i] - y[i])).collect()
    }

    /// `s = (2y - 1) l` and `α_t` for a 0/1 target.
    fn focal_sign(l: f64, y: f64, alpha: f64) -> (f64, f64, f64) {
        if y > 0.5 {
            (1.0, l, alpha)
        } else {
            (-1.0, -l, 1.0 - alpha)
        }
    }

    pub fn focal_with_logits(l: &[f64], y: &[f64], gamma: f64, alpha: f64) -> f64 {
        let terms = (0..l.len()).map(|i| {
            let (_, s, alpha_t) = focal_sign(l[i], y[i], alpha);
            -alpha_t * (gamma * log_sigmoid(-s)).exp() * log_sigmoid(s)
        });
        mean(terms, l.len())
    }

    pub fn focal_with_logits_backward(
        l: &[f64],
        y: &[f64],
        gamma: f64,
        alpha: f64,
        dloss: f64,
    ) -> Vec<f64> {
        let g = dloss / l.len() as f64;
        (0..l.len())
            .map(|i| {
                let (sign, s, alpha_t) = focal_sign(l[i], y[i], alpha);
                let q = sigmoid(s);
                let dfl = alpha_t
                    * (gamma * log_sigmoid(-s)).exp()
                    * (gamma * q * log_sigmoid(s) - sigmoid(-s));
                g * sign * dfl
            })
            .collect()
    }
}
