use dvaan_tensor::ops::batch_norm::{self as bn, reference};
use dvaan_tensor::{with_texel_reads, Tensor};

use crate::common::*;

const U: f64 = f32::EPSILON as f64 / 2.0; // unit roundoff of f32
const MOMENTUM: f32 = 0.1;
const EPS: f32 = 1e-5;

/// Roundings a channel's sums go through on the GPU: R/w in-order adds per invocation,
/// then log2(w) levels of the workgroup tree (w = the reduction width); planes of whole
/// quads (the `…4` kernels) take R/(4w) adds per lane of a vec4 and two to add its lanes,
/// covered by the +2. Forward and
/// backward results are a few such sums combined, so their tolerances are small multiples
/// of `depth(R)·u` relative to the size of the quantities involved; a misplaced or missing
/// element gives errors of O(1).
fn depth(r: usize) -> f64 {
    let w = dvaan_tensor::ops::reduce::reduction_width(gpu()) as usize;
    (r.div_ceil(w) + w.ilog2() as usize + 2) as f64
}

struct Case {
    shape: Vec<usize>,
    x: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    running_mean: Vec<f32>,
    running_var: Vec<f32>,
}

/// x = offset + uniform(-spread, spread); gamma, beta and the running statistics random.
fn case(shape: &[usize], offset: f32, spread: f32, seed: u64) -> Case {
    let mut r = rng(seed);
    let c = shape[1];
    let n = shape.iter().product();
    Case {
        shape: shape.to_vec(),
        x: uniform(&mut r, n, -spread, spread)
            .iter()
            .map(|v| v + offset)
            .collect(),
        gamma: uniform(&mut r, c, 0.5, 1.5),
        beta: uniform(&mut r, c, -1.0, 1.0),
        running_mean: uniform(&mut r, c, -1.0, 1.0),
        running_var: uniform(&mut r, c, 0.5, 2.0),
    }
}

fn values_per_channel(shape: &[usize]) -> usize {
    shape[0] * shape[2..].iter().product::<usize>()
}

/// max |xhat| = max |x − mean|·inv_std over all elements.
fn xhat_max(x: &[f32], shape: &[usize], mean: &[f64], inv_std: &[f64]) -> f64 {
    let (c, hw) = (shape[1], shape[2..].iter().product::<usize>());
    x.iter().enumerate().fold(0.0f64, |m, (i, &v)| {
        let ch = (i / hw) % c;
        m.max((v as f64 - mean[ch]).abs() * inv_std[ch])
    })
}

fn max_abs(v: &[f32]) -> f64 {
    v.iter().fold(0.0f64, |m, &x| m.max(x.abs() as f64))
}

const SHAPES: &[&[usize]] = &[
    &[2, 1],
    &[64, 3],
    &[64, 512],
    &[1, 92, 7, 7],
    &[3, 92, 7, 7],
    &[64, 256, 2, 2],
    &[1, 92, 4, 4],
    &[3, 64, 14, 14],
    &[2, 3, 1, 1],
    &[64, 1, 28, 28], // 50,176 values in one channel
];

/// Forward against the reference: y, the saved statistics and the running averages, with x
/// read from its buffer and from a staging texture (where it is whole texels).
fn check_train(k: &Case, what: &str) {
    for reads in [false, true] {
        with_texel_reads(Some(reads), || {
            check_train_once(k, &format!("{what} texel_reads={reads}"))
        });
    }
}

fn check_train_once(k: &Case, what: &str) {
    let dev = |v: &[f32]| upload(&[v.len()], v);
    let (rm, rv) = (dev(&k.running_mean), dev(&k.running_var));
    let out = bn::batch_norm_train(
        &upload(&k.shape, &k.x),
        &dev(&k.gamma),
        &dev(&k.beta),
        &rm,
        &rv,
        MOMENTUM,
        EPS,
    );
    let want = reference::batch_norm_train(
        &f64s(&k.x),
        &k.shape,
        &f64s(&k.gamma),
        &f64s(&k.beta),
        &f64s(&k.running_mean),
        &f64s(&k.running_var),
        MOMENTUM as f64,
        EPS as f64,
    );
    let d = depth(values_per_channel(&k.shape));
    // The sums run over x − x0 (x0 a value of the channel), whose size is the spread; the
    // mean then takes one more rounding at its own magnitude.
    let spread = want.inv_std.iter().fold(0.0f64, |m, &s| m.max(1.0 / s));
    let mean_scale = want.mean.iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    assert_close(
        &format!("{what}: mean"),
        &out.mean.to_vec(),
        &want.mean,
        2.0 * U,
        4.0 * d * U * spread + 2.0 * U * mean_scale,
    );
    // Variance: centred values carry ~d·u·spread of error, squared-and-summed adds d·u
    // relative; inv_std halves the relative error of var + eps and adds a rounding or two.
    let rel = 8.0 * d * U;
    assert_close(
        &format!("{what}: inv_std"),
        &out.inv_std.to_vec(),
        &want.inv_std,
        rel,
        0.0,
    );
    // y = xhat·gamma + beta: relative error `rel` on xhat·gamma, one rounding of beta.
    let y_scale = max_abs(&k.gamma) * xhat_max(&k.x, &k.shape, &want.mean, &want.inv_std);
    assert_close(
        &format!("{what}: y"),
        &out.y.to_vec(),
        &want.y,
        2.0 * U,
        rel * y_scale + 2.0 * U * max_abs(&k.beta),
    );
    assert_close(
        &format!("{what}: running_mean"),
        &rm.to_vec(),
        &want.running_mean,
        4.0 * U,
        4.0 * d * U * spread + 4.0 * U * mean_scale,
    );
    assert_close(
        &format!("{what}: running_var"),
        &rv.to_vec(),
        &want.running_var,
        rel,
        1e-30,
    );
}

