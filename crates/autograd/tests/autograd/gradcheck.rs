//! Every differentiable op's backward, run through the tape on the GPU, against central
//! finite differences of the engine's f64 CPU references.
//!
//! Tolerances (|g − fd| ≤ atol·max(1, max|fd|) + rtol·|fd|), from the f32 error of what
//! the GPU computes; the finite differences themselves are accurate to ~1e-8 (see `H`):
//! - element-wise maps and losses: a few f32 operations or transcendental calls per
//!   element (Vulkan allows a few ulp for exp/tanh), so rtol 1e-4, atol 1e-5;
//! - GEMM and convolutions: a K-term f32 dot product errs by at most ~K·ε·Σ|a||b|; with
//!   K ≤ 60 and O(1) values that is ≤ 1e-4 in the worst case, so atol 1e-4, rtol 1e-3;
//! - batch norm: its backward subtracts per-channel means of dy and dy·x̂ from dy, and
//!   that cancellation loses digits in proportion to 1/σ, so atol 1e-4, rtol 1e-3.

use dvaan_autograd::{Tape, Var};
use dvaan_tensor::ops::{
    batch_norm as bn, concat, conv, conv_transpose as ct, elementwise as ew, gemm, loss, reparam,
};

use crate::common::*;

const ELEMENTWISE: (f64, f64) = (1e-4, 1e-5);
const DOT: (f64, f64) = (1e-3, 1e-4);

fn check(
    what: &str,
    inputs: &[Input],
    forward: impl Fn(&Tape, &[Var]) -> Var,
    reference: impl Fn(&[Vec<f64>]) -> Vec<f64>,
    (rtol, atol): (f64, f64),
) {
    gradcheck(what, inputs, forward, reference, rtol, atol)
}

#[test]
fn activations() {
    let mut r = rng(1);
    for (name, act) in [
        ("relu", ew::Activation::Relu),
        ("leaky_relu", ew::Activation::LeakyRelu(0.1)),
        ("sigmoid", ew::Activation::Sigmoid),
        ("tanh", ew::Activation::Tanh),
    ] {
        let x = input(&[3, 7], away_from_zero(&mut r, 21, 0.05, 2.0));
        check(
            name,
            &[x],
            |t, v| t.activation(&v[0], act),
            |th| ew::reference::activation(&th[0], act),
            ELEMENTWISE,
        );
    }
}

#[test]
fn arithmetic() {
    let mut r = rng(2);
    let mut pair = || {
        [
            input(&[5, 3], uniform(&mut r, 15, -2.0, 2.0)),
            input(&[5, 3], uniform(&mut r, 15, -2.0, 2.0)),
        ]
    };
    let axpby = ew::reference::axpby;
    check(
        "add",
        &pair(),
        |t, v| t.add(&v[0], &v[1]),
        |th| axpby(1.0, &th[0], 1.0, &th[1]),
        ELEMENTWISE,
    );
    check(
        "sub",
        &pair(),
        |t, v| t.sub(&v[0], &v[1]),
        |th| axpby(1.0, &th[0], -1.0, &th[1]),
        ELEMENTWISE,
    );
    check(
        "mul",
        &pair(),
        |t, v| t.mul(&v[0], &v[1]),
        |th| ew::reference::mul(&th[0], &th[1]),
        ELEMENTWISE,
    );
    check(
        "axpby",
        &pair(),
        |t, v| t.axpby(0.5, &v[0], -3.0, &v[1]),
        |th| axpby(0.5, &th[0], -3.0, &th[1]),
        ELEMENTWISE,
    );
    let [x, _] = pair();
    check(
        "scale",
        &[x],
        |t, v| t.scale(&v[0], -1.5),
        |th| axpby(-1.5, &th[0], 0.0, &th[0]),
        ELEMENTWISE,
    );
}

#[test]
fn weighted_sum_and_a_value_used_twice() {
    let mut r = rng(3);
    let ins: Vec<Input> = (0..3)
        .map(|_| input(&[4], uniform(&mut r, 4, -1.0, 1.0)))
        .collect();
    // v[0] appears in two terms and in a product with itself: its gradient accumulates.
    check(
        "weighted_sum",
        &ins,
        |t, v| {
            let sq = t.mul(&v[0], &v[0]);
            t.weighted_sum(&[(1.0, &v[0]), (0.5, &v[1]), (-2.0, &v[2]), (0.25, &sq)])
        },
        |th| {
            (0..4)
                .map(|i| th[0][i] + 0.5 * th[1][i] - 2.0 * th[2][i] + 0.25 * th[0][i] * th[0][i])
                .collect()
        },
        ELEMENTWISE,
    );
}

