//! Sums and means, per-channel sums (the bias gradient) and the per-channel bias add.
//! Kernel: `shaders/reduce.wgsl`. CPU reference: [`reference`].
//!
//! Every reduction is written as `out[k] = scale * Σ_r x[address(k, r)]` for k < K, r < R,
//! with `address(k, r) = (k / k_div)·k_hi + (k % k_div)·k_lo + (r / r_div)·r_hi + (r % r_div)·r_lo`.
//! With x viewed as `[outer, mid, inner]`:
//! - `sum_all`: K = 1, R = numel, address = r.
//! - `channel_sum` (mid = axis 1): K = mid, R = outer·inner, address = k·inner + (r / inner)·mid·inner + r % inner.
//! - `sum_axis` (mid = the axis): K = outer·inner, R = mid, address = (k / inner)·mid·inner + k % inner + r·inner.
//!
//! Many outputs: one invocation per output sums its terms in order (`reduce_serial`).
//! Few outputs: one workgroup per output adds its terms with a fixed tree (`reduce_tree`);
//! past [`ONE_PASS_MAX_TERMS`] terms they are cut into chunks of [`CHUNK`] terms, one
//! workgroup per chunk, and the chunk sums are reduced again the same way until one value
//! per output is left. The order of every
//! addition depends only on the shape, so results are bit-identical from run to run.

use crate::{grid_1d, shader, AdapterClass, Dispatch, Gpu, Shader, Tensor};

const SHADER: Shader = shader!("reduce");
/// Workgroup size of the element-wise kernel here.
const WG: u32 = 256;
/// Terms one `reduce_tree` workgroup sums per chunk when an output's terms are cut in chunks.
pub const CHUNK: usize = 4096;
/// Up to this many terms an output is summed by one workgroup in one pass: a bias gradient
/// of [64, C, 14, 14] (12,544 terms) then costs one dispatch instead of a tree pass and a
/// pass over the chunk sums. Only longer sums are cut in [`CHUNK`]s, for parallelism.
pub const ONE_PASS_MAX_TERMS: usize = 65_536;
/// From this many outputs on, one invocation per output already fills the device.
pub const SERIAL_MIN_OUTPUTS: usize = 2048;
/// Up to this many terms a tree costs more than it saves.
pub const SERIAL_MAX_TERMS: usize = 32;

