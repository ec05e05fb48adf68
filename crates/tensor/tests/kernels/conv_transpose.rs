use dvaan_tensor::ops::conv_transpose::{self as ct, reference};
use dvaan_tensor::Tensor;

use crate::common::*;
use crate::conv::{abs, assert_dot_close, variants};

/// One transposed convolution: batch, in channels, height, width, out channels, kernel h,
/// kernel w, stride, padding, output padding.
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
    op: usize,
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
    op: usize,
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
        op,
    }
}

const CASES: &[Case] = &[
    case(1, 1, 1, 1, 1, (1, 1), 1, 0, 0),     // 1x1 everything
    case(2, 3, 3, 2, 5, (3, 3), 1, 0, 0),     // k3 s1 p0, non-square input
    case(1, 4, 3, 3, 3, (3, 3), 3, 1, 2),     // k3 s3 p1, output padding 2
    case(2, 5, 2, 3, 7, (2, 2), 2, 0, 1),     // even kernel
    case(1, 3, 4, 4, 2, (1, 1), 2, 0, 1),     // k1 s2: odd rows/columns get no product
    case(2, 3, 3, 4, 92, (3, 2), 2, 1, 1),    // non-square kernel, 92 outputs
    case(2, 256, 2, 2, 128, (3, 3), 2, 1, 1), // decoder 1: 2 -> 4
    case(2, 128, 4, 4, 92, (3, 3), 2, 1, 0),  // decoder 2: 4 -> 7
    case(1, 92, 7, 7, 64, (5, 5), 2, 2, 1),   // decoder 3: 7 -> 14
    case(2, 64, 14, 14, 1, (5, 5), 2, 2, 1),  // decoder 4: 14 -> 28
    case(1, 600, 2, 2, 3, (3, 3), 2, 1, 1),   // 2,400-term sums: split (portable), bias after
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
    let oh = reference::out_size(t.h, t.kh, t.s, t.p, t.op);
    let ow = reference::out_size(t.w, t.kw, t.s, t.p, t.op);
    Data {
        x: uniform(&mut r, t.n * t.c * t.h * t.w, -1.0, 1.0),
        w: uniform(&mut r, t.c * t.o * t.kh * t.kw, -1.0, 1.0),
        b: uniform(&mut r, t.o, -1.0, 1.0),
        dy: uniform(&mut r, t.n * t.o * oh * ow, -1.0, 1.0),
        oh,
        ow,
    }
}

#[test]
fn conv_transpose2d_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 500 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let x = upload(&xs, &d.x);
        let w = upload(&[t.c, t.o, t.kh, t.kw], &d.w);
        let b = upload(&[t.o], &d.b);
        let (x64, w64, b64) = (f64s(&d.x), f64s(&d.w), f64s(&d.b));
        let with_bias = reference::conv_transpose2d(&x64, &w64, Some(&b64), xs, ks, t.s, t.p, t.op);
        let without = reference::conv_transpose2d(&x64, &w64, None, xs, ks, t.s, t.p, t.op);
        let mag = reference::conv_transpose2d(&abs(&x64), &abs(&w64), None, xs, ks, t.s, t.p, t.op);
        // Each output sums at most C*KH*KW products.
        let terms = t.c * t.kh * t.kw;
        for v in variants() {
            let got = ct::conv_transpose2d_with(&x, &w, Some(&b), t.s, t.p, t.op, v);
            assert_eq!(got.shape(), [t.n, t.o, d.oh, d.ow]);
            assert_dot_close(
                &format!("{v:?} {t:?} bias"),
                &got.to_vec(),
                &with_bias,
                &mag,
                terms,
            );
            let got = ct::conv_transpose2d_with(&x, &w, None, t.s, t.p, t.op, v).to_vec();
            assert_dot_close(&format!("{v:?} {t:?}"), &got, &without, &mag, terms);
        }
    }
}

#[test]
fn conv_transpose2d_backward_input_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 600 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let w = upload(&[t.c, t.o, t.kh, t.kw], &d.w);
        let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
        let (dy64, w64) = (f64s(&d.dy), f64s(&d.w));
        let want = reference::conv_transpose2d_backward_input(&dy64, &w64, xs, ks, t.s, t.p, t.op);
        let mag = reference::conv_transpose2d_backward_input(
            &abs(&dy64),
            &abs(&w64),
            xs,
            ks,
            t.s,
            t.p,
            t.op,
        );
        for v in variants() {
            let got = ct::conv_transpose2d_backward_input_with(&dy, &w, t.s, t.p, v);
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
fn conv_transpose2d_backward_weight_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 700 + i as u64);
        let (xs, ks) = ([t.n, t.c, t.h, t.w], [t.o, t.kh, t.kw]);
        let x = upload(&xs, &d.x);
        let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
        let (x64, dy64) = (f64s(&d.x), f64s(&d.dy));
        let want = reference::conv_transpose2d_backward_weight(&x64, &dy64, xs, ks, t.s, t.p, t.op);
        let mag = reference::conv_transpose2d_backward_weight(
            &abs(&x64),
            &abs(&dy64),
            xs,
            ks,
            t.s,
            t.p,
            t.op,
        );
        for v in variants() {
            let got = ct::conv_transpose2d_backward_weight_with(&x, &dy, (t.kh, t.kw), t.s, t.p, v);
            assert_eq!(got.shape(), [t.c, t.o, t.kh, t.kw]);
            assert_dot_close(
                &format!("{v:?} {t:?}"),
                &got.to_vec(),
                &want,
                &mag,
                t.n * t.h * t.w,
            );
        }
    }
}

#[test]
fn conv_transpose_is_deterministic() {
    // Decoder 4 at batch 4: 784 input pixels per weight-gradient term, split in several parts.
    let t = case(4, 64, 14, 14, 1, (5, 5), 2, 2, 1);
    let d = data(&t, 800);
    let x = upload(&[t.n, t.c, t.h, t.w], &d.x);
    let w = upload(&[t.c, t.o, t.kh, t.kw], &d.w);
    let dy = upload(&[t.n, t.o, d.oh, d.ow], &d.dy);
    let bits = |t: Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for v in variants() {
        let run = || {
            [
                bits(ct::conv_transpose2d_with(&x, &w, None, t.s, t.p, t.op, v)),
                bits(ct::conv_transpose2d_backward_input_with(
                    &dy, &w, t.s, t.p, v,
                )),
                bits(ct::conv_transpose2d_backward_weight_with(
                    &x,
                    &dy,
                    (t.kh, t.kw),
                    t.s,
                    t.p,
                    v,
                )),
            ]
        };
        assert!(run() == run(), "{v:?}: two identical runs differ");
    }
}

#[test]
#[should_panic(expected = "output_padding 2 must be smaller than stride 2")]
fn conv_transpose2d_rejects_large_output_padding() {
    let x = Tensor::zeros(gpu(), &[1, 3, 4, 4]);
    let w = Tensor::zeros(gpu(), &[3, 2, 3, 3]);
    ct::conv_transpose2d(&x, &w, None, 2, 1, 2);
}
