//! Each loss against its f64 reference (forward mean and backward), the reference backward
//! against central finite differences, stability at huge logits, and reproducibility.
//!
//! Tolerances. A forward mean is a sum of f32 terms, each with an evaluation error of a few
//! ulp of the magnitudes it combines (`mag`, e.g. |l| + |l·y| + log 2 for BCE-with-logits,
//! where the parts cancel), added in a fixed order: every partial passes through at most
//! 16 (serial) + 8 (tree) + ⌈groups/256⌉ + 8 (final tree) + 1 (scale) roundings, ≤ 34 for
//! the sizes here. So |error| ≤ (34 + ~10) ε Σ mag / count; we allow 64 ε · mean(mag).
//! A backward element is a handful of roundings of a product (plus transcendental ulps),
//! with cancellation only where the formula subtracts (σ(l) - y, q - y, x - y, ...): we allow
//! 16 ε times the magnitude of the operands of that subtraction, times the scale dloss/count.

use dvaan_tensor::ops::loss::{self, reference, BCE_CLAMP};
use dvaan_tensor::Tensor;

use crate::common::*;

const EPS32: f64 = f32::EPSILON as f64;
/// Per-sample losses: N values.
const NS: &[usize] = &[1, 7, 64, 192, 1000, 20_000];
/// Per-element losses: (N, D).
const SHAPES: &[(usize, usize)] = &[(1, 1), (7, 32), (64, 784), (192, 32), (1000, 784)];
const DLOSS: f32 = 0.75;

