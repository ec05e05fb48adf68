//! Shared test helpers: one device per binary, seeded random data, tolerance checks, and
//! the capability checks of kernel variants that not every adapter runs.

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

pub fn upload(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::from_slice(gpu(), shape, data)
}

pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Passes when |got − want| ≤ atol + rtol·|want| for every element; on failure names the
/// first bad index and the worst error.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} vs reference {}",
        got.len(),
        want.len()
    );
    let mut worst = (0usize, 0.0f64);
    let mut first_bad = None;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g as f64 - w).abs();
        let bound = atol + rtol * w.abs();
        // Written so that a NaN on either side counts as a failure.
        let within = err <= bound;
        if !within {
            first_bad.get_or_insert(i);
        }
        if err.is_nan() || err > worst.1 {
            worst = (i, err);
        }
    }
    if let Some(i) = first_bad {
        panic!(
            "{what}: element {i} is {} but the reference is {} (rtol {rtol}, atol {atol}); \
             worst error {} at {}",
            got[i], want[i], worst.1, worst.0
        );
    }
}

/// What some kernel variants need from the adapter.
#[derive(Debug, Clone, Copy)]
pub enum Capability {
    /// Subgroup operations (the subgroup kernels).
    Subgroups,
    /// Subgroups of at least 8 lanes for the texel kernels.
    Texels,
}

impl Capability {
    /// The environment variable that, set to 1, says the adapter under test has this
    /// capability, so that lacking it is a failure rather than a skip (CI sets both: its
    /// lavapipe has subgroups of 8).
    pub fn required_by(self) -> &'static str {
        match self {
            Capability::Subgroups => "DVAAN_REQUIRE_SUBGROUPS",
            Capability::Texels => "DVAAN_REQUIRE_TEXELS",
        }
    }
}

/// Whether `what`, which needs `cap`, may run on `gpu`, which `has` it or not. A skip is
/// said on stderr; where the environment requires the capability it fails instead, so a
/// driver or detection change cannot turn these tests into silent passes.
pub fn can_run(gpu: &Gpu, cap: Capability, has: bool, what: &str) -> bool {
    if has {
        return true;
    }
    let var = cap.required_by();
    let required = std::env::var(var).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what} needs {cap:?}, which the adapter ({}) lacks, but {var}=1 says it has them",
        gpu.summary()
    );
    eprintln!(
        "skipped: {what} needs {cap:?}, which the adapter ({}) lacks (set {var}=1 to fail instead)",
        gpu.summary()
    );
    false
}
