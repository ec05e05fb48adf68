//! The kernels against an outside oracle: PyTorch's values for small fixed inputs, kept in
//! `fixtures/torch_oracle.rs` (printed by `fixtures/torch_oracle.py`). The f64 references
//! are this project's own reading of the formulas; PyTorch checks that reading (layouts,
//! padding, output padding, which variance normalises and which one the running average
//! takes) from outside.

use dvaan_tensor::ops::batch_norm as bn;
use dvaan_tensor::ops::conv::{self, reference as conv_ref};
use dvaan_tensor::ops::conv_transpose::{self as ct, reference as ct_ref};
use dvaan_tensor::with_texel_reads;

use crate::common::*;
use crate::conv::{abs, variants};
use crate::torch_oracle as torch;

const U: f64 = f32::EPSILON as f64 / 2.0; // unit roundoff of f32

/// Each output is a sum of `terms` products plus perhaps a bias. An f32 evaluation in any
/// order, with or without fused multiply-adds, is off the exact sum by at most
/// (2·terms + 2)·u·Σ|a·b| (`magnitude`, the same sum on |operands|, bias included): the
/// products' roundings and the additions', to first order. The engine and PyTorch are each
/// within that, so they differ by at most twice it. (The fixture's operands are multiples of
/// 1/8 below 2, so every product and partial sum here is in fact exact on both sides.)
fn assert_sums_match(what: &str, got: &[f32], want: &[f32], magnitude: &[f64], terms: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert_eq!(magnitude.len(), want.len(), "{what}: magnitude length");
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(magnitude).enumerate() {
        let bound = 2.0 * (2 * terms + 2) as f64 * U * m;
        let err = (g as f64 - w as f64).abs();
        assert!(
            err <= bound,
            "{what}: element {i} is {g} but PyTorch gives {w} (error {err:e}, bound {bound:e})"
        );
    }
}

fn same_shape(what: &str, got: &[usize], want: &[usize]) {
    assert_eq!(got, want, "{what}: shape");
}

#[test]
fn conv2d_and_its_gradients_match_pytorch() {
    let (xs, ws, ys) = (
        torch::CONV_X_SHAPE,
        torch::CONV_W_SHAPE,
        torch::CONV_Y_SHAPE,
    );
    let (stride, pad) = (2, 1);
    let ks = [ws[0], ws[2], ws[3]];
    let (x, w, b, dy) = (
        upload(&xs, torch::CONV_X),
        upload(&ws, torch::CONV_W),
        upload(&[ws[0]], torch::CONV_B),
        upload(&ys, torch::CONV_DY),
    );
    let (ax, aw, ab, ady) = (
        abs(&f64s(torch::CONV_X)),
        abs(&f64s(torch::CONV_W)),
        abs(&f64s(torch::CONV_B)),
        abs(&f64s(torch::CONV_DY)),
    );
    let y_mag = conv_ref::conv2d(&ax, &aw, Some(&ab), xs, ks, stride, pad);
    let dx_mag = conv_ref::conv2d_backward_input(&ady, &aw, xs, ks, stride, pad);
    let dw_mag = conv_ref::conv2d_backward_weight(&ax, &ady, xs, ks, stride, pad);
    for v in variants() {
        let y = conv::conv2d_with(&x, &w, Some(&b), stride, pad, v);
        same_shape("conv2d", y.shape(), &ys);
        let terms = xs[1] * ks[1] * ks[2];
        assert_sums_match(
            &format!("{v:?} conv2d"),
            &y.to_vec(),
            torch::CONV_Y,
            &y_mag,
            terms,
        );

        let dx = conv::conv2d_backward_input_with(&dy, &w, (xs[2], xs[3]), stride, pad, v);
        same_shape("conv2d dx", dx.shape(), &xs);
        let terms = ws[0] * ks[1] * ks[2];
        let what = format!("{v:?} conv2d dx");
        assert_sums_match(&what, &dx.to_vec(), torch::CONV_DX, &dx_mag, terms);

        let dw = conv::conv2d_backward_weight_with(&x, &dy, (ks[1], ks[2]), stride, pad, v);
        same_shape("conv2d dw", dw.shape(), &ws);
        let terms = ys[0] * ys[2] * ys[3];
        let what = format!("{v:?} conv2d dw");
        assert_sums_match(&what, &dw.to_vec(), torch::CONV_DW, &dw_mag, terms);
    }
}

#[test]
fn conv_transpose2d_matches_pytorch() {
    let (xs, ws, ys) = (
        torch::CONVT_X_SHAPE,
        torch::CONVT_W_SHAPE,
        torch::CONVT_Y_SHAPE,
    );
    let (stride, pad, out_pad) = (2, 1, 1);
    // The references take the kernel as [out channels, kh, kw].
    let ks = [ws[1], ws[2], ws[3]];
    let (x, w, b) = (
        upload(&xs, torch::CONVT_X),
        upload(&ws, torch::CONVT_W),
        upload(&[ws[1]], torch::CONVT_B),
    );
    let (ax, aw, ab) = (
        abs(&f64s(torch::CONVT_X)),
        abs(&f64s(torch::CONVT_W)),
        abs(&f64s(torch::CONVT_B)),
    );
    let mag = ct_ref::conv_transpose2d(&ax, &aw, Some(&ab), xs, ks, stride, pad, out_pad);
    // Each output gathers at most C·KH·KW products.
    let terms = xs[1] * ws[2] * ws[3];
    for v in variants() {
        let y = ct::conv_transpose2d_with(&x, &w, Some(&b), stride, pad, out_pad, v);
        same_shape("conv_transpose2d", y.shape(), &ys);
        let what = format!("{v:?} conv_transpose2d");
        assert_sums_match(&what, &y.to_vec(), torch::CONVT_Y, &mag, terms);
    }
}

