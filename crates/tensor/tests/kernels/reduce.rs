use dvaan_tensor::ops::reduce::{self as red, reference};
use dvaan_tensor::Tensor;
use rand::Rng;

use crate::common::*;

const U: f64 = f32::EPSILON as f64 / 2.0; // unit roundoff of f32

/// Small integers: every partial sum below 2^24 is exact in f32, whatever the order, so
/// these sums must equal the reference exactly: a wrong or missing element cannot hide.
fn integers(seed: u64, n: usize) -> Vec<f32> {
    let mut r = rng(seed);
    (0..n).map(|_| r.random_range(-8i32..=8) as f32).collect()
}

/// Additions a term goes through on its way into an output of `terms` terms, `outputs`
/// outputs in all, following the kernel choice of ops/reduce.rs: one invocation per output
/// adds all its terms in order; a tree pass adds ⌈terms/w⌉ terms in order per invocation,
/// then log2(w) tree levels (w = reduction width); up to ONE_PASS_MAX_TERMS terms one tree
/// pass, past that a pass over chunks of CHUNK terms and the same choice over the chunk sums.
fn additions(outputs: usize, terms: usize) -> usize {
    let w = red::reduction_width(gpu()) as usize;
    let tree = |t: usize| t.div_ceil(w) - 1 + w.ilog2() as usize;
    if outputs >= red::SERIAL_MIN_OUTPUTS || terms <= red::SERIAL_MAX_TERMS {
        terms - 1
    } else if terms <= red::ONE_PASS_MAX_TERMS {
        tree(terms)
    } else {
        tree(red::CHUNK) + additions(outputs, terms.div_ceil(red::CHUNK))
    }
}

/// Error bound of an f32 sum of `terms` terms: a term meeting d roundings of relative size ≤ u
/// is off by at most γ_d = d·u/(1 − d·u) of itself, so |error| ≤ γ_d·Σ|x| (one more rounding
/// for the scale of a mean). Sums of random floats land far inside it; the sums of small
/// integers above are the ones that catch a wrong or missing term.
fn sum_tol(outputs: usize, terms: usize, abs_sum: f64) -> f64 {
    let d = (additions(outputs, terms) + 1) as f64;
    d * U / (1.0 - d * U) * abs_sum
}

fn assert_sums(what: &str, got: &[f32], want: &[f64], abs_sums: &[f64], terms: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((&g, &w), &a)) in got.iter().zip(want).zip(abs_sums).enumerate() {
        let tol = sum_tol(got.len(), terms, a);
        assert!(
            (g as f64 - w).abs() <= tol,
            "{what}: output {i} is {g}, reference {w} (tolerance {tol})"
        );
    }
}

fn abs(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| x.abs() as f64).collect()
}

#[test]
fn sum_all_and_mean_all() {
    for &n in &[
        1usize, 7, 256, 257, 4096, 4097, 65_536, 65_537, 70_001, 1_000_003,
    ] {
        let x = integers(n as u64, n);
        let xt = upload(&[n], &x);
        let want = reference::sum_all(&f64s(&x));
        assert_eq!(
            red::sum_all(&xt).to_vec(),
            vec![want as f32],
            "sum_all of {n} integers"
        );
        // mean = sum · fl(1/n): two roundings of the exact sum.
        assert_close(
            &format!("mean_all n={n}"),
            &red::mean_all(&xt).to_vec(),
            &[reference::mean_all(&f64s(&x))],
            4.0 * U,
            0.0,
        );

        let xf = uniform(&mut rng(n as u64), n, -1.0, 1.0);
        let got = red::sum_all(&upload(&[n], &xf)).to_vec();
        assert_sums(
            &format!("sum_all n={n}"),
            &got,
            &[reference::sum_all(&f64s(&xf))],
            &[reference::sum_all(&abs(&xf))],
            n,
        );
    }
}

#[test]
fn sum_all_of_empty_is_zero() {
    let x = Tensor::zeros(gpu(), &[0]);
    assert_eq!(red::sum_all(&x).to_vec(), vec![0.0]);
}

const CHANNEL_SHAPES: &[&[usize]] = &[
    &[1, 1],
    &[3, 92],
    &[5000, 3], // bias gradient of a thin layer: few outputs, many terms, one pass
    &[3, 3000], // many outputs: one invocation each
    &[1, 92, 1, 1],
    &[2, 256, 2, 2],
    &[64, 3, 7, 7],
    &[64, 1, 28, 28], // one channel of 50,176 terms, one pass
    &[64, 2, 32, 33], // 67,584 terms per channel: chunks, then a pass over their sums
    &[64, 92, 7, 7],
];

