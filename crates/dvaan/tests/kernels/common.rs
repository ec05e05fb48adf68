//! Shared test helpers: one device per binary, seeded random data, tolerance checks.

use std::sync::OnceLock;

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

/// Uniform values in [lo, hi), already rounded to f32 so the reference sees what the GPU sees.
pub fn uniform(rng: &mut Pcg64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// 0/1 labels, about 30 % ones.
pub fn binary_labels(rng: &mut Pcg64, n: usize) -> Vec<f32> {
    uniform(rng, n, 0.0, 1.0)
        .into_iter()
        .map(|u| (u < 0.3) as u8 as f32)
        .collect()
}

pub fn upload(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::from_slice(gpu(), shape, data)
}

pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// |got − want| ≤ bound element by element; names the first violation (a NaN fails).
pub fn assert_within(what: &str, got: &[f32], want: &[f64], bound: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let err = (got[i] as f64 - want[i]).abs();
        assert!(
            err <= bound[i],
            "{what}: element {i} is {} but the reference is {} (error {err:e}, bound {:e})",
            got[i],
            want[i],
            bound[i]
        );
    }
}

/// [`assert_within`] with the bound `atol + rtol·|want|`.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], rtol: f64, atol: f64) {
    let bound: Vec<f64> = want.iter().map(|w| atol + rtol * w.abs()).collect();
    assert_within(what, got, want, &bound);
}

/// Central differences of a scalar f64 function; h = 1e-5 leaves truncation ~1e-11·|f'''|
/// and rounding ~2e-16·|f| / h ≈ 2e-11·|f|, so 1e-8 + 1e-6·|g| separates a right gradient
/// from a wrong one with room to spare.
pub fn check_fd(what: &str, x: &[f64], grad: &[f64], f: impl Fn(&[f64]) -> f64) {
    let h = 1e-5;
    for i in 0..x.len() {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[i] += h;
        xm[i] -= h;
        let fd = (f(&xp) - f(&xm)) / (2.0 * h);
        assert!(
            (fd - grad[i]).abs() <= 1e-8 + 1e-6 * fd.abs(),
            "{what}[{i}]: {} vs finite difference {fd}",
            grad[i]
        );
    }
}