#[test]
fn reshape_concat_split_narrow() {
    let mut r = rng(4);
    let x = input(&[2, 3, 2, 2], uniform(&mut r, 24, -1.0, 1.0));
    check(
        "flatten",
        &[x],
        |t, v| t.flatten(&v[0]),
        |th| th[0].clone(),
        ELEMENTWISE,
    );

    let shapes = [[2, 3], [1, 3], [4, 3]];
    let ins: Vec<Input> = shapes
        .iter()
        .map(|s| input(s, uniform(&mut r, s[0] * s[1], -1.0, 1.0)))
        .collect();
    check(
        "concat axis 0",
        &ins,
        |t, v| t.concat(&[&v[0], &v[1], &v[2]], 0),
        |th| {
            concat::reference::concat(
                &[(&th[0], &[2, 3]), (&th[1], &[1, 3]), (&th[2], &[4, 3])],
                0,
            )
        },
        ELEMENTWISE,
    );
    let ins = [
        input(&[2, 3, 2], uniform(&mut r, 12, -1.0, 1.0)),
        input(&[2, 1, 2], uniform(&mut r, 4, -1.0, 1.0)),
    ];
    check(
        "concat axis 1",
        &ins,
        |t, v| t.concat(&[&v[0], &v[1]], 1),
        |th| concat::reference::concat(&[(&th[0], &[2, 3, 2]), (&th[1], &[2, 1, 2])], 1),
        ELEMENTWISE,
    );

    // The middle piece does not reach the output: its rows get zero gradient.
    let x = input(&[5, 3], uniform(&mut r, 15, -1.0, 1.0));
    check(
        "split",
        &[x],
        |t, v| {
            let p = t.split(&v[0], 0, &[2, 1, 2]);
            t.concat(&[&p[2], &p[0]], 0)
        },
        |th| {
            let p = concat::reference::split(&th[0], &[5, 3], 0, &[2, 1, 2]);
            concat::reference::concat(&[(&p[2], &[2, 3]), (&p[0], &[2, 3])], 0)
        },
        ELEMENTWISE,
    );
    let x = input(&[2, 5], uniform(&mut r, 10, -1.0, 1.0));
    check(
        "narrow axis 1",
        &[x],
        |t, v| t.narrow(&v[0], 1, 1, 3),
        |th| concat::reference::split(&th[0], &[2, 5], 1, &[1, 3, 1]).swap_remove(1),
        ELEMENTWISE,
    );
    let x = input(&[5, 2, 2], uniform(&mut r, 20, -1.0, 1.0));
    check(
        "narrow axis 0",
        &[x],
        |t, v| t.narrow(&v[0], 0, 1, 3),
        |th| th[0][4..16].to_vec(),
        ELEMENTWISE,
    );
}

#[test]
fn linear() {
    let mut r = rng(10);
    // [8, 4] -> [8, 4] is a shape whose weight and bias gradients one texel product makes
    // together on CPU adapters (gemm::matmul_and_row_sums).
    for (n, i, o, bias) in [
        (5, 7, 3, true),
        (1, 4, 2, false),
        (3, 1, 9, true),
        (8, 4, 4, true),
    ] {
        let mut ins = vec![
            input(&[n, i], uniform(&mut r, n * i, -1.0, 1.0)),
            input(&[o, i], uniform(&mut r, o * i, -1.0, 1.0)),
        ];
        if bias {
            ins.push(input(&[o], uniform(&mut r, o, -1.0, 1.0)));
        }
        check(
            &format!("linear [{n},{i}] -> [{n},{o}]"),
            &ins,
            |t, v| t.linear(&v[0], &v[1], v.get(2)),
            |th| {
                gemm::reference::matmul(
                    &th[0],
                    &th[1],
                    n,
                    o,
                    i,
                    false,
                    true,
                    th.get(2).map(|b| &b[..]),
                )
            },
            DOT,
        );
    }
    // The activation in the product's epilogue (Tape::linear_activated), smooth ones so no
    // finite-difference step crosses a kink; the [8, 4] shape takes the texel product.
    for (act, (n, i, o)) in [
        (ew::Activation::Tanh, (5, 7, 3)),
        (ew::Activation::Sigmoid, (8, 4, 4)),
    ] {
        let ins = vec![
            input(&[n, i], uniform(&mut r, n * i, -1.0, 1.0)),
            input(&[o, i], uniform(&mut r, o * i, -1.0, 1.0)),
            input(&[o], uniform(&mut r, o, -1.0, 1.0)),
        ];
        check(
            &format!("linear [{n},{i}] -> [{n},{o}] then {act:?}"),
            &ins,
            |t, v| t.linear_activated(&v[0], &v[1], v.get(2), Some(act)),
            |th| {
                let y = gemm::reference::matmul(&th[0], &th[1], n, o, i, false, true, Some(&th[2]));
                ew::reference::activation(&y, act)
            },
            DOT,
        );
    }
}

