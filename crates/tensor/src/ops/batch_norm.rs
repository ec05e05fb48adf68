//! Batch normalisation, 1-d (`[N, C]`) and 2-d (`[N, C, H, W]`), training and eval forward
//! and the backward. Kernels: see below. CPU reference: [`reference`].
//!
//! Statistics are per channel c over its R = N·H·W values (R = N for 1-d):
//! ```text
//! mean = Σx / R,  var = Σ(x − mean)² / R,  inv_std = 1 / sqrt(var + eps)
//! y = (x − mean)·inv_std·gamma + beta
//! running_mean ← (1 − momentum)·running_mean + momentum·mean
//! running_var  ← (1 − momentum)·running_var  + momentum·var·R/(R − 1)
//! ```
//! (PyTorch's convention: the running variance is the unbiased estimate, normalisation uses
//! the biased one.) With R = 1 — a 1-d batch of one — the unbiased estimate does not exist;
//! we then feed the biased variance (0) into the running average instead of dividing by zero.
//! The variance is a second pass over the centred values, and both passes work on x − x0
//! (x0 the channel's first value), so mean, variance and y stay accurate when |mean| ≫ std,
//! where Σx² − R·mean² would cancel to noise. The f64 reference needs no such care.
//!
//! Backward, with `xhat = (x − mean)·inv_std`:
//! ```text
//! dbeta = Σ dy,  dgamma = Σ dy·xhat,  dx = gamma·inv_std·(dy − dbeta/R − xhat·dgamma/R)
//! ```
//! [`batch_norm_relu_train`] and [`batch_norm_relu_backward`] fuse a following ReLU into
//! the same dispatches (the forward stores `max(y, 0)`, the backward masks `dy` by the stored
//! output), as the models' "batch norm → ReLU" blocks use them.
//!
//! Training forward and backward are each one dispatch with one workgroup per channel,
//! [`reduction_width`] invocations wide; where H·W is a multiple of 4 their `…4` entries read
//! and write four neighbouring values at a time. Their passes (`shaders/prelude/
//! batch_norm_passes.wgsl`) read x and dy from storage buffers (`shaders/batch_norm.wgsl`),
//! or, where the adapter prefers texel reads ([`crate::Gpu::texel_reads`]), from staged
//! textures (`shaders/batch_norm_texel.wgsl`).

use crate::ops::reduce::reduction_width;
use crate::{grid_1d, Dispatch, Shader, Tensor, Texels, TEXELS_PER_ROW};

const SHADER: Shader = crate::composed_shader!("batch_norm");
const TEXEL: Shader = crate::composed_shader!("batch_norm_texel");
/// Workgroup size of the element-wise eval kernel.
const WG: u32 = 256;

/// Output of [`batch_norm_train`]: the normalised batch and the per-channel statistics
/// that [`batch_norm_backward`] needs.
#[derive(Debug, Clone)]
pub struct BatchNormTrain {
    pub y: Tensor,
    /// Batch mean per channel, `[C]`.
    pub mean: Tensor,
    /// `1 / sqrt(biased batch variance + eps)` per channel, `[C]`.
    pub inv_std: Tensor,
}

/// Gradients from [`batch_norm_backward`].
#[derive(Debug, Clone)]
pub struct BatchNormGrads {
    pub dx: Tensor,
    pub dgamma: Tensor,
    pub dbeta: Tensor,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    channels: u32,
    hw: u32,
    count: u32,
    batch: u32,
    momentum: f32,
    eps: f32,
    step_n: u32,
    step_i: u32,
    relu: u32,
    _pad: [u32; 3],
}

/// (N, C, HW) of a [N, C] or [N, C, H, W] input; panics naming `op` otherwise.
fn dims(op: &str, x: &Tensor) -> (usize, usize, usize) {
    let s = x.shape();
    match *s {
        [n, c] => (n, c, 1),
        [n, c, h, w] => (n, c, h * w),
        _ => panic!("{op}: x must be [N, C] or [N, C, H, W], got {s:?}"),
    }
}