#[test]
fn train_forward_matches_reference() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        check_train(
            &case(shape, 0.0, 1.0, s as u64),
            &format!("train {shape:?}"),
        );
    }
}

#[test]
fn train_forward_is_accurate_when_mean_dwarfs_spread() {
    // |mean|/std ≈ 10^4: Σx² − R·mean² would cancel every digit of f32.
    for (s, &shape) in [&[64usize, 3][..], &[4, 92, 7, 7], &[64, 1, 28, 28]]
        .iter()
        .enumerate()
    {
        check_train(
            &case(shape, 100.0, 0.02, 10 + s as u64),
            &format!("offset {shape:?}"),
        );
        check_train(
            &case(shape, -3000.0, 0.5, 20 + s as u64),
            &format!("offset {shape:?}"),
        );
    }
}

#[test]
fn batch_of_one_gives_beta_and_finite_running_var() {
    // One value per channel: variance 0, y = beta exactly; the running variance takes the
    // biased variance (0) because the unbiased one would divide by zero.
    let k = case(&[1, 5], 0.0, 3.0, 30);
    let dev = |v: &[f32]| upload(&[v.len()], v);
    let (rm, rv) = (dev(&k.running_mean), dev(&k.running_var));
    let out = bn::batch_norm_train(
        &upload(&k.shape, &k.x),
        &dev(&k.gamma),
        &dev(&k.beta),
        &rm,
        &rv,
        MOMENTUM,
        EPS,
    );
    assert_eq!(out.y.to_vec(), k.beta, "batch of one: y must be beta");
    let want_rv: Vec<f64> = k
        .running_var
        .iter()
        .map(|&v| (1.0 - MOMENTUM as f64) * v as f64)
        .collect();
    assert_close(
        "batch of one: running_var",
        &rv.to_vec(),
        &want_rv,
        2.0 * U,
        0.0,
    );
    assert_close(
        "batch of one: running_mean",
        &rm.to_vec(),
        &reference::batch_norm_train(
            &f64s(&k.x),
            &k.shape,
            &f64s(&k.gamma),
            &f64s(&k.beta),
            &f64s(&k.running_mean),
            &f64s(&k.running_var),
            MOMENTUM as f64,
            EPS as f64,
        )
        .running_mean,
        4.0 * U,
        0.0,
    );
}

#[test]
fn eval_matches_reference() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        let k = case(shape, 0.5, 2.0, 40 + s as u64);
        let dev = |v: &[f32]| upload(&[v.len()], v);
        let y = bn::batch_norm_eval(
            &upload(shape, &k.x),
            &dev(&k.gamma),
            &dev(&k.beta),
            &dev(&k.running_mean),
            &dev(&k.running_var),
            EPS,
        );
        let want = reference::batch_norm_eval(
            &f64s(&k.x),
            shape,
            &f64s(&k.gamma),
            &f64s(&k.beta),
            &f64s(&k.running_mean),
            &f64s(&k.running_var),
            EPS as f64,
        );
        // A handful of roundings (sqrt, divide, subtract, multiply, add), each ≤ u relative
        // to a term of size ≤ |x − mean|·gamma/sqrt(var) + |beta| ≤ 8.
        assert_close(
            &format!("eval {shape:?}"),
            &y.to_vec(),
            &want,
            8.0 * U,
            8.0 * 8.0 * U,
        );
    }
}

/// Runs forward then backward on the GPU and compares the backward with the reference fed
/// the same forward statistics.
#[test]
fn backward_matches_reference() {
    for reads in [false, true] {
        with_texel_reads(Some(reads), || backward_matches_reference_once(reads));
    }
}