/// |got - want| ≤ bound element by element; names the first violation.
fn assert_within(what: &str, got: &[f32], want: &[f64], bound: &[f64]) {
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

fn assert_mean(what: &str, got: &Tensor, want: f64, mags: impl Iterator<Item = f64>, count: usize) {
    let tol = 64.0 * EPS32 * mags.sum::<f64>() / count as f64;
    assert_within(what, &got.to_vec(), &[want], &[tol]);
}

fn dloss() -> Tensor {
    upload(&[1], &[DLOSS])
}

fn binary_targets(r: &mut rand_pcg::Pcg64, n: usize) -> Vec<f32> {
    uniform(r, n, 0.0, 1.0)
        .into_iter()
        .map(|u| (u < 0.3) as u8 as f32)
        .collect()
}

/// Central differences of a scalar f64 function; h = 1e-5 leaves truncation ~1e-11·|f'''|
/// and rounding ~2e-16·|f| / h ≈ 2e-11·|f|, so 1e-8 + 1e-6·|g| separates a right gradient
/// from a wrong one with room to spare.
fn check_fd(what: &str, x: &[f64], grad: &[f64], f: impl Fn(&[f64]) -> f64) {
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

fn sigmoid(l: f64) -> f64 {
    1.0 / (1.0 + (-l).exp())
}

#[test]
fn bce_with_logits_matches_reference() {
    let mut r = rng(1);
    for &n in NS {
        let l = uniform(&mut r, n, -10.0, 10.0);
        let y = binary_targets(&mut r, n);
        let w = uniform(&mut r, n, 0.5, 2.0);
        let (lt, yt, wt) = (upload(&[n], &l), upload(&[n], &y), upload(&[n], &w));
        let (l64, y64, w64) = (f64s(&l), f64s(&y), f64s(&w));
        for weights in [None, Some(&w64)] {
            let wg = weights.map(|_| &wt);
            let wi = |i: usize| weights.map_or(1.0, |w| w[i]);
            let what = format!("bce_with_logits n={n} weighted={}", weights.is_some());
            let mags = (0..n).map(|i| wi(i) * (2.0 * l64[i].abs() + 1.0));
            let want = reference::bce_with_logits(&l64, &y64, weights.map(|w| &w[..]));
            assert_mean(&what, &loss::bce_with_logits(&lt, &yt, wg), want, mags, n);

            let got = loss::bce_with_logits_backward(&lt, &yt, wg, &dloss()).to_vec();
            let want = reference::bce_with_logits_backward(
                &l64,
                &y64,
                weights.map(|w| &w[..]),
                DLOSS as f64,
            );
            let g = DLOSS as f64 / n as f64;
            let bound: Vec<f64> = (0..n)
                .map(|i| 16.0 * EPS32 * g * wi(i) * (sigmoid(l64[i]) + y64[i]))
                .collect();
            assert_within(&format!("{what} backward"), &got, &want, &bound);
        }
        // Unit weights multiply exactly: the weighted path must give the same bits.
        let ones = upload(&[n], &vec![1.0; n]);
        assert_eq!(
            loss::bce_with_logits(&lt, &yt, Some(&ones)).to_vec(),
            loss::bce_with_logits(&lt, &yt, None).to_vec()
        );
    }
}

/// `factor` times the mean, from the same kernels: the factor joins the `1 / count` they
/// apply (one more rounding, inside the bounds above), so forward and backward are the
/// reference's times the factor within the factor times the unscaled bounds.
#[test]
fn scaled_bce_with_logits_is_the_factor_times_the_loss() {
    let mut r = rng(11);
    for &n in NS {
        let l = uniform(&mut r, n, -10.0, 10.0);
        let y = binary_targets(&mut r, n);
        let (lt, yt) = (upload(&[n], &l), upload(&[n], &y));
        let (l64, y64) = (f64s(&l), f64s(&y));
        for factor in [3.0f32, 0.37] {
            let f = factor as f64;
            let what = format!("bce_with_logits x{factor} n={n}");
            let mags = (0..n).map(|i| f * (2.0 * l64[i].abs() + 1.0));
            let want = f * reference::bce_with_logits(&l64, &y64, None);
            let got = loss::bce_with_logits_scaled(&lt, &yt, None, factor);
            assert_mean(&what, &got, want, mags, n);

            let got = loss::bce_with_logits_scaled_backward(&lt, &yt, None, factor, &dloss());
            let want: Vec<f64> =
                reference::bce_with_logits_backward(&l64, &y64, None, DLOSS as f64)
                    .iter()
                    .map(|v| f * v)
                    .collect();
            let g = f * DLOSS as f64 / n as f64;
            let bound: Vec<f64> = (0..n)
                .map(|i| 16.0 * EPS32 * g * (sigmoid(l64[i]) + y64[i]))
                .collect();
            assert_within(&format!("{what} backward"), &got.to_vec(), &want, &bound);
        }
    }
}

#[test]
fn bce_on_probabilities_matches_reference() {
    let mut r = rng(2);
    for &(n, d) in SHAPES {
        let k = n * d;
        let mut q = uniform(&mut r, k, 0.0, 1.0);
        // Exact 0 and 1 (a saturated sigmoid) exercise the clamp.
        q[0] = 1.0;
        if k > 1 {
            q[1] = 0.0;
        }
        let y = uniform(&mut r, k, 0.0, 1.0);
        let (qt, yt) = (upload(&[n, d], &q), upload(&[n, d], &y));
        let (q64, y64) = (f64s(&q), f64s(&y));
        let clamp = |v: f64| v.clamp(BCE_CLAMP as f64, 1.0 - BCE_CLAMP as f64);
        let what = format!("bce {n}x{d}");
        let mags = (0..k).map(|i| {
            y64[i] * clamp(q64[i]).ln().abs()
                + (1.0 - y64[i]) * (1.0 - clamp(q64[i])).ln().abs()
                + 1.0
        });
        assert_mean(
            &what,
            &loss::bce(&qt, &yt),
            reference::bce(&q64, &y64),
            mags,
            k,
        );

        let got = loss::bce_backward(&qt, &yt, &dloss()).to_vec();
        let want = reference::bce_backward(&q64, &y64, DLOSS as f64);
        let g = DLOSS as f64 / k as f64;
        let bound: Vec<f64> = (0..k)
            .map(|i| {
                let c = clamp(q64[i]);
                16.0 * EPS32 * g * (c + y64[i]) / (c * (1.0 - c))
            })
            .collect();
        assert_within(&format!("{what} backward"), &got, &want, &bound);
        assert!(
            got.iter().all(|v| v.is_finite()),
            "{what}: gradient not finite at the clamp"
        );
    }
}

#[test]
fn mse_matches_reference() {
    let mut r = rng(3);
    for &(n, d) in SHAPES {
        let k = n * d;
        let (x, y) = (uniform(&mut r, k, -2.0, 2.0), uniform(&mut r, k, -2.0, 2.0));
        let (xt, yt) = (upload(&[n, d], &x), upload(&[n, d], &y));
        let (x64, y64) = (f64s(&x), f64s(&y));
        let what = format!("mse {n}x{d}");
        let mags = (0..k).map(|i| (x64[i].abs() + y64[i].abs()).powi(2));
        assert_mean(
            &what,
            &loss::mse(&xt, &yt),
            reference::mse(&x64, &y64),
            mags,
            k,
        );

        let got = loss::mse_backward(&xt, &yt, &dloss()).to_vec();
        let want = reference::mse_backward(&x64, &y64, DLOSS as f64);
        let g = DLOSS as f64 / k as f64;
        let bound: Vec<f64> = (0..k)
            .map(|i| 16.0 * EPS32 * g * 2.0 * (x64[i].abs() + y64[i].abs()))
            .collect();
        assert_within(&format!("{what} backward"), &got, &want, &bound);

        // Both gradients from one pass: the prediction's the same bits as alone, the
        // target's exactly its negation (negating rounds nothing).
        let (dpred, dtarget) = loss::mse_backward_both(&xt, &yt, &dloss());
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&dpred.to_vec()),
            bits(&got),
            "{what}: d/dpred of the pair"
        );
        let negated: Vec<f32> = got.iter().map(|v| -v).collect();
        assert_eq!(bits(&dtarget.to_vec()), bits(&negated), "{what}: d/dtarget");
    }
}