#[test]
fn conv2d() {
    let mut r = rng(5);
    for (xs, o, k, stride, pad, bias) in [
        ([2, 3, 5, 5], 4, 3, 2, 1, true),
        ([1, 2, 1, 1], 3, 1, 1, 0, false),
        ([2, 1, 4, 3], 2, 2, 1, 1, true),
    ] {
        let ws = [o, xs[1], k, k];
        let mut ins = vec![
            input(&xs, uniform(&mut r, xs.iter().product(), -1.0, 1.0)),
            input(&ws, uniform(&mut r, ws.iter().product(), -1.0, 1.0)),
        ];
        if bias {
            ins.push(input(&[o], uniform(&mut r, o, -1.0, 1.0)));
        }
        check(
            &format!("conv2d x{xs:?} w{ws:?} s{stride} p{pad}"),
            &ins,
            |t, v| t.conv2d(&v[0], &v[1], v.get(2), stride, pad),
            |th| {
                conv::reference::conv2d(
                    &th[0],
                    &th[1],
                    th.get(2).map(|b| &b[..]),
                    xs,
                    [o, k, k],
                    stride,
                    pad,
                )
            },
            DOT,
        );
    }
}

#[test]
fn conv_transpose2d() {
    let mut r = rng(6);
    for (xs, o, k, stride, pad, out_pad, bias) in [
        ([2, 3, 3, 3], 2, 3, 2, 1, 1, true),
        ([1, 2, 2, 1], 3, 2, 1, 0, 0, false),
        ([1, 1, 1, 1], 2, 3, 2, 1, 0, true),
    ] {
        let ws = [xs[1], o, k, k];
        let mut ins = vec![
            input(&xs, uniform(&mut r, xs.iter().product(), -1.0, 1.0)),
            input(&ws, uniform(&mut r, ws.iter().product(), -1.0, 1.0)),
        ];
        if bias {
            ins.push(input(&[o], uniform(&mut r, o, -1.0, 1.0)));
        }
        check(
            &format!("conv_transpose2d x{xs:?} w{ws:?} s{stride} p{pad} op{out_pad}"),
            &ins,
            |t, v| t.conv_transpose2d(&v[0], &v[1], v.get(2), stride, pad, out_pad),
            |th| {
                let b = th.get(2).map(|b| &b[..]);
                ct::reference::conv_transpose2d(
                    &th[0],
                    &th[1],
                    b,
                    xs,
                    [o, k, k],
                    stride,
                    pad,
                    out_pad,
                )
            },
            DOT,
        );
    }
}

#[test]
fn batch_norm() {
    let mut r = rng(7);
    for shape in [vec![6, 4], vec![3, 2, 3, 3], vec![2, 3, 1, 1]] {
        let c = shape[1];
        let n: usize = shape.iter().product();
        let ins = [
            input(&shape, uniform(&mut r, n, -1.0, 1.0)),
            input(&[c], uniform(&mut r, c, 0.5, 1.5)),
            input(&[c], uniform(&mut r, c, -0.5, 0.5)),
        ];
        let rm = uniform(&mut r, c, -0.2, 0.2);
        let rv = uniform(&mut r, c, 0.5, 1.5);
        for training in [true, false] {
            let (rm_t, rv_t) = (upload(&[c], &rm), upload(&[c], &rv));
            let (rm64, rv64, s) = (f64s(&rm), f64s(&rv), shape.clone());
            check(
                &format!("batch_norm {shape:?} training {training}"),
                &ins,
                |t, v| {
                    t.set_training(training);
                    t.batch_norm(&v[0], &v[1], &v[2], &rm_t, &rv_t, 0.1, 1e-5)
                },
                |th| {
                    if training {
                        bn::reference::batch_norm_train(
                            &th[0], &s, &th[1], &th[2], &rm64, &rv64, 0.1, 1e-5,
                        )
                        .y
                    } else {
                        bn::reference::batch_norm_eval(
                            &th[0], &s, &th[1], &th[2], &rm64, &rv64, 1e-5,
                        )
                    }
                },
                DOT,
            );
        }
    }
}

