use dvaan_tensor::ops::conv::{self, reference, Variant};
use dvaan_tensor::Tensor;

use crate::common::*;

/// Every variant that runs on the test adapter.
pub fn variants() -> Vec<Variant> {
    let mut v = vec![Variant::Portable];
    if Variant::subgroup_runs_on(gpu()) {
        v.push(Variant::Subgroup);
    }
    v
}

/// Each output is a sum of `terms` f32 products accumulated with fused multiply-adds (plus
/// one partial-sum addition per split of the weight gradient, at most `terms` of them in
/// all): the standard bound for recursive summation is |err| ≤ terms·u·Σ|a·b|, u = 2⁻²⁴,
/// with Σ|a·b| the same formula evaluated on |operands| (`magnitude`). That is a rigorous
/// bound, not a fit, and still far below one missing or misplaced product for our shapes.
pub fn assert_dot_close(what: &str, got: &[f32], want: &[f64], magnitude: &[f64], terms: usize) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} vs reference {}",
        got.len(),
        want.len()
    );
    let u = f32::EPSILON as f64 / 2.0;
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(magnitude).enumerate() {
        // + one rounding of the final value and of an added bias
        let bound = (2 * terms + 2) as f64 * u * m + 2.0 * u * w.abs();
        let err = (g as f64 - w).abs();
        assert!(
            err <= bound,
            "{what}: element {i} is {g} but the reference is {w} (error {err:e}, bound {bound:e})"
        );
    }
}

pub fn abs(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.abs()).collect()
}

/// One convolution: batch, in channels, height, width, out channels, kernel h, kernel w,
/// stride, padding.
#[derive(Debug, Clone, Copy)]
struct Case {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    kh: usize,
    kw: usize,
    s: usize,
    p: usize,
}

#[allow(clippy::too_many_arguments)]
const fn case(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    k: (usize, usize),
    s: usize,
    p: usize,
) -> Case {
    Case {
        n,
        c,
        h,
        w,
        o,
        kh: k.0,
        kw: k.1,
        s,
        p,
    }
}

const CASES: &[Case] = &[
    case(1, 1, 1, 1, 1, (1, 1), 1, 0),     // 1x1 map, 1x1 kernel
    case(2, 3, 2, 2, 5, (3, 3), 1, 1),     // 2x2 map, padding larger than the map's interior
    case(1, 92, 7, 7, 3, (3, 3), 1, 0),    // 92 channels, k3 s1 p0
    case(3, 5, 7, 9, 92, (5, 5), 2, 2),    // non-square input, 92 outputs, k5 s2 p2
    case(2, 4, 10, 7, 6, (3, 3), 3, 1),    // k3 s3 p1: taps skip input rows
    case(2, 7, 5, 6, 9, (1, 1), 1, 0),     // k1 s1 p0
    case(1, 2, 5, 4, 3, (1, 1), 2, 0),     // k1 s2: input rows no output reads
    case(2, 3, 6, 5, 4, (3, 2), 2, 1),     // non-square kernel
    case(4, 1, 28, 28, 64, (5, 5), 2, 2),  // encoder 1 (several weight-gradient splits)
    case(2, 64, 14, 14, 92, (5, 5), 2, 2), // encoder 2
    case(2, 92, 7, 7, 128, (3, 3), 2, 1),  // encoder 3
    case(2, 128, 4, 4, 256, (3, 3), 2, 1), // encoder 4
    case(1, 128, 7, 7, 256, (5, 5), 2, 2), // discriminator 3
    // A 20,000-term reduction: longer than one invocation may loop on lavapipe, so every
    // kernel splits it and sums the pieces.
    case(1, 20_000, 1, 1, 2, (1, 1), 1, 0),
];

struct Data {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    dy: Vec<f32>,
    oh: usize,
    ow: usize,
}

fn data(t: &Case, seed: u64) -> Data {
    let mut r = rng(seed);
    let oh = reference::out_size(t.h, t.kh, t.s, t.p);
    let ow = reference::out_size(t.w, t.kw, t.s, t.p);
    Data {
        x: uniform(&mut r, t.n * t.c * t.h * t.w, -1.0, 1.0),
        w: uniform(&mut r, t.o * t.c * t.kh * t.kw, -1.0, 1.0),
        b: uniform(&mut r, t.o, -1.0, 1.0),
        dy: uniform(&mut r, t.n * t.o * oh * ow, -1.0, 1.0),
        oh,
        ow,
    }
}

