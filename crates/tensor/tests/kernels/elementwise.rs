use dvaan_tensor::ops::elementwise::{self as ew, reference, Activation};

use dvaan_tensor::with_texel_reads;

use crate::common::*;

// Sizes around the 256-wide workgroup, a single element, and one large enough to wrap the
// 65,535-workgroup x limit into y. The maps run from buffers and, where the size is whole
// texels (256, 92·28·28), from staging textures too.
const SIZES: &[usize] = &[1, 7, 255, 256, 257, 92 * 28 * 28, 65_535 * 256 + 3];

const ACTS: &[Activation] = &[
    Activation::Relu,
    Activation::LeakyRelu(0.2),
    Activation::Sigmoid,
    Activation::Tanh,
];

// A single f32 rounding of exp/tanh-class functions: lavapipe's transcendental functions are
// accurate to a few ulp, so 1e-6 absolute on outputs of magnitude ≤ 1 (plus relative 1e-6 for
// the linear ones) is about 10 ulp.
const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-6;

#[test]
fn activations_match_reference() {
    for reads in [false, true] {
        with_texel_reads(Some(reads), activations_match_reference_once);
    }
}

fn activations_match_reference_once() {
    let mut r = rng(1);
    for &n in SIZES {
        let x = uniform(&mut r, n, -8.0, 8.0);
        let xt = upload(&[n], &x);
        for &act in ACTS {
            let y = ew::activation(&xt, act).to_vec();
            assert_close(
                &format!("{act:?} n={n}"),
                &y,
                &reference::activation(&f64s(&x), act),
                RTOL,
                ATOL,
            );
        }
    }
}

#[test]
fn activation_backward_matches_reference() {
    for reads in [false, true] {
        with_texel_reads(Some(reads), activation_backward_matches_reference_once);
    }
}

fn activation_backward_matches_reference_once() {
    let mut r = rng(2);
    for &n in &SIZES[..6] {
        let x = uniform(&mut r, n, -4.0, 4.0);
        let dy = uniform(&mut r, n, -1.0, 1.0);
        let (xt, dyt) = (upload(&[n], &x), upload(&[n], &dy));
        for &act in ACTS {
            let y = ew::activation(&xt, act);
            let dx = ew::activation_backward(&y, &dyt, act).to_vec();
            let want = reference::activation_backward(&f64s(&y.to_vec()), &f64s(&dy), act);
            assert_close(&format!("{act:?}' n={n}"), &dx, &want, RTOL, ATOL);
        }
    }
}

#[test]
fn sigmoid_is_stable_for_huge_inputs() {
    let x = upload(&[4], &[-1e4, -100.0, 100.0, 1e4]);
    let y = ew::activation(&x, Activation::Sigmoid).to_vec();
    assert_eq!(y, vec![0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn binary_ops_match_reference() {
    for reads in [false, true] {
        with_texel_reads(Some(reads), binary_ops_match_reference_once);
    }
}

fn binary_ops_match_reference_once() {
    let mut r = rng(3);
    for &n in &SIZES[..6] {
        let a = uniform(&mut r, n, -3.0, 3.0);
        let b = uniform(&mut r, n, -3.0, 3.0);
        let (at, bt) = (upload(&[n], &a), upload(&[n], &b));
        let (a64, b64) = (f64s(&a), f64s(&b));
        // One f32 rounding of the result: half an ulp relative.
        let tol = 6e-8;
        assert_close(
            "add",
            &ew::add(&at, &bt).to_vec(),
            &reference::axpby(1.0, &a64, 1.0, &b64),
            tol,
            0.0,
        );
        assert_close(
            "sub",
            &ew::sub(&at, &bt).to_vec(),
            &reference::axpby(1.0, &a64, -1.0, &b64),
            tol,
            0.0,
        );
        assert_close(
            "mul",
            &ew::mul(&at, &bt).to_vec(),
            &reference::mul(&a64, &b64),
            tol,
            0.0,
        );
        // axpby rounds three times (two products, one sum): cancellation makes relative error
        // unbounded, so the bound is absolute in terms of the operands' size (|a|,|b| ≤ 3).
        let got = ew::axpby(0.5, &at, -2.0, &bt).to_vec();
        assert_close(
            "axpby",
            &got,
            &reference::axpby(0.5, &a64, -2.0, &b64),
            0.0,
            3.0 * 2.0 * 3.0 * 1.2e-7,
        );
        assert_close(
            "scale",
            &ew::scale(&at, -1.5).to_vec(),
            &reference::axpby(-1.5, &a64, 0.0, &b64),
            tol,
            0.0,
        );
    }
}

#[test]
fn full_fills_every_element() {
    let t = ew::full(gpu(), &[3, 5, 7], 2.5);
    assert!(t.to_vec().iter().all(|&v| v == 2.5));
}