fn check_channel_vectors(op: &str, x: &Tensor, c: usize, named: &[(&str, &Tensor)]) {
    for (name, t) in named {
        assert!(
            t.shape() == [c],
            "{op}: {name} must be [{c}] for x {:?}, got {:?}",
            x.shape(),
            t.shape()
        );
    }
    assert!(
        x.numel() < u32::MAX as usize,
        "{op}: {:?} is too large for 32-bit indexing",
        x.shape()
    );
}

/// Which of a kernel's two entries runs on planes of `hw` values, and the plane length its
/// walk steps through: `quads` (the `…4` entry, a quad per read and per write instead of a
/// value: about a quarter of the memory operations) where planes are whole quads.
fn pick_entry(scalar: &'static str, quads: &'static str, hw: usize) -> (&'static str, usize) {
    match hw.is_multiple_of(4) {
        true => (quads, hw / 4),
        false => (scalar, hw),
    }
}

/// A dispatch of training entry `entry` with its first bindings, the values it reads several
/// times: `inputs` from their buffers, or their `staged` copies on the texel twin.
fn reading<'a>(
    entry: &'a str,
    inputs: &[&'a Tensor],
    staged: Option<&'a [Texels]>,
) -> Dispatch<'a> {
    match staged {
        Some(views) => views.iter().fold(
            Dispatch::new(&TEXEL, entry).constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64),
            |d, v| d.texels(v),
        ),
        None => inputs
            .iter()
            .fold(Dispatch::new(&SHADER, entry), |d, t| d.arg(t)),
    }
}

/// `wg`: the workgroup size, whose strides the per-channel walk precomputes.
fn params(wg: u32, n: usize, c: usize, hw: usize, count: usize, momentum: f32, eps: f32) -> Params {
    let hw = hw.max(1) as u32;
    Params {
        channels: c as u32,
        hw,
        count: count as u32,
        batch: n as u32,
        momentum,
        eps,
        step_n: wg / hw,
        step_i: wg % hw,
        relu: 0,
        _pad: [0; 3],
    }
}

/// The shape checks both forwards share: x's `(N, C, H·W)`, and γ, β and the running
/// statistics each `[C]`.
fn check_forward(op: &str, x: &Tensor, vectors: [&Tensor; 4]) -> (usize, usize, usize) {
    let (n, c, hw) = dims(op, x);
    let names = ["gamma", "beta", "running_mean", "running_var"];
    let named: Vec<(&str, &Tensor)> = names.into_iter().zip(vectors).collect();
    check_channel_vectors(op, x, c, &named);
    (n, c, hw)
}

/// Training-mode forward: normalises with the batch statistics and updates
/// `running_mean` / `running_var` in place on the GPU.
pub fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    running_mean: &Tensor,
    running_var: &Tensor,
    momentum: f32,
    eps: f32,
) -> BatchNormTrain {
    let stats = [running_mean, running_var];
    train(
        "batch_norm_train",
        x,
        gamma,
        beta,
        stats,
        (momentum, eps),
        false,
    )
}

/// [`batch_norm_train`] followed by a ReLU in the same dispatch: `y` is `max(bn(x), 0)`,
/// bit for bit what the element-wise ReLU of [`batch_norm_train`]'s `y` gives.
pub fn batch_norm_relu_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    running_mean: &Tensor,
    running_var: &Tensor,
    momentum: f32,
    eps: f32,
) -> BatchNormTrain {
    let stats = [running_mean, running_var];
    train(
        "batch_norm_relu_train",
        x,
        gamma,
        beta,
        stats,
        (momentum, eps),
        true,
    )
}

fn train(
    op: &str,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    [running_mean, running_var]: [&Tensor; 2],
    (momentum, eps): (f32, f32),
    relu: bool,
) -> BatchNormTrain {
    let (n, c, hw) = check_forward(op, x, [gamma, beta, running_mean, running_var]);
    assert!(
        n * hw > 0,
        "{op}: no values per channel in x {:?}",
        x.shape()
    );
    let gpu = x.gpu();
    let y = Tensor::uninit(gpu, x.shape());
    let mean = Tensor::uninit(gpu, &[c]);
    let inv_std = Tensor::uninit(gpu, &[c]);
    let wg = reduction_width(gpu);
    let staged = gpu.texel_reads(&[x]);
    let (entry, walk) = pick_entry("bn_train", "bn_train4", hw);
    reading(entry, &[x], staged.as_deref())
        .constant("WG", wg as f64)
        .params(&Params {
            relu: relu as u32,
            ..params(wg, n, c, walk, n * hw, momentum, eps)
        })
        .arg(gamma)
        .arg(beta)
        .arg(running_mean)
        .arg(running_var)
        .arg(&y)
        .arg(&mean)
        .arg(&inv_std)
        .groups(grid_1d(c, 1))
        .run(gpu);
    BatchNormTrain { y, mean, inv_std }
}