#[test]
fn conv2d_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 100 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let x = upload(&xs, &d.x);
        let w = upload(&[t.o, t.c, t.kh, t.kw], &d.w);
        let b = upload(&[t.o], &d.b);
        let (x64, w64, b64) = (f64s(&d.x), f64s(&d.w), f64s(&d.b));
        let with_bias = reference::conv2d(&x64, &w64, Some(&b64), xs, ks, t.s, t.p);
        let without = reference::conv2d(&x64, &w64, None, xs, ks, t.s, t.p);
        let mag = reference::conv2d(&abs(&x64), &abs(&w64), None, xs, ks, t.s, t.p);
        let terms = t.c * t.kh * t.kw;
        for v in variants() {
            let got = conv::conv2d_with(&x, &w, Some(&b), t.s, t.p, v);
            assert_eq!(got.shape(), [t.n, t.o, d.oh, d.ow]);
            assert_dot_close(
                &format!("{v:?} {t:?} bias"),
                &got.to_vec(),
                &with_bias,
                &mag,
                terms,
            );
            let got = conv::conv2d_with(&x, &w, None, t.s, t.p, v).to_vec();
            assert_dot_close(&format!("{v:?} {t:?}"), &got, &without, &mag, terms);
        }
    }
}

#[test]
fn conv2d_backward_input_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 200 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let w = upload(&[t.o, t.c, t.kh, t.kw], &d.w);
        let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
        let (dy64, w64) = (f64s(&d.dy), f64s(&d.w));
        let want = reference::conv2d_backward_input(&dy64, &w64, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_input(&abs(&dy64), &abs(&w64), xs, ks, t.s, t.p);
        for v in variants() {
            let got = conv::conv2d_backward_input_with(&dy, &w, (t.h, t.w), t.s, t.p, v);
            assert_eq!(got.shape(), xs);
            assert_dot_close(
                &format!("{v:?} {t:?}"),
                &got.to_vec(),
                &want,
                &mag,
                t.o * t.kh * t.kw,
            );
        }
    }
}

#[test]
fn conv2d_backward_weight_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 300 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let x = upload(&xs, &d.x);
        let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
        let (x64, dy64) = (f64s(&d.x), f64s(&d.dy));
        let want = reference::conv2d_backward_weight(&x64, &dy64, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_weight(&abs(&x64), &abs(&dy64), xs, ks, t.s, t.p);
        for v in variants() {
            let got = conv::conv2d_backward_weight_with(&x, &dy, (t.kh, t.kw), t.s, t.p, v);
            assert_eq!(got.shape(), [t.o, t.c, t.kh, t.kw]);
            assert_dot_close(
                &format!("{v:?} {t:?}"),
                &got.to_vec(),
                &want,
                &mag,
                t.n * d.oh * d.ow,
            );
        }
    }
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn conv_kernels_are_deterministic() {
    // Encoder 1 at batch 8 splits the weight gradient's 1568-term reduction.
    let t = case(8, 1, 28, 28, 64, (5, 5), 2, 2);
    let d = data(&t, 400);
    let x = upload(&[t.n, t.c, t.h, t.w], &d.x);
    let w = upload(&[t.o, t.c, t.kh, t.kw], &d.w);
    let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
    for v in variants() {
        let runs: Vec<[Vec<u32>; 3]> = (0..2)
            .map(|_| {
                [
                    bits(&conv::conv2d_with(&x, &w, None, t.s, t.p, v)),
                    bits(&conv::conv2d_backward_input_with(
                        &dy,
                        &w,
                        (t.h, t.w),
                        t.s,
                        t.p,
                        v,
                    )),
                    bits(&conv::conv2d_backward_weight_with(
                        &x,
                        &dy,
                        (t.kh, t.kw),
                        t.s,
                        t.p,
                        v,
                    )),
                ]
            })
            .collect();
        assert!(runs[0] == runs[1], "{v:?}: two identical runs differ");
    }
}

#[test]
#[should_panic(expected = "conv2d: x [1, 3, 5, 5] has 3 channels")]
fn conv2d_rejects_mismatched_channels() {
    let x = Tensor::zeros(gpu(), &[1, 3, 5, 5]);
    let w = Tensor::zeros(gpu(), &[2, 4, 3, 3]);
    conv::conv2d(&x, &w, None, 1, 0);
}
