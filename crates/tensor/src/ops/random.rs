//! Seeded random tensors from a counter-based generator, Philox4x32-10.
//! Kernel: `shaders/random.wgsl`. CPU reference (the same generator, bit for bit): [`reference`].
//!
//! A counter-based generator has no state: element `e` is a pure function of
//! `(seed, offset, e)`. Element `e` is word `e % 4` of `philox(counter, key)` with
//! `counter = (e / 4, 0, offset_lo, offset_hi)` and `key = (seed_lo, seed_hi)`, so the same
//! `(seed, offset)` gives the same tensor on every adapter, and different offsets give
//! independent streams. Callers use one offset per draw (e.g. the training step).
//!
//! - uniform: the top 24 bits of a word times 2^-24, exactly representable, in [0, 1).
//! - normal: Box-Muller on words (0, 1) and (2, 3) of each block:
//!   `r = sqrt(-2 ln(1 - u_a))`, `θ = 2π (u_b - 1/2)`, giving `r cos θ` and `r sin θ`.
//!   `1 - u_a` lies in (0, 1], so the logarithm is always finite.
//! - bernoulli: `1.0` where the uniform is below `p`, else `0.0`.

use crate::{grid_1d, shader, Dispatch, Gpu, Shader, Tensor};

const SHADER: Shader = shader!("random");
const WG: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed_lo: u32,
    seed_hi: u32,
    offset_lo: u32,
    offset_hi: u32,
    p: f32,
    _pad: [u32; 2],
}

fn generate(gpu: &Gpu, shape: &[usize], op: u32, p: f32, seed: u64, offset: u64) -> Tensor {
    let out = Tensor::uninit(gpu, shape);
    let n = out.numel();
    assert!(
        n <= u32::MAX as usize,
        "random: {n} elements exceed the 32-bit counter"
    );
    let params = Params {
        n: n as u32,
        seed_lo: seed as u32,
        seed_hi: (seed >> 32) as u32,
        offset_lo: offset as u32,
        offset_hi: (offset >> 32) as u32,
        p,
        _pad: [0; 2],
    };
    Dispatch::new(&SHADER, "generate")
        .constant("OP", op as f64)
        .params(&params)
        .arg(&out)
        .groups(grid_1d(n.div_ceil(4), WG))
        .run(gpu);
    out
}

/// Uniform values in [0, 1) (multiples of 2^-24).
pub fn uniform(gpu: &Gpu, shape: &[usize], seed: u64, offset: u64) -> Tensor {
    generate(gpu, shape, 0, 0.0, seed, offset)
}

/// Standard normal values.
pub fn normal(gpu: &Gpu, shape: &[usize], seed: u64, offset: u64) -> Tensor {
    generate(gpu, shape, 1, 0.0, seed, offset)
}

/// `1.0` with probability `p`, else `0.0`.
pub fn bernoulli(gpu: &Gpu, shape: &[usize], p: f32, seed: u64, offset: u64) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&p),
        "bernoulli: p = {p} is not a probability"
    );
    generate(gpu, shape, 2, p, seed, offset)
}

/// The same generator on the CPU. The integer part is exact; the normals are computed in
/// f64 from the same uniforms.
pub mod reference {
    const M0: u32 = 0xD251_1F53;
    const M1: u32 = 0xCD9E_8D57;
    const W0: u32 = 0x9E37_79B9;
    const W1: u32 = 0xBB67_AE85;

    /// (hi, lo) words of the 64-bit product.
    fn mulhilo(a: u32, b: u32) -> (u32, u32) {
        let p = a as u64 * b as u64;
        ((p >> 32) as u32, p as u32)
    }

    /// Philox4x32 with 10 rounds: the key is bumped before every round but the first.
    pub fn philox(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
        let mut c = counter;
        let mut k = key;
        for r in 0..10 {
            if r > 0 {
                k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
            }
            let (hi0, lo0) = mulhilo(M0, c[0]);
            let (hi1, lo1) = mulhilo(M1, c[2]);
            c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
        }
        c
    }

    /// The raw words of elements 0..n.
    pub fn bits(n: usize, seed: u64, offset: u64) -> Vec<u32> {
        let key = [seed as u32, (seed >> 32) as u32];
        (0..n)
            .map(|e| {
                let counter = [(e / 4) as u32, 0, offset as u32, (offset >> 32) as u32];
                philox(counter, key)[e % 4]
            })
            .collect()
    }

    fn to_unit(u: u32) -> f64 {
        (u >> 8) as f64 / (1u64 << 24) as f64
    }

    pub fn uniform(n: usize, seed: u64, offset: u64) -> Vec<f64> {
        bits(n, seed, offset).into_iter().map(to_unit).collect()
    }

    pub fn normal(n: usize, seed: u64, offset: u64) -> Vec<f64> {
        // Whole blocks, so that a trailing partial block still pairs its words.
        let u = uniform(n.div_ceil(4) * 4, seed, offset);
        let mut out = Vec::with_capacity(u.len());
        for b in u.chunks_exact(4) {
            for (ua, ub) in [(b[0], b[1]), (b[2], b[3])] {
                let r = (-2.0 * (1.0 - ua).ln()).sqrt();
                let theta = 2.0 * std::f64::consts::PI * (ub - 0.5);
                out.push(r * theta.cos());
                out.push(r * theta.sin());
            }
        }
        out.truncate(n);
        out
    }

    pub fn bernoulli(n: usize, p: f32, seed: u64, offset: u64) -> Vec<f64> {
        uniform(n, seed, offset)
            .into_iter()
            .map(|u| if u < p as f64 { 1.0 } else { 0.0 })
            .collect()
    }
}