#[test]
fn channel_sum_matches_reference() {
    for (s, &shape) in CHANNEL_SHAPES.iter().enumerate() {
        let n: usize = shape.iter().product();
        let x = integers(100 + s as u64, n);
        let got = red::channel_sum(&upload(shape, &x)).to_vec();
        let want: Vec<f32> = reference::channel_sum(&f64s(&x), shape)
            .iter()
            .map(|&v| v as f32)
            .collect();
        assert_eq!(got, want, "channel_sum of integers {shape:?}");

        let xf = uniform(&mut rng(200 + s as u64), n, -1.0, 1.0);
        let got = red::channel_sum(&upload(shape, &xf)).to_vec();
        let want = reference::channel_sum(&f64s(&xf), shape);
        let abs_sums = reference::channel_sum(&abs(&xf), shape);
        let terms = n / shape[1];
        assert_sums(
            &format!("channel_sum {shape:?}"),
            &got,
            &want,
            &abs_sums,
            terms,
        );
    }
}

#[test]
fn sum_axis_matches_reference() {
    let cases: &[(&[usize], usize)] = &[
        (&[7], 0),
        (&[4, 5, 6], 0),
        (&[4, 5, 6], 1),
        (&[4, 5, 6], 2),
        (&[2, 92, 7, 7], 1),
        (&[2, 92, 7, 7], 3),
        (&[3, 100_000], 1), // long rows: a tree pass over chunks, then their 25 sums in order
        (&[3000, 5], 0),    // few long columns
        (&[3000, 5], 1),    // many short rows: one invocation each
        (&[64, 1, 1], 1),   // an axis of length 1
    ];
    for (s, &(shape, axis)) in cases.iter().enumerate() {
        let n: usize = shape.iter().product();
        let x = integers(300 + s as u64, n);
        let out = red::sum_axis(&upload(shape, &x), axis);
        let mut want_shape: Vec<usize> = shape.to_vec();
        want_shape.remove(axis);
        if want_shape.is_empty() {
            want_shape.push(1);
        }
        assert_eq!(
            out.shape(),
            &want_shape[..],
            "sum_axis {shape:?} axis {axis}: shape"
        );
        let want: Vec<f32> = reference::sum_axis(&f64s(&x), shape, axis)
            .iter()
            .map(|&v| v as f32)
            .collect();
        assert_eq!(
            out.to_vec(),
            want,
            "sum_axis of integers {shape:?} axis {axis}"
        );

        let xf = uniform(&mut rng(400 + s as u64), n, -1.0, 1.0);
        let got = red::sum_axis(&upload(shape, &xf), axis).to_vec();
        let want = reference::sum_axis(&f64s(&xf), shape, axis);
        let abs_sums = reference::sum_axis(&abs(&xf), shape, axis);
        assert_sums(
            &format!("sum_axis {shape:?} axis {axis}"),
            &got,
            &want,
            &abs_sums,
            shape[axis],
        );
    }
}

#[test]
fn add_channel_bias_matches_reference() {
    let mut r = rng(5);
    for &shape in &[
        &[1usize, 1][..],
        &[3, 92],
        &[2, 256, 2, 2],
        &[64, 3, 7, 7],
        &[2, 92, 1, 1],
    ] {
        let n: usize = shape.iter().product();
        let x = uniform(&mut r, n, -2.0, 2.0);
        let b = uniform(&mut r, shape[1], -2.0, 2.0);
        let got = red::add_channel_bias(&upload(shape, &x), &upload(&[shape[1]], &b)).to_vec();
        let want = reference::add_channel_bias(&f64s(&x), shape, &f64s(&b));
        // One f32 addition: a single rounding, ≤ u·|y|.
        assert_close(&format!("add_channel_bias {shape:?}"), &got, &want, U, 0.0);
    }
}

#[test]
fn reductions_are_deterministic() {
    let n = 1_000_003;
    let x = upload(&[n], &uniform(&mut rng(6), n, -1.0, 1.0));
    let a = red::sum_all(&x).to_vec();
    let b = red::sum_all(&x).to_vec();
    assert_eq!(
        a[0].to_bits(),
        b[0].to_bits(),
        "sum_all differs between runs"
    );
    let shape = [64, 92, 7, 7];
    let x = upload(
        &shape,
        &uniform(&mut rng(7), shape.iter().product(), -1.0, 1.0),
    );
    let bits = |t: Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(red::channel_sum(&x)),
        bits(red::channel_sum(&x)),
        "channel_sum differs between runs"
    );
}
