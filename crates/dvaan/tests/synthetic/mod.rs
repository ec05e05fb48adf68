//! Shared by the training test binaries: one device per binary and a tiny synthetic
//! 28×28 image task that the convolutional networks can learn in a few steps.

use std::sync::OnceLock;

use dvaan::data::Dataset;
use dvaan_tensor::Gpu;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

pub fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().unwrap_or_else(|e| panic!("{e}")))
}

/// One positive in `every`: positives draw a vertical stroke, negatives a horizontal one,
/// at a random place over background noise.
pub fn strokes(n: usize, every: usize, seed: u64) -> Dataset {
    let mut r = Pcg64::seed_from_u64(seed);
    let (mut x, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let positive = i % every == 0;
        let mut img: Vec<f32> = (0..784).map(|_| r.random_range(0.0..0.3)).collect();
        let (a, b) = (r.random_range(6..22usize), r.random_range(4..10usize));
        for t in b..b + 16 {
            for w in a..a + 3 {
                let (row, col) = if positive { (t, w) } else { (w, t) };
                img[row * 28 + col] = 1.0;
            }
        }
        x.extend(img);
        labels.push(if positive { 1.0 } else { 0.0 });
    }
    Dataset::new("strokes", x, labels, vec![1, 28, 28]).unwrap()
}