#[test]
fn focal_with_logits_matches_reference() {
    let mut r = rng(5);
    for &n in NS {
        let l = uniform(&mut r, n, -10.0, 10.0);
        let y = binary_targets(&mut r, n);
        let (lt, yt) = (upload(&[n], &l), upload(&[n], &y));
        let (l64, y64) = (f64s(&l), f64s(&y));
        for (gamma, alpha) in [(2.0f32, 0.25f32), (0.0, 0.5), (0.5, 0.9)] {
            let what = format!("focal n={n} gamma={gamma} alpha={alpha}");
            let (g64, a64) = (gamma as f64, alpha as f64);
            let want = reference::focal_with_logits(&l64, &y64, g64, a64);
            // (1 - q)^γ = e^{γ ls(-s)}: an absolute error ~ε|l| in ls becomes a relative error
            // γ ε |l| in the factor, so the magnitude carries (1 + γ|l|) on top of |ln q|+1.
            let mags = (0..n).map(|i| (1.0 + g64 * l64[i].abs()) * (l64[i].abs() + 1.0));
            assert_mean(
                &what,
                &loss::focal_with_logits(&lt, &yt, gamma, alpha),
                want,
                mags,
                n,
            );

            let got = loss::focal_with_logits_backward(&lt, &yt, gamma, alpha, &dloss()).to_vec();
            let want = reference::focal_with_logits_backward(&l64, &y64, g64, a64, DLOSS as f64);
            // Both parts of the bracket have one sign: no cancellation, so relative, with the
            // same γ ε |l| growth from the power.
            let bound: Vec<f64> = (0..n)
                .map(|i| 16.0 * EPS32 * (1.0 + g64 * l64[i].abs()) * want[i].abs() + 1e-30)
                .collect();
            assert_within(&format!("{what} backward"), &got, &want, &bound);
        }
    }
}

#[test]
fn gamma_zero_focal_is_alpha_weighted_bce() {
    let mut r = rng(6);
    let n = 64;
    let l = f64s(&uniform(&mut r, n, -6.0, 6.0));
    let y = f64s(&binary_targets(&mut r, n));
    let w: Vec<f64> = y
        .iter()
        .map(|&t| if t > 0.5 { 0.25 } else { 0.75 })
        .collect();
    let fl = reference::focal_with_logits(&l, &y, 0.0, 0.25);
    let bce = reference::bce_with_logits(&l, &y, Some(&w));
    assert!((fl - bce).abs() < 1e-12, "{fl} vs {bce}");
    let dfl = reference::focal_with_logits_backward(&l, &y, 0.0, 0.25, 1.0);
    let dbce = reference::bce_with_logits_backward(&l, &y, Some(&w), 1.0);
    for i in 0..n {
        assert!(
            (dfl[i] - dbce[i]).abs() < 1e-12,
            "element {i}: {} vs {}",
            dfl[i],
            dbce[i]
        );
    }
}