fn backward_matches_reference_once(reads: bool) {
    for (s, &shape) in SHAPES.iter().enumerate() {
        for &(offset, spread) in &[(0.0f32, 1.0f32), (100.0, 0.02)] {
            let k = case(shape, offset, spread, 50 + s as u64);
            let n: usize = shape.iter().product();
            let dy = uniform(&mut rng(60 + s as u64), n, -1.0, 1.0);
            let dev = |v: &[f32]| upload(&[v.len()], v);
            let (xt, gt) = (upload(shape, &k.x), dev(&k.gamma));
            let fwd = bn::batch_norm_train(
                &xt,
                &gt,
                &dev(&k.beta),
                &dev(&k.running_mean),
                &dev(&k.running_var),
                MOMENTUM,
                EPS,
            );
            let grads =
                bn::batch_norm_backward(&xt, &upload(shape, &dy), &gt, &fwd.mean, &fwd.inv_std);
            let (mean, inv_std) = (fwd.mean.to_vec(), fwd.inv_std.to_vec());
            let (dx, dgamma, dbeta) = reference::batch_norm_backward(
                &f64s(&k.x),
                &f64s(&dy),
                shape,
                &f64s(&k.gamma),
                &f64s(&mean),
                &f64s(&inv_std),
            );
            let r = values_per_channel(shape);
            let d = depth(r);
            let what = format!("backward {shape:?} offset {offset} texel_reads={reads}");
            // dbeta = Σdy, dgamma = Σdy·xhat with |dy| ≤ 1: sums of R terms of size ≤ 1 and
            // ≤ xhat_max, the latter with xhat itself off by ~2u relative.
            let xhat_max = xhat_max(&k.x, shape, &f64s(&mean), &f64s(&inv_std));
            assert_close(
                &format!("{what}: dbeta"),
                &grads.dbeta.to_vec(),
                &dbeta,
                0.0,
                d * U * r as f64,
            );
            assert_close(
                &format!("{what}: dgamma"),
                &grads.dgamma.to_vec(),
                &dgamma,
                0.0,
                (d + 3.0) * U * r as f64 * xhat_max,
            );
            // dx = k·(dy − mean(dy) − xhat·mean(dy·xhat)): each term ≤ |k|·(1 + xhat_max·…)
            // with relative error ≲ d·u, k = gamma·inv_std.
            let k_max = k
                .gamma
                .iter()
                .zip(&inv_std)
                .fold(0.0f64, |m, (&g, &i)| m.max((g * i).abs() as f64));
            assert_close(
                &format!("{what}: dx"),
                &grads.dx.to_vec(),
                &dx,
                0.0,
                4.0 * d * U * k_max * (2.0 + xhat_max),
            );
        }
    }
}

/// The reference backward is the true gradient of the reference forward: central
/// differences in f64 of L = Σ w·y(x, gamma, beta) for a fixed random w.
#[test]
fn reference_backward_matches_finite_differences() {
    for (s, shape) in [
        vec![4usize, 3],
        vec![1, 3],
        vec![2, 3, 2, 2],
        vec![3, 2, 1, 3],
    ]
    .iter()
    .enumerate()
    {
        let mut r = rng(70 + s as u64);
        let n: usize = shape.iter().product();
        let c = shape[1];
        let x = f64s(&uniform(&mut r, n, -1.0, 1.0));
        let gamma = f64s(&uniform(&mut r, c, 0.5, 1.5));
        let beta = f64s(&uniform(&mut r, c, -1.0, 1.0));
        let w = f64s(&uniform(&mut r, n, -1.0, 1.0));
        let zeros = vec![0.0; c];
        let eps = 1e-3; // large enough that the batch-of-one case is smooth too
        let loss = |x: &[f64], g: &[f64], b: &[f64]| -> f64 {
            let f = reference::batch_norm_train(x, shape, g, b, &zeros, &zeros, 0.1, eps);
            f.y.iter().zip(&w).map(|(y, w)| y * w).sum()
        };
        let f = reference::batch_norm_train(&x, shape, &gamma, &beta, &zeros, &zeros, 0.1, eps);
        let (dx, dgamma, dbeta) =
            reference::batch_norm_backward(&x, &w, shape, &gamma, &f.mean, &f.inv_std);
        let h = 1e-6;
        let central = |v: &[f64], i: usize, l: &dyn Fn(&[f64]) -> f64| {
            let (mut p, mut m) = (v.to_vec(), v.to_vec());
            p[i] += h;
            m[i] -= h;
            (l(&p) - l(&m)) / (2.0 * h)
        };
        // Truncation O(h²·|L'''|) ≈ 1e-12·inv_std³ and cancellation ≈ 1e-16·|L|/h ≈ 1e-9.
        let tol = 1e-6;
        for (i, &g) in dx.iter().enumerate() {
            let fd = central(&x, i, &|v| loss(v, &gamma, &beta));
            assert!(
                (fd - g).abs() < tol,
                "{shape:?}: dx[{i}] = {g} but finite differences give {fd}"
            );
        }
        for j in 0..c {
            let fd = central(&gamma, j, &|v| loss(&x, v, &beta));
            assert!(
                (fd - dgamma[j]).abs() < tol,
                "{shape:?}: dgamma[{j}] = {} vs {fd}",
                dgamma[j]
            );
            let fd = central(&beta, j, &|v| loss(&x, &gamma, v));
            assert!(
                (fd - dbeta[j]).abs() < tol,
                "{shape:?}: dbeta[{j}] = {} vs {fd}",
                dbeta[j]
            );
        }
    }
}