/// The fused batch norm → ReLU of training mode. Finite differences need every output away
/// from the ReLU's kink: β = ±3 with |γ·x̂| < 3 lets a whole channel through or none, so
/// both kinds of channel are checked (values on both sides of the kink within one channel
/// are the engine test's, bit for bit against the separate kernels).
#[test]
fn batch_norm_relu() {
    let mut r = rng(8);
    for shape in [vec![6, 4], vec![3, 4, 3, 3], vec![2, 4, 1, 1]] {
        let c = shape[1];
        let n: usize = shape.iter().product();
        let ins = [
            input(&shape, uniform(&mut r, n, -1.0, 1.0)),
            input(&[c], vec![1.0, 0.8, 1.2, 0.9]),
            input(&[c], vec![3.0, -3.0, 3.0, -3.0]),
        ];
        let (rm, rv) = (upload(&[c], &[0.0; 4]), upload(&[c], &[1.0; 4]));
        let s = shape.clone();
        check(
            &format!("batch_norm_relu {shape:?}"),
            &ins,
            |t, v| t.batch_norm_relu(&v[0], &v[1], &v[2], &rm, &rv, 0.1, 1e-5),
            |th| {
                let y = bn::reference::batch_norm_train(
                    &th[0], &s, &th[1], &th[2], &[0.0; 4], &[1.0; 4], 0.1, 1e-5,
                )
                .y;
                ew::reference::activation(&y, ew::Activation::Relu)
            },
            DOT,
        );
    }
}

#[test]
fn reparameterize() {
    let mut r = rng(8);
    let ins = [
        input(&[3, 5], uniform(&mut r, 15, -1.0, 1.0)),
        input(&[3, 5], uniform(&mut r, 15, -1.5, 1.0)),
    ];
    let eps = uniform(&mut r, 15, -2.0, 2.0);
    let eps_t = upload(&[3, 5], &eps);
    check(
        "reparameterize",
        &ins,
        |t, v| t.reparameterize(&v[0], &v[1], &eps_t),
        |th| reparam::reference::reparameterize(&th[0], &th[1], &f64s(&eps)),
        ELEMENTWISE,
    );
}

#[test]
fn losses() {
    let mut r = rng(9);
    let n = 7;
    let labels: Vec<f32> = (0..n).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let (y, y64) = (upload(&[n], &labels), f64s(&labels));
    let logits = || input(&[n], vec![-3.0, -1.2, -0.3, 0.1, 0.7, 1.9, 4.0]);

    check(
        "bce_with_logits",
        &[logits()],
        |t, v| t.bce_with_logits(&v[0], &y, None),
        |th| vec![loss::reference::bce_with_logits(&th[0], &y64, None)],
        ELEMENTWISE,
    );
    let w = uniform(&mut r, n, 0.2, 3.0);
    let (w_t, w64) = (upload(&[n], &w), f64s(&w));
    check(
        "bce_with_logits weighted",
        &[logits()],
        |t, v| t.bce_with_logits(&v[0], &y, Some(&w_t)),
        |th| vec![loss::reference::bce_with_logits(&th[0], &y64, Some(&w64))],
        ELEMENTWISE,
    );
    check(
        "bce_with_logits scaled by 3 (weighted)",
        &[logits()],
        |t, v| t.bce_with_logits_scaled(&v[0], &y, Some(&w_t), 3.0),
        |th| vec![3.0 * loss::reference::bce_with_logits(&th[0], &y64, Some(&w64))],
        ELEMENTWISE,
    );
    check(
        "focal_with_logits",
        &[logits()],
        |t, v| t.focal_with_logits(&v[0], &y, 2.0, 0.25),
        |th| vec![loss::reference::focal_with_logits(&th[0], &y64, 2.0, 0.25)],
        ELEMENTWISE,
    );

    // Pixel targets in [0, 1]; probabilities inside the clamp so no step crosses its kink.
    let px = uniform(&mut r, 12, 0.0, 1.0);
    let (px_t, px64) = (upload(&[3, 4], &px), f64s(&px));
    check(
        "bce",
        &[input(&[3, 4], uniform(&mut r, 12, 0.05, 0.95))],
        |t, v| t.bce(&v[0], &px_t),
        |th| vec![loss::reference::bce(&th[0], &px64)],
        ELEMENTWISE,
    );
    check(
        "mse (both sides)",
        &[
            input(&[3, 4], uniform(&mut r, 12, -1.0, 1.0)),
            input(&[3, 4], uniform(&mut r, 12, -1.0, 1.0)),
        ],
        |t, v| t.mse(&v[0], &v[1]),
        |th| vec![loss::reference::mse(&th[0], &th[1])],
        ELEMENTWISE,
    );
}
