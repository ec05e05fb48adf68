//! Parameter initialisation from a seeded `Pcg64`, so a seed fixes a network's weights.
//!
//! Fans follow PyTorch: for a weight of shape `[a, b, k…]`, `fan_in = b·Πk` and
//! `fan_out = a·Πk` (for a transposed convolution `[C_in, C_out, k, k]` that makes
//! `fan_in = C_out·k²`, as in PyTorch).

use rand::Rng;
use rand_pcg::Pcg64;

/// How a layer's weight is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// PyTorch's default for linear and convolution layers: Kaiming-uniform with
    /// `a = √5`, i.e. `U(−1/√fan_in, 1/√fan_in)`.
    KaimingUniform,
    /// Glorot: `U(−b, b)` with `b = gain·√(6 / (fan_in + fan_out))`.
    XavierUniform { gain: f32 },
    /// `N(0, std²)`, e.g. the DCGAN convention `std = 0.02`.
    Normal { std: f32 },
}

/// `(fan_in, fan_out)` of a weight shape.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    assert!(
        shape.len() >= 2,
        "fans: a weight has at least two dimensions, got {shape:?}"
    );
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// `n` values from `U(−bound, bound)`.
pub fn uniform(rng: &mut Pcg64, n: usize, bound: f32) -> Vec<f32> {
    if bound == 0.0 {
        return vec![0.0; n];
    }
    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
}

/// `n` values from `N(0, std²)` (Box–Muller, so it needs nothing beyond `rand`).
pub fn normal(rng: &mut Pcg64, n: usize, std: f32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32 * std
        })
        .collect()
}

/// Values for a weight of `shape`.
pub fn weight(rng: &mut Pcg64, shape: &[usize], init: Init) -> Vec<f32> {
    let n = shape.iter().product();
    let (fan_in, fan_out) = fans(shape);
    match init {
        Init::KaimingUniform => uniform(rng, n, 1.0 / (fan_in as f32).sqrt()),
        Init::XavierUniform { gain } => {
            uniform(rng, n, gain * (6.0 / (fan_in + fan_out) as f32).sqrt())
        }
        Init::Normal { std } => normal(rng, n, std),
    }
}

/// PyTorch's default bias: `U(−1/√fan_in, 1/√fan_in)` with the weight's fan-in.
pub fn bias(rng: &mut Pcg64, n: usize, weight_shape: &[usize]) -> Vec<f32> {
    let (fan_in, _) = fans(weight_shape);
    uniform(rng, n, 1.0 / (fan_in as f32).sqrt())
}