#[test]
fn train_and_backward_are_deterministic() {
    let shape = [64, 92, 7, 7];
    let k = case(&shape, 0.3, 1.0, 80);
    let n: usize = shape.iter().product();
    let dy = upload(&shape, &uniform(&mut rng(81), n, -1.0, 1.0));
    let dev = |v: &[f32]| upload(&[v.len()], v);
    let (xt, gt, bt) = (upload(&shape, &k.x), dev(&k.gamma), dev(&k.beta));
    let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let run = || {
        let f = bn::batch_norm_train(
            &xt,
            &gt,
            &bt,
            &dev(&k.running_mean),
            &dev(&k.running_var),
            MOMENTUM,
            EPS,
        );
        let g = bn::batch_norm_backward(&xt, &dy, &gt, &f.mean, &f.inv_std);
        [&f.y, &f.mean, &f.inv_std, &g.dx, &g.dgamma, &g.dbeta].map(bits)
    };
    assert!(run() == run(), "batch norm results differ between runs");
}

#[test]
#[should_panic(expected = "batch_norm_train: gamma must be [3]")]
fn train_rejects_wrong_gamma() {
    let x = upload(&[2, 3], &[0.0; 6]);
    let v = upload(&[4], &[1.0; 4]);
    let c = upload(&[3], &[1.0; 3]);
    bn::batch_norm_train(&x, &v, &c, &c, &c, MOMENTUM, EPS);
}

/// Batch norm with its ReLU fused gives, bit for bit, the separate kernels it replaces (each
/// held to its f64 reference above): the forward the ReLU of the training forward (with the
/// same statistics and running averages), the backward the ReLU's backward followed by the
/// batch-norm backward. On every shape above (batch 1, 92 channels, planes that are and are
/// not whole quads, 1-d), from buffers and from staged textures.
#[test]
fn relu_fused_matches_the_separate_kernels_bit_for_bit() {
    use dvaan_tensor::ops::elementwise::{activation, activation_backward, Activation};
    let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for reads in [false, true] {
        with_texel_reads(Some(reads), || {
            for (s, &shape) in SHAPES.iter().enumerate() {
                let k = case(shape, 0.5, 1.0, 70 + s as u64);
                let n: usize = shape.iter().product();
                let dy = upload(shape, &uniform(&mut rng(80 + s as u64), n, -1.0, 1.0));
                let dev = |v: &[f32]| upload(&[v.len()], v);
                let (xt, gt, bt) = (upload(shape, &k.x), dev(&k.gamma), dev(&k.beta));
                let what = format!("{shape:?} texel reads {reads}");
                let (rm, rv) = (dev(&k.running_mean), dev(&k.running_var));
                let plain = bn::batch_norm_train(&xt, &gt, &bt, &rm, &rv, MOMENTUM, EPS);
                let relu = activation(&plain.y, Activation::Relu);
                let (rm_f, rv_f) = (dev(&k.running_mean), dev(&k.running_var));
                let fused = bn::batch_norm_relu_train(&xt, &gt, &bt, &rm_f, &rv_f, MOMENTUM, EPS);
                assert!(bits(&fused.y) == bits(&relu), "forward {what}");
                assert!(bits(&fused.mean) == bits(&plain.mean), "mean {what}");
                assert!(
                    bits(&fused.inv_std) == bits(&plain.inv_std),
                    "inv_std {what}"
                );
                assert!(
                    bits(&rm_f) == bits(&rm) && bits(&rv_f) == bits(&rv),
                    "running {what}"
                );

                let masked = activation_backward(&relu, &dy, Activation::Relu);
                let want = bn::batch_norm_backward(&xt, &masked, &gt, &plain.mean, &plain.inv_std);
                let got = bn::batch_norm_relu_backward(
                    &xt,
                    &fused.y,
                    &dy,
                    &gt,
                    &fused.mean,
                    &fused.inv_std,
                );
                assert!(bits(&got.dx) == bits(&want.dx), "dx {what}");
                assert!(bits(&got.dgamma) == bits(&want.dgamma), "dgamma {what}");
                assert!(bits(&got.dbeta) == bits(&want.dbeta), "dbeta {what}");
            }
        });
    }
}