/// Eval-mode forward with the running statistics.
pub fn batch_norm_eval(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    running_mean: &Tensor,
    running_var: &Tensor,
    eps: f32,
) -> Tensor {
    let (_, c, hw) = check_forward(
        "batch_norm_eval",
        x,
        [gamma, beta, running_mean, running_var],
    );
    let y = Tensor::uninit(x.gpu(), x.shape());
    Dispatch::new(&SHADER, "bn_eval")
        .constant("WG", WG as f64)
        .params(&params(WG, 0, c, hw, x.numel(), 0.0, eps))
        .arg(x)
        .arg(gamma)
        .arg(beta)
        .arg(running_mean)
        .arg(running_var)
        .arg(&y)
        .groups(grid_1d(x.numel(), WG))
        .run(x.gpu());
    y
}

/// Gradients of the training-mode forward, from its input `x`, the upstream gradient `dy`
/// and the `mean` / `inv_std` that [`batch_norm_train`] returned.
pub fn batch_norm_backward(
    x: &Tensor,
    dy: &Tensor,
    gamma: &Tensor,
    mean: &Tensor,
    inv_std: &Tensor,
) -> BatchNormGrads {
    backward("batch_norm_backward", x, dy, None, [gamma, mean, inv_std])
}

/// The backward of [`batch_norm_relu_train`], whose output was `out`: `dy` is first taken
/// through the ReLU (`dy·[out > 0]`), in the same dispatch; bit for bit the element-wise
/// ReLU backward followed by [`batch_norm_backward`].
pub fn batch_norm_relu_backward(
    x: &Tensor,
    out: &Tensor,
    dy: &Tensor,
    gamma: &Tensor,
    mean: &Tensor,
    inv_std: &Tensor,
) -> BatchNormGrads {
    let op = "batch_norm_relu_backward";
    assert_eq!(
        out.shape(),
        dy.shape(),
        "{op}: out {:?} and dy {:?} differ",
        out.shape(),
        dy.shape()
    );
    backward(op, x, dy, Some(out), [gamma, mean, inv_std])
}

fn backward(
    op: &str,
    x: &Tensor,
    dy: &Tensor,
    relu_out: Option<&Tensor>,
    [gamma, mean, inv_std]: [&Tensor; 3],
) -> BatchNormGrads {
    let (n, c, hw) = dims(op, x);
    assert_eq!(
        x.shape(),
        dy.shape(),
        "{op}: x {:?} and dy {:?} differ",
        x.shape(),
        dy.shape()
    );
    check_channel_vectors(
        op,
        x,
        c,
        &[("gamma", gamma), ("mean", mean), ("inv_std", inv_std)],
    );
    let gpu = x.gpu();
    let dx = Tensor::uninit(gpu, x.shape());
    let dgamma = Tensor::uninit(gpu, &[c]);
    let dbeta = Tensor::uninit(gpu, &[c]);
    if n * hw == 0 {
        dgamma.fill_zero();
        dbeta.fill_zero();
        return BatchNormGrads { dx, dgamma, dbeta };
    }
    let wg = reduction_width(gpu);
    let staged = gpu.texel_reads(&[x, dy]);
    let (entry, walk) = pick_entry("bn_backward", "bn_backward4", hw);
    reading(entry, &[x, dy], staged.as_deref())
        .constant("WG", wg as f64)
        .params(&Params {
            relu: relu_out.is_some() as u32,
            ..params(wg, n, c, walk, n * hw, 0.0, 0.0)
        })
        .arg(gamma)
        .arg(mean)
        .arg(inv_std)
        .arg(&dx)
        .arg(&dgamma)
        .arg(&dbeta)
        // Read only with a ReLU; dy stands in otherwise.
        .arg(relu_out.unwrap_or(dy))
        .groups(grid_1d(c, 1))
        .run(gpu);
    BatchNormGrads { dx, dgamma, dbeta }
}

