use dvaan_tensor::ops::conv_transpose::{self as ct, reference};
use dvaan_tensor::Tensor;

use crate::common::*;
use crate::conv::{abs, case, check_forward, check_variants, random_data, variants, Case, Data};

/// Transposed convolutions: x [n, c, h, w], weight [c, o, kh, kw], then output padding.
const CASES: &[Case] = &[
    case(1, 1, 1, 1, 1, (1, 1), 1, 0).out_pad(0), // 1x1 everything
    case(2, 3, 3, 2, 5, (3, 3), 1, 0).out_pad(0), // k3 s1 p0, non-square input
    case(1, 4, 3, 3, 3, (3, 3), 3, 1).out_pad(2), // k3 s3 p1, output padding 2
    case(2, 5, 2, 3, 7, (2, 2), 2, 0).out_pad(1), // even kernel
    case(1, 3, 4, 4, 2, (1, 1), 2, 0).out_pad(1), // k1 s2: odd rows/columns get no product
    case(2, 3, 3, 4, 92, (3, 2), 2, 1).out_pad(1), // non-square kernel, 92 outputs
    case(2, 256, 2, 2, 128, (3, 3), 2, 1).out_pad(1), // decoder 1: 2 -> 4
    case(2, 128, 4, 4, 92, (3, 3), 2, 1).out_pad(0), // decoder 2: 4 -> 7
    case(1, 92, 7, 7, 64, (5, 5), 2, 2).out_pad(1), // decoder 3: 7 -> 14
    case(2, 64, 14, 14, 1, (5, 5), 2, 2).out_pad(1), // decoder 4: 14 -> 28
    case(1, 600, 2, 2, 3, (3, 3), 2, 1).out_pad(1), // 2,400-term sums: split (portable), bias after
];

fn data(t: &Case, seed: u64) -> Data {
    let oh = reference::out_size(t.h, t.kh, t.s, t.p, t.op);
    let ow = reference::out_size(t.w, t.kw, t.s, t.p, t.op);
    random_data(t, seed, [t.c, t.o, t.kh, t.kw], (oh, ow))
}

#[test]
fn conv_transpose2d_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 500 + i as u64);
        let (xs, ks, (x, w)) = (t.xs(), t.ks(), (&d.x64, &d.w64));
        let with_bias = reference::conv_transpose2d(x, w, Some(&d.b64), xs, ks, t.s, t.p, t.op);
        let without = reference::conv_transpose2d(x, w, None, xs, ks, t.s, t.p, t.op);
        let mag = reference::conv_transpose2d(&abs(x), &abs(w), None, xs, ks, t.s, t.p, t.op);
        check_forward(t, &d, (&with_bias, &without, &mag), |v, b| {
            ct::conv_transpose2d_with(&d.x, &d.w, b, t.s, t.p, t.op, v)
        });
    }
}

#[test]
fn conv_transpose2d_backward_input_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 600 + i as u64);
        let (xs, ks, (dy, w)) = (t.xs(), t.ks(), (&d.dy64, &d.w64));
        let want = reference::conv_transpose2d_backward_input(dy, w, xs, ks, t.s, t.p, t.op);
        let mag =
            reference::conv_transpose2d_backward_input(&abs(dy), &abs(w), xs, ks, t.s, t.p, t.op);
        check_variants(
            &format!("{t:?}"),
            &xs,
            (&want, &mag),
            t.o * t.kh * t.kw,
            |v| ct::conv_transpose2d_backward_input_with(&d.dy, &d.w, t.s, t.p, v),
        );
    }
}

#[test]
fn conv_transpose2d_backward_weight_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 700 + i as u64);
        let (xs, ks, (x, dy)) = (t.xs(), t.ks(), (&d.x64, &d.dy64));
        let want = reference::conv_transpose2d_backward_weight(x, dy, xs, ks, t.s, t.p, t.op);
        let mag =
            reference::conv_transpose2d_backward_weight(&abs(x), &abs(dy), xs, ks, t.s, t.p, t.op);
        let (terms, ws) = (t.n * t.h * t.w, [t.c, t.o, t.kh, t.kw]);
        check_variants(&format!("{t:?}"), &ws, (&want, &mag), terms, |v| {
            ct::conv_transpose2d_backward_weight_with(&d.x, &d.dy, (t.kh, t.kw), t.s, t.p, v)
        });
    }
}

#[test]
fn conv_transpose_is_deterministic() {
    // Decoder 4 at batch 4: 784 input pixels per weight-gradient term, split in several parts.
    let t = case(4, 64, 14, 14, 1, (5, 5), 2, 2).out_pad(1);
    let d = data(&t, 800);
    let (x, w, dy) = (&d.x, &d.w, &d.dy);
    let bits = |t: Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for v in variants() {
        let run = || {
            [
                bits(ct::conv_transpose2d_with(x, w, None, t.s, t.p, t.op, v)),
                bits(ct::conv_transpose2d_backward_input_with(dy, w, t.s, t.p, v)),
                bits(ct::conv_transpose2d_backward_weight_with(
                    x,
                    dy,
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