/// Invocations per workgroup of the tree reductions here and in batch norm.
///
/// A CPU adapter (lavapipe) runs a workgroup as a loop over 8-lane SIMD vectors and
/// switches between them at every barrier, which costs far more than the additions: one
/// vector per workgroup makes the barriers free (a [64, 512] batch-norm forward went from
/// ~100 ms at 256 to ~1 ms at 8). GPUs want wide workgroups to hide memory latency.
pub fn reduction_width(gpu: &Gpu) -> u32 {
    if gpu.summary().class == AdapterClass::Cpu {
        8
    } else {
        256
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    k_count: u32,
    r_count: u32,
    chunks: u32,
    chunk_len: u32,
    k_div: u32,
    k_hi: u32,
    k_lo: u32,
    r_div: u32,
    r_hi: u32,
    r_lo: u32,
    step_q: u32,
    step_m: u32,
    scale: f32,
    _pad: [u32; 3],
}

/// The affine map from (output k, term r) to an element of x.
#[derive(Clone, Copy)]
struct Map {
    k: usize,
    r: usize,
    k_div: usize,
    k_hi: usize,
    k_lo: usize,
    r_div: usize,
    r_hi: usize,
    r_lo: usize,
}

impl Map {
    /// Rows of `r` contiguous terms: output k sums x[k·r .. (k+1)·r].
    fn rows(k: usize, r: usize) -> Map {
        Map {
            k,
            r,
            k_div: 1,
            k_hi: r,
            k_lo: 0,
            r_div: 1,
            r_hi: 1,
            r_lo: 0,
        }
    }

    /// x as [outer, mid, inner]; keep mid, sum over outer and inner.
    fn keep_mid(outer: usize, mid: usize, inner: usize) -> Map {
        Map {
            k: mid,
            r: outer * inner,
            k_div: usize::MAX,
            k_hi: 0,
            k_lo: inner,
            r_div: inner,
            r_hi: mid * inner,
            r_lo: 1,
        }
    }

    /// x as [outer, mid, inner]; keep outer and inner, sum over mid.
    fn sum_mid(outer: usize, mid: usize, inner: usize) -> Map {
        Map {
            k: outer * inner,
            r: mid,
            k_div: inner,
            k_hi: mid * inner,
            k_lo: 1,
            r_div: 1,
            r_hi: inner,
            r_lo: 0,
        }
    }

    /// `stride`: how many terms an invocation moves per step (1, or the workgroup size).
    fn params(&self, chunks: usize, chunk_len: usize, stride: usize, scale: f32) -> Params {
        let u = |v: usize| u32::try_from(v.min(u32::MAX as usize)).unwrap();
        Params {
            k_count: u(self.k),
            r_count: u(self.r),
            chunks: u(chunks),
            chunk_len: u(chunk_len),
            k_div: u(self.k_div),
            k_hi: u(self.k_hi),
            k_lo: u(self.k_lo),
            r_div: u(self.r_div),
            r_hi: u(self.r_hi),
            r_lo: u(self.r_lo),
            step_q: u(stride / self.r_div),
            step_m: u(stride % self.r_div),
            scale,
            _pad: [0; 3],
        }
    }
}

/// `out[k] = scale · Σ_r x[map(k, r)]`, into a new tensor of `out_shape` (K elements).
fn reduce(x: &Tensor, map: Map, scale: f32, out_shape: &[usize]) -> Tensor {
    let gpu = x.gpu();
    assert!(
        x.numel() < u32::MAX as usize,
        "reduce: {:?} is too large for 32-bit indexing",
        x.shape()
    );
    if map.r == 0 {
        // An empty sum is 0, and no kernel would write it.
        return Tensor::zeros(gpu, out_shape);
    }
    if map.k >= SERIAL_MIN_OUTPUTS || map.r <= SERIAL_MAX_TERMS {
        let out = Tensor::uninit(gpu, out_shape);
        Dispatch::new(&SHADER, "reduce_serial")
            .constant("WG", WG as f64)
            .params(&map.params(1, map.r, 1, scale))
            .arg(x)
            .arg(&out)
            .groups(grid_1d(map.k, WG))
            .run(gpu);
        return out;
    }
    let chunk_len = if map.r <= ONE_PASS_MAX_TERMS {
        map.r
    } else {
        CHUNK
    };
    let chunks = map.r.div_ceil(chunk_len);
    if chunks == 1 {
        let out = Tensor::uninit(gpu, out_shape);
        tree_pass(x, map, 1, chunk_len, scale, &out);
        return out;
    }
    // Pass one writes a [K, chunks] table of chunk sums; later passes sum its rows.
    let partial = Tensor::uninit(gpu, &[map.k, chunks]);
    tree_pass(x, map, chunks, chunk_len, 1.0, &partial);
    reduce(&partial, Map::rows(map.k, chunks), scale, out_shape)
}

fn tree_pass(x: &Tensor, map: Map, chunks: usize, chunk_len: usize, scale: f32, out: &Tensor) {
    let wg = reduction_width(x.gpu());
    Dispatch::new(&SHADER, "reduce_tree")
        .constant("WG", wg as f64)
        .params(&map.params(chunks, chunk_len, wg as usize, scale))
        .arg(x)
        .arg(out)
        .groups(grid_1d(map.k * chunks, 1))
        .run(x.gpu());
}

/// Sum of every element, as a `[1]` tensor.
pub fn sum_all(x: &Tensor) -> Tensor {
    reduce(x, Map::rows(1, x.numel()), 1.0, &[1])
}

/// Mean of every element, as a `[1]` tensor (NaN for an empty tensor, like 0/0).
pub fn mean_all(x: &Tensor) -> Tensor {
    let n = x.numel();
    if n == 0 {
        return crate::ops::elementwise::full(x.gpu(), &[1], f32::NAN);
    }
    reduce(x, Map::rows(1, n), (1.0 / n as f64) as f32, &[1])
}

/// x viewed as [outer, mid, inner] around `axis`.
fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// `[N, C, ...] -> [C]`: the sum over every axis but 1 (for an [M, N] matrix, the column
/// sums, i.e. the gradient of a bias added to every row).
pub fn channel_sum(x: &Tensor) -> Tensor {
    assert!(
        x.shape().len() >= 2,
        "channel_sum: x must be [N, C, ...], got {:?}",
        x.shape()
    );
    let (outer, c, inner) = split_at_axis(x.shape(), 1);
    reduce(x, Map::keep_mid(outer, c, inner), 1.0, &[c])
}

/// The sum over `axis`, which is removed from the shape (a 1-d input gives `[1]`).
pub fn sum_axis(x: &Tensor, axis: usize) -> Tensor {
    let shape = x.shape();
    assert!(
        axis < shape.len(),
        "sum_axis: axis {axis} out of range for {shape:?}"
    );
    let (outer, mid, inner) = split_at_axis(shape, axis);
    let mut out_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != axis)
        .map(|(_, &d)| d)
        .collect();
    if out_shape.is_empty() {
        out_shape.push(1);
    }
    reduce(x, Map::sum_mid(outer, mid, inner), 1.0, &out_shape)
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BiasParams {
    n: u32,
    channels: u32,
    inner: u32,
    _pad: u32,
}

/// `x [N, C, ...] + bias [C]`, the bias broadcast over every axis but 1.
pub fn add_channel_bias(x: &Tensor, bias: &Tensor) -> Tensor {
    let shape = x.shape();
    assert!(
        shape.len() >= 2 && bias.shape() == [shape[1]],
        "add_channel_bias: x must be [N, C, ...] and bias [C], got {shape:?} and {:?}",
        bias.shape()
    );
    let (_, c, inner) = split_at_axis(shape, 1);
    let y = Tensor::uninit(x.gpu(), shape);
    let n = x.numel();
    Dispatch::new(&SHADER, "add_channel_bias")
        .constant("WG", WG as f64)
        .params(&BiasParams {
            n: n as u32,
            channels: c as u32,
            inner: inner.max(1) as u32,
            _pad: 0,
        })
        .arg(x)
        .arg(bias)
        .arg(&y)
        .groups(grid_1d(n, WG))
        .run(x.gpu());
    y
}

/// Plain f64 versions of the kernels above (exact up to f64 rounding, summed in order).
pub mod reference {
    fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
        (
            shape[..axis].iter().product(),
            shape[axis],
            shape[axis + 1..].iter().product(),
        )
    }

    pub fn sum_all(x: &[f64]) -> f64 {
        x.iter().sum()
    }

    pub fn mean_all(x: &[f64]) -> f64 {
        sum_all(x) / x.len() as f64
    }

    pub fn channel_sum(x: &[f64], shape: &[usize]) -> Vec<f64> {
        let (outer, c, inner) = split_at_axis(shape, 1);
        let mut out = vec![0.0; c];
        for o in 0..outer {
            for (ch, acc) in out.iter_mut().enumerate() {
                *acc += x[(o * c + ch) * inner..][..inner].iter().sum::<f64>();
            }
        }
        out
    }

    pub fn sum_axis(x: &[f64], shape: &[usize], axis: usize) -> Vec<f64> {
        let (outer, mid, inner) = split_at_axis(shape, axis);
        let mut out = vec![0.0; outer * inner];
        for o in 0..outer {
            for m in 0..mid {
                for i in 0..inner {
                    out[o * inner + i] += x[(o * mid + m) * inner + i];
                }
            }
        }
        out
    }

    pub fn add_channel_bias(x: &[f64], shape: &[usize], bias: &[f64]) -> Vec<f64> {
        let (_, c, inner) = split_at_axis(shape, 1);
        x.iter()
            .enumerate()
            .map(|(i, &v)| v + bias[(i / inner.max(1)) % c])
            .collect()
    }
}