/// Plain f64 versions of the kernels above. `shape` is [N, C] or [N, C, H, W].
pub mod reference {
    /// (C, HW, R): channels, values per sample and channel, values per channel.
    fn dims(shape: &[usize]) -> (usize, usize, usize) {
        let hw: usize = shape[2..].iter().product();
        (shape[1], hw, shape[0] * hw)
    }

    /// The R values of channel c, in the kernel's order.
    fn channel(shape: &[usize], c: usize) -> impl Iterator<Item = usize> {
        let (channels, hw, r) = dims(shape);
        (0..r).map(move |e| (e / hw) * channels * hw + c * hw + e % hw)
    }

    pub struct Train {
        pub y: Vec<f64>,
        pub mean: Vec<f64>,
        pub inv_std: Vec<f64>,
        pub running_mean: Vec<f64>,
        pub running_var: Vec<f64>,
    }

    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm_train(
        x: &[f64],
        shape: &[usize],
        gamma: &[f64],
        beta: &[f64],
        running_mean: &[f64],
        running_var: &[f64],
        momentum: f64,
        eps: f64,
    ) -> Train {
        let (channels, _, r) = dims(shape);
        let mut out = Train {
            y: vec![0.0; x.len()],
            mean: vec![0.0; channels],
            inv_std: vec![0.0; channels],
            running_mean: running_mean.to_vec(),
            running_var: running_var.to_vec(),
        };
        for c in 0..channels {
            let mean = channel(shape, c).map(|i| x[i]).sum::<f64>() / r as f64;
            let m2: f64 = channel(shape, c).map(|i| (x[i] - mean).powi(2)).sum();
            let biased = m2 / r as f64;
            let inv_std = 1.0 / (biased + eps).sqrt();
            for i in channel(shape, c) {
                out.y[i] = (x[i] - mean) * inv_std * gamma[c] + beta[c];
            }
            let unbiased = if r > 1 { m2 / (r - 1) as f64 } else { biased };
            out.mean[c] = mean;
            out.inv_std[c] = inv_std;
            out.running_mean[c] = (1.0 - momentum) * running_mean[c] + momentum * mean;
            out.running_var[c] = (1.0 - momentum) * running_var[c] + momentum * unbiased;
        }
        out
    }

    pub fn batch_norm_eval(
        x: &[f64],
        shape: &[usize],
        gamma: &[f64],
        beta: &[f64],
        running_mean: &[f64],
        running_var: &[f64],
        eps: f64,
    ) -> Vec<f64> {
        let (channels, hw, _) = dims(shape);
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = (i / hw) % channels;
                (v - running_mean[c]) * gamma[c] / (running_var[c] + eps).sqrt() + beta[c]
            })
            .collect()
    }

    /// (dx, dgamma, dbeta).
    pub fn batch_norm_backward(
        x: &[f64],
        dy: &[f64],
        shape: &[usize],
        gamma: &[f64],
        mean: &[f64],
        inv_std: &[f64],
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (channels, _, r) = dims(shape);
        let mut dx = vec![0.0; x.len()];
        let mut dgamma = vec![0.0; channels];
        let mut dbeta = vec![0.0; channels];
        for c in 0..channels {
            let x_hat = |i: usize| (x[i] - mean[c]) * inv_std[c];
            dbeta[c] = channel(shape, c).map(|i| dy[i]).sum();
            dgamma[c] = channel(shape, c).map(|i| dy[i] * x_hat(i)).sum();
            let k = gamma[c] * inv_std[c];
            for i in channel(shape, c) {
                dx[i] = k * (dy[i] - dbeta[c] / r as f64 - x_hat(i) * dgamma[c] / r as f64);
            }
        }
        (dx, dgamma, dbeta)
    }
}