#[test]
fn reference_gradients_match_finite_differences() {
    let mut r = rng(7);
    let dl = DLOSS as f64;
    let (n, d) = (7, 3);
    let l = f64s(&uniform(&mut r, n, -4.0, 4.0));
    let y = f64s(&binary_targets(&mut r, n));
    let w = f64s(&uniform(&mut r, n, 0.5, 2.0));

    let g = reference::bce_with_logits_backward(&l, &y, Some(&w), dl);
    check_fd("bce_with_logits", &l, &g, |x| {
        dl * reference::bce_with_logits(x, &y, Some(&w))
    });
    for (gamma, alpha) in [(2.0, 0.25), (0.5, 0.9), (0.0, 0.5)] {
        let g = reference::focal_with_logits_backward(&l, &y, gamma, alpha, dl);
        check_fd("focal", &l, &g, |x| {
            dl * reference::focal_with_logits(x, &y, gamma, alpha)
        });
    }

    // Away from the clamp, where the loss is smooth.
    let q = f64s(&uniform(&mut r, n * d, 0.05, 0.95));
    let t = f64s(&uniform(&mut r, n * d, 0.0, 1.0));
    let g = reference::bce_backward(&q, &t, dl);
    check_fd("bce", &q, &g, |x| dl * reference::bce(x, &t));
    let g = reference::mse_backward(&q, &t, dl);
    check_fd("mse", &q, &g, |x| dl * reference::mse(x, &t));
}

#[test]
fn logit_losses_are_stable_for_huge_logits() {
    let l: Vec<f32> = vec![
        1e4, -1e4, 1e4, -1e4, 0.0, 50.0, -50.0, 88.0, -88.0, 100.0, -3e3, 17.0,
    ];
    let y: Vec<f32> = vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
    let n = l.len();
    let (lt, yt) = (upload(&[n], &l), upload(&[n], &y));
    let (l64, y64) = (f64s(&l), f64s(&y));
    let dl = DLOSS as f64;
    let g = dl / n as f64;

    // Terms of up to 1e4 that do not cancel here: a relative bound on the mean.
    let got = loss::bce_with_logits(&lt, &yt, None).item() as f64;
    let want = reference::bce_with_logits(&l64, &y64, None);
    assert!(
        (got - want).abs() <= 64.0 * EPS32 * want,
        "bce_with_logits {got} vs {want}"
    );
    let grad = loss::bce_with_logits_backward(&lt, &yt, None, &dloss()).to_vec();
    let want = reference::bce_with_logits_backward(&l64, &y64, None, dl);
    assert_within(
        "bce_with_logits backward, huge logits",
        &grad,
        &want,
        &vec![8.0 * EPS32 * g; n],
    );

    let got = loss::focal_with_logits(&lt, &yt, 2.0, 0.25).item() as f64;
    let want = reference::focal_with_logits(&l64, &y64, 2.0, 0.25);
    assert!(
        (got - want).abs() <= 64.0 * EPS32 * want,
        "focal {got} vs {want}"
    );
    let grad = loss::focal_with_logits_backward(&lt, &yt, 2.0, 0.25, &dloss()).to_vec();
    let want = reference::focal_with_logits_backward(&l64, &y64, 2.0, 0.25, dl);
    // Where the power underflows in f32 (γ·|s| ≳ 104) the gradient is ~e^{-100}: absolute.
    let bound: Vec<f64> = want.iter().map(|w| 1e-3 * w.abs() + 1e-30).collect();
    assert_within("focal backward, huge logits", &grad, &want, &bound);
}

#[test]
fn forward_sums_are_reproducible() {
    let mut r = rng(8);
    let (n, d) = (1000, 784);
    let (q, y) = (
        uniform(&mut r, n * d, 0.0, 1.0),
        uniform(&mut r, n * d, 0.0, 1.0),
    );
    let (qt, yt) = (upload(&[n, d], &q), upload(&[n, d], &y));
    let a = loss::bce(&qt, &yt).item();
    let b = loss::bce(&qt, &yt).item();
    assert_eq!(a.to_bits(), b.to_bits());
    let a = loss::mse(&qt, &yt).item();
    let b = loss::mse(&qt, &yt).item();
    assert_eq!(a.to_bits(), b.to_bits());
}
