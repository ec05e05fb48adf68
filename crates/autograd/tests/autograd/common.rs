//! Shared helpers: one device, seeded data, and the finite-difference gradient check.

use std::sync::OnceLock;

use dvaan_autograd::{Param, Tape, Var};
use dvaan_tensor::{Gpu, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

pub fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().unwrap_or_else(|e| panic!("{e}")))
}

pub fn rng(seed: u64) -> Pcg64 {
    Pcg64::seed_from_u64(seed)
}

pub fn uniform(rng: &mut Pcg64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// Uniform in ±[lo, hi): values kept away from 0 so that no finite-difference step crosses
/// a kink (ReLU, the sign of a BCE logit at 0 is smooth but ReLU is not).
pub fn away_from_zero(rng: &mut Pcg64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let v = rng.random_range(lo..hi);
            if rng.random::<bool>() {
                v
            } else {
                -v
            }
        })
        .collect()
}

pub fn upload(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::from_slice(gpu(), shape, data)
}

pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// One differentiated input of a gradient check.
pub struct Input {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

pub fn input(shape: &[usize], data: Vec<f32>) -> Input {
    assert_eq!(shape.iter().product::<usize>(), data.len());
    Input {
        shape: shape.to_vec(),
        data,
    }
}

/// Central-difference step. The references run in f64, so with h = 1e-4 the truncation
/// error (~h²·f‴) and the rounding error (~1e-16/h) are both below 1e-8 for the O(1)
/// functions checked here: the comparison measures the GPU's f32 error, not the check's.
const H: f64 = 1e-4;

/// Checks the tape's gradients of `L = ⟨r, f(θ)⟩` (a fixed random `r`, so every output
/// element matters) for every input element against central differences of the f64
/// reference `reference(θ)`. Passes when |g − fd| ≤ atol·scale + rtol·|fd| with
/// scale = max(1, max|fd|) over that input.
pub fn gradcheck(
    what: &str,
    inputs: &[Input],
    forward: impl Fn(&Tape, &[Var]) -> Var,
    reference: impl Fn(&[Vec<f64>]) -> Vec<f64>,
    rtol: f64,
    atol: f64,
) {
    let params: Vec<Param> = inputs
        .iter()
        .map(|i| Param::new(upload(&i.shape, &i.data)))
        .collect();
    let tape = Tape::new();
    let vars: Vec<Var> = params.iter().map(|p| tape.param(p)).collect();
    let y = forward(&tape, &vars);
    let mut r_rng = rng(0x5eed ^ inputs.len() as u64);
    let r = uniform(&mut r_rng, y.value().numel(), -1.0, 1.0);
    let grads = tape.backward_with(&y, upload(y.shape(), &r), &params);

    let r64 = f64s(&r);
    let theta: Vec<Vec<f64>> = inputs.iter().map(|i| f64s(&i.data)).collect();
    let objective = |t: &[Vec<f64>]| -> f64 {
        let out = reference(t);
        assert_eq!(out.len(), r64.len(), "{what}: reference output size");
        out.iter().zip(&r64).map(|(a, b)| a * b).sum()
    };
    for (k, p) in params.iter().enumerate() {
        let got = grads
            .get(p)
            .unwrap_or_else(|| panic!("{what}: no gradient for input {k}"))
            .to_vec();
        let mut t = theta.clone();
        let fd: Vec<f64> = (0..theta[k].len())
            .map(|j| {
                t[k][j] = theta[k][j] + H;
                let up = objective(&t);
                t[k][j] = theta[k][j] - H;
                let down = objective(&t);
                t[k][j] = theta[k][j];
                (up - down) / (2.0 * H)
            })
            .collect();
        assert_eq!(
            got.len(),
            fd.len(),
            "{what}: the gradient of input {k} has {} elements, the input {}",
            got.len(),
            fd.len()
        );
        let scale = fd.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (j, (&g, &want)) in got.iter().zip(&fd).enumerate() {
            let err = (g as f64 - want).abs();
            assert!(
                err <= atol * scale + rtol * want.abs(),
                "{what}: d/d(input {k})[{j}] is {g} but finite differences give {want} \
                 (error {err:.3e}, rtol {rtol}, atol {atol}·{scale:.3})"
            );
        }
    }
}
