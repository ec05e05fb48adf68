//! The KL to the shifted prior against its f64 reference (forward mean and backward), the
//! reference backward against central finite differences, the tape op's gradients against
//! finite differences, and reproducibility.
//!
//! Tolerances. The forward mean is a sum of f32 terms, each with an evaluation error of a
//! few ulp of the magnitudes it combines (`mag` = e^{lv} + (|m| + |pm|)² + 1 + |lv|), added in
//! a fixed order: every partial passes through at most 16 (serial) + 8 (tree) +
//! ⌈groups/256⌉ + 8 (final tree) + 1 (scale) roundings, ≤ 34 for the sizes here. So
//! |error| ≤ (34 + ~10) ε Σ mag / N; we allow 64 ε · Σ mag / N. A backward element is a
//! handful of roundings of a product (plus an exp's ulps), with cancellation only in
//! m − pm and e^{lv} − 1: we allow 16 ε times the magnitude of the operands of that
//! subtraction, times the scale dloss / N.

use dvaan::kernels::kl::{
    kl_to_shifted_prior, kl_to_shifted_prior_backward, reference, ShiftedPriorKl,
};
use dvaan_autograd::{Param, Tape};

use crate::common::*;

const EPS32: f64 = f32::EPSILON as f64;
/// (N, D): single elements, ragged rows, and more terms than one workgroup's 4096.
const SHAPES: &[(usize, usize)] = &[(1, 1), (7, 32), (64, 784), (192, 32), (1000, 784)];
const DLOSS: f32 = 0.75;

/// Labels turned into per-sample prior means ±1.3.
fn prior_means(r: &mut rand_pcg::Pcg64, n: usize) -> Vec<f32> {
    binary_labels(r, n)
        .iter()
        .map(|y| (2.0 * y - 1.0) * 1.3)
        .collect()
}

#[test]
fn kl_to_shifted_prior_matches_reference() {
    let mut r = rng(4);
    for &(n, d) in SHAPES {
        let k = n * d;
        let (m, lv) = (uniform(&mut r, k, -2.0, 2.0), uniform(&mut r, k, -3.0, 1.0));
        let pm = prior_means(&mut r, n);
        let (mt, lvt, pmt) = (upload(&[n, d], &m), upload(&[n, d], &lv), upload(&[n], &pm));
        let (m64, lv64, pm64) = (f64s(&m), f64s(&lv), f64s(&pm));
        let what = format!("kl {n}x{d}");
        let mags: f64 = (0..k)
            .map(|i| {
                lv64[i].exp() + (m64[i].abs() + pm64[i / d].abs()).powi(2) + 1.0 + lv64[i].abs()
            })
            .sum();
        let want = reference::kl_to_shifted_prior(&m64, &lv64, &pm64);
        assert_within(
            &what,
            &kl_to_shifted_prior(&mt, &lvt, &pmt).to_vec(),
            &[want],
            &[64.0 * EPS32 * mags / n as f64],
        );

        let dloss = upload(&[1], &[DLOSS]);
        let (dm, dlv) = kl_to_shifted_prior_backward(&mt, &lvt, &pmt, &dloss);
        let (want_dm, want_dlv) =
            reference::kl_to_shifted_prior_backward(&m64, &lv64, &pm64, DLOSS as f64);
        let g = DLOSS as f64 / n as f64;
        let bound: Vec<f64> = (0..k)
            .map(|i| 16.0 * EPS32 * g * (m64[i].abs() + pm64[i / d].abs()))
            .collect();
        assert_within(&format!("{what} dm"), &dm.to_vec(), &want_dm, &bound);
        let bound: Vec<f64> = (0..k)
            .map(|i| 16.0 * EPS32 * g * (lv64[i].exp() + 1.0))
            .collect();
        assert_within(&format!("{what} dlogvar"), &dlv.to_vec(), &want_dlv, &bound);
    }
}

#[test]
fn reference_gradients_match_finite_differences() {
    let mut r = rng(7);
    let dl = DLOSS as f64;
    let (n, d) = (7, 3);
    let m = f64s(&uniform(&mut r, n * d, -2.0, 2.0));
    let lv = f64s(&uniform(&mut r, n * d, -3.0, 1.0));
    let pm = f64s(&prior_means(&mut r, n));
    let (dm, dlv) = reference::kl_to_shifted_prior_backward(&m, &lv, &pm, dl);
    check_fd("kl dm", &m, &dm, |x| {
        dl * reference::kl_to_shifted_prior(x, &lv, &pm)
    });
    check_fd("kl dlogvar", &lv, &dlv, |x| {
        dl * reference::kl_to_shifted_prior(&m, x, &pm)
    });
}

/// The op on the tape: gradients of the loss for both inputs, taken through
/// `Tape::backward`, against central differences (h = 1e-4) of the f64 reference. The GPU
/// side is a few f32 operations and an exp per element, so rtol 1e-4 and atol 1e-5 (scaled
/// by the largest gradient) bound its error with room, while a wrong term or a missing
/// factor is off by far more.
#[test]
fn tape_op_gradients_match_finite_differences() {
    let mut r = rng(9);
    let (n, d) = (3, 4);
    let (m, lv) = (
        uniform(&mut r, n * d, -2.0, 2.0),
        uniform(&mut r, n * d, -1.5, 1.0),
    );
    let pm = [1.5f32, -1.5, 1.5];
    let (m64, lv64, pm64) = (f64s(&m), f64s(&lv), f64s(&pm));
    let params = [
        Param::new(upload(&[n, d], &m)),
        Param::new(upload(&[n, d], &lv)),
    ];
    let tape = Tape::new();
    let loss = tape.kl_to_shifted_prior(
        &tape.param(&params[0]),
        &tape.param(&params[1]),
        &upload(&[n], &pm),
    );
    let grads = tape.backward(&loss, &params);

    let h = 1e-4;
    let objective = |a: &[f64], b: &[f64]| reference::kl_to_shifted_prior(a, b, &pm64);
    for (k, p) in params.iter().enumerate() {
        let got = grads
            .get(p)
            .unwrap_or_else(|| panic!("no gradient for input {k}"))
            .to_vec();
        let fd: Vec<f64> = (0..n * d)
            .map(|j| {
                let (mut up, mut down) = ([m64.clone(), lv64.clone()], [m64.clone(), lv64.clone()]);
                up[k][j] += h;
                down[k][j] -= h;
                (objective(&up[0], &up[1]) - objective(&down[0], &down[1])) / (2.0 * h)
            })
            .collect();
        let scale = fd.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        let bound: Vec<f64> = fd.iter().map(|f| 1e-5 * scale + 1e-4 * f.abs()).collect();
        assert_within(&format!("tape kl d/d(input {k})"), &got, &fd, &bound);
    }
}

#[test]
fn forward_sum_is_reproducible() {
    let mut r = rng(8);
    let (n, d) = (1000, 784);
    let (m, lv) = (
        uniform(&mut r, n * d, -2.0, 2.0),
        uniform(&mut r, n * d, -3.0, 1.0),
    );
    let pm = prior_means(&mut r, n);
    let (mt, lvt, pmt) = (upload(&[n, d], &m), upload(&[n, d], &lv), upload(&[n], &pm));
    let a = kl_to_shifted_prior(&mt, &lvt, &pmt).item();
    let b = kl_to_shifted_prior(&mt, &lvt, &pmt).item();
    assert_eq!(a.to_bits(), b.to_bits());
}
