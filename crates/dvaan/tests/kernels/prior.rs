use dvaan::kernels::prior::{class_prior_mean, reference};

use crate::common::*;

#[test]
fn class_prior_mean_matches_reference() {
    let mut r = rng(5);
    for n in [1, 7, 64, 192, 70_000] {
        let labels = binary_labels(&mut r, n);
        // Negative μ too: the kernel must carry its sign, not assume μ ≥ 0.
        for mu in [1.7f32, 0.1, 0.0, -0.6] {
            let got = class_prior_mean(&upload(&[n], &labels), &upload(&[1], &[mu])).to_vec();
            // ±mu exactly: (2y − 1) is ±1, so the product is exact in f32.
            assert_eq!(
                f64s(&got),
                reference::class_prior_mean(&f64s(&labels), mu as f64),
                "prior n={n} mu={mu}"
            );
        }
    }
}