/// The training forward and the backward on both read paths. Tolerances are those of the
/// batch-norm tests (`batch_norm.rs`) with the summation depth set to R, the values per
/// channel, which bounds any order of summing R terms, and doubled, since PyTorch's values
/// carry their own rounding.
#[test]
fn batch_norm_train_and_backward_match_pytorch() {
    let shape = torch::BN_X_SHAPE;
    let c = shape[1];
    let r = shape[0] * shape[2] * shape[3];
    let d = r as f64;
    let max_abs = |v: &[f32]| v.iter().fold(0.0f64, |m, &x| m.max(x.abs() as f64));
    // Scales from PyTorch's own statistics: the spread is 1/inv_std, xhat = (x − mean)·inv_std.
    let spread = torch::BN_INV_STD
        .iter()
        .fold(0.0f64, |m, &s| m.max(1.0 / s as f64));
    let mean_scale = max_abs(torch::BN_MEAN);
    let hw = shape[2] * shape[3];
    let xhat_max = torch::BN_X.iter().enumerate().fold(0.0f64, |m, (i, &v)| {
        let ch = (i / hw) % c;
        m.max(((v - torch::BN_MEAN[ch]) * torch::BN_INV_STD[ch]).abs() as f64)
    });
    let rel = 8.0 * d * U;
    let k_max = (0..c).fold(0.0f64, |m, ch| {
        m.max((torch::BN_GAMMA[ch] * torch::BN_INV_STD[ch]).abs() as f64)
    });
    let close = |what: &str, got: &[f32], want: &[f32], rtol: f64, atol: f64| {
        assert_close(what, got, &f64s(want), 2.0 * rtol, 2.0 * atol);
    };
    for reads in [false, true] {
        with_texel_reads(Some(reads), || {
            let what = |name: &str| format!("batch norm {name} (texel reads {reads})");
            let dev = |v: &[f32]| upload(&[v.len()], v);
            let (rm, rv) = (
                dev(torch::BN_RUNNING_MEAN_BEFORE),
                dev(torch::BN_RUNNING_VAR_BEFORE),
            );
            let (x, gamma) = (upload(&shape, torch::BN_X), dev(torch::BN_GAMMA));
            let out = bn::batch_norm_train(
                &x,
                &gamma,
                &dev(torch::BN_BETA),
                &rm,
                &rv,
                torch::BN_MOMENTUM,
                torch::BN_EPS,
            );
            let (mean, inv_std) = (out.mean.to_vec(), out.inv_std.to_vec());
            let mean_atol = 4.0 * d * U * spread + 2.0 * U * mean_scale;
            close(&what("mean"), &mean, torch::BN_MEAN, 2.0 * U, mean_atol);
            close(&what("inv_std"), &inv_std, torch::BN_INV_STD, rel, 0.0);
            let y_atol =
                rel * max_abs(torch::BN_GAMMA) * xhat_max + 2.0 * U * max_abs(torch::BN_BETA);
            close(&what("y"), &out.y.to_vec(), torch::BN_Y, 2.0 * U, y_atol);
            let rm_atol = 4.0 * d * U * spread + 4.0 * U * mean_scale;
            let rm_want = torch::BN_RUNNING_MEAN;
            close(
                &what("running mean"),
                &rm.to_vec(),
                rm_want,
                4.0 * U,
                rm_atol,
            );
            let rv_want = torch::BN_RUNNING_VAR;
            close(&what("running var"), &rv.to_vec(), rv_want, rel, 0.0);

            let dy = upload(&shape, torch::BN_DY);
            let grads = bn::batch_norm_backward(&x, &dy, &gamma, &out.mean, &out.inv_std);
            // |dy| ≤ 1 in the fixture.
            assert!(max_abs(torch::BN_DY) <= 1.0);
            let dbeta_atol = d * U * r as f64;
            let dbeta = grads.dbeta.to_vec();
            close(&what("dbeta"), &dbeta, torch::BN_DBETA, 0.0, dbeta_atol);
            let dgamma_atol = (d + 3.0) * U * r as f64 * xhat_max;
            let dgamma = grads.dgamma.to_vec();
            close(&what("dgamma"), &dgamma, torch::BN_DGAMMA, 0.0, dgamma_atol);
            let dx_atol = 4.0 * d * U * k_max * (2.0 + xhat_max);
            close(&what("dx"), &grads.dx.to_vec(), torch::BN_DX, 0.0, dx_atol);
        });
    }
}
