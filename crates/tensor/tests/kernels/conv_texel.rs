//! The texel convolution (`ops/conv/texel.rs`, CPU adapters) on shapes of its own beyond the
//! shared cases of `conv.rs`: its reference checks, the shapes it leaves to the fallback
//! kernel (with the dispatches that tell the two apart), and its determinism.

use dvaan_tensor::ops::conv::{self, reference, Variant};
use dvaan_tensor::{with_texel_reads, Gpu, Tensor};

use crate::common::*;
use crate::conv::{abs, assert_dot_close, bits, case, data, texel_runs, Case};

/// Shapes the texel kernel takes beyond the shared cases: 1x1, 2x2, 7x7 and 28x28 maps, 4,
/// 92 and 256 channels, 3 and 7 channels (filled up with zero channels to whole quads),
/// batch 1 and 64, output channels and pixel counts that leave partial tiles, and
/// weight-gradient reductions N·OH·OW that are not a multiple of 4 or that split. Every tile
/// shape (64 or 128 rows, 4 or 8 columns per invocation) meets partial tiles in some op.
const TEXEL_CASES: &[Case] = &[
    case(1, 256, 1, 1, 5, (1, 1), 1, 0), // 1x1 map, 256 channels, 5 of 64 columns
    case(3, 256, 2, 2, 70, (3, 3), 1, 1), // 2x2 map, padding wider than the map, 70 outputs
    case(64, 92, 7, 7, 9, (3, 3), 2, 1), // batch 64, 92 channels
    case(1, 8, 28, 28, 3, (5, 5), 1, 2), // 28x28, batch 1: 784 rows (12.25 tiles)
    case(64, 4, 28, 28, 8, (3, 3), 2, 1), // 28x28, batch 64, 4 channels: wgrad splits
    case(2, 12, 6, 5, 4, (3, 2), 2, 1),  // non-square kernel and map
    case(1, 4, 3, 3, 2, (3, 3), 1, 0),   // one output pixel: K = 1
    case(8, 8, 14, 14, 36, (3, 3), 1, 1), // 1568 rows: 128-row tiles, 36 of 64 columns
    case(4, 16, 9, 9, 250, (1, 1), 1, 0), // wgrad: 250 rows in 128-row tiles, 16 columns of 32
    case(3, 3, 32, 32, 32, (5, 5), 2, 2), // three channels (the first layer on 32x32x3 images)
    case(1, 7, 7, 7, 6, (3, 3), 1, 1),   // seven channels: two quads, the second part zero
];

/// The forward and the weight gradient of [`TEXEL_CASES`] on the texel kernel (the shared
/// cases run it too, on every op).
#[test]
fn conv2d_texel_matches_reference() {
    if !texel_runs(gpu(), "conv2d_texel_matches_reference") {
        return;
    }
    // The layout kernels read their sources from buffers and from staged textures.
    for reads in [false, true] {
        with_texel_reads(Some(reads), conv2d_texel_matches_reference_once);
    }
}

fn conv2d_texel_matches_reference_once() {
    let v = Variant::Texel;
    for (i, t) in TEXEL_CASES.iter().enumerate() {
        let d = data(t, 900 + i as u64);
        let (xs, ks, (x, w, dy)) = (t.xs(), t.ks(), (&d.x64, &d.w64, &d.dy64));
        let want = reference::conv2d(x, w, Some(&d.b64), xs, ks, t.s, t.p);
        let mag = reference::conv2d(&abs(x), &abs(w), None, xs, ks, t.s, t.p);
        let got = conv::conv2d_with(&d.x, &d.w, Some(&d.b), t.s, t.p, v);
        assert_eq!(got.shape(), [t.n, t.o, d.oh, d.ow]);
        let terms = t.c * t.kh * t.kw;
        assert_dot_close(&format!("texel {t:?}"), &got.to_vec(), &want, &mag, terms);

        let want = reference::conv2d_backward_weight(x, dy, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_weight(&abs(x), &abs(dy), xs, ks, t.s, t.p);
        let got = conv::conv2d_backward_weight_with(&d.x, &d.dy, (t.kh, t.kw), t.s, t.p, v);
        assert_eq!(got.shape(), [t.o, t.c, t.kh, t.kw]);
        let terms = t.n * d.oh * d.ow;
        assert_dot_close(
            &format!("texel wgrad {t:?}"),
            &got.to_vec(),
            &want,
            &mag,
            terms,
        );
    }
}

/// The input gradient on the texel kernel, which takes output channels that are a multiple
/// of 4: [`TEXEL_CASES`] with input and output channels swapped (so the input channels leave
/// partial tiles), and strides whose phases have no taps (k1 s2) or skip rows (k3 s3).
#[test]
fn conv2d_backward_input_texel_matches_reference() {
    if !texel_runs(gpu(), "conv2d_backward_input_texel_matches_reference") {
        return;
    }
    // The layout kernels read their sources from buffers and from staged textures.
    for reads in [false, true] {
        with_texel_reads(
            Some(reads),
            conv2d_backward_input_texel_matches_reference_once,
        );
    }
}

fn conv2d_backward_input_texel_matches_reference_once() {
    let swapped = TEXEL_CASES.iter().map(|t| Case {
        c: t.o,
        o: t.c,
        ..*t
    });
    let strided = [
        case(2, 3, 5, 4, 8, (1, 1), 2, 0),
        case(2, 5, 10, 7, 4, (3, 3), 3, 1),
    ];
    for (i, t) in swapped.chain(strided).enumerate() {
        let d = data(&t, 960 + i as u64);
        let (xs, ks, (dy, w)) = (t.xs(), t.ks(), (&d.dy64, &d.w64));
        let want = reference::conv2d_backward_input(dy, w, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_input(&abs(dy), &abs(w), xs, ks, t.s, t.p);
        let got =
            conv::conv2d_backward_input_with(&d.dy, &d.w, (t.h, t.w), t.s, t.p, Variant::Texel);
        assert_eq!(got.shape(), xs);
        let terms = t.o * t.kh * t.kw;
        assert_dot_close(
            &format!("texel dgrad {t:?}"),
            &got.to_vec(),
            &want,
            &mag,
            terms,
        );
    }
}

/// Dispatches recorded on `gpu` by `op`, and its result's bits.
fn traced(gpu: &Gpu, op: impl FnOnce() -> Tensor) -> (u64, Vec<u32>) {
    let before = gpu.counters().dispatches;
    let out = op();
    (gpu.counters().dispatches - before, bits(&out))
}

/// Shapes the texel kernel does not take run its fallback: the same dispatches and the same
/// bits. A shape it takes records its layout kernels as well, so the test can tell.
#[test]
fn conv_texel_falls_back_on_shapes_it_does_not_take() {
    // A private device, so other tests running in parallel do not move its counters.
    let gpu = Gpu::new().unwrap();
    if !texel_runs(&gpu, "conv_texel_falls_back_on_shapes_it_does_not_take") {
        return;
    }
    let fallback = Variant::texel_fallback(&gpu);
    let on_gpu = |t: &Tensor| Tensor::from_slice(&gpu, t.shape(), &t.to_vec());
    // One channel: filling it up to a quad would be four times the work.
    let t = case(2, 1, 9, 9, 10, (3, 3), 2, 1);
    let d = data(&t, 949);
    let (x, w, b, dy) = (on_gpu(&d.x), on_gpu(&d.w), on_gpu(&d.b), on_gpu(&d.dy));
    let fwd = |v| traced(&gpu, || conv::conv2d_with(&x, &w, Some(&b), t.s, t.p, v));
    let wgrad = |v| {
        traced(&gpu, || {
            conv::conv2d_backward_weight_with(&x, &dy, (3, 3), t.s, t.p, v)
        })
    };
    assert_eq!(fwd(Variant::Texel), fwd(fallback), "forward, 1 channel");
    assert_eq!(
        wgrad(Variant::Texel),
        wgrad(fallback),
        "weight grad, 1 channel"
    );
    // Three channels are filled up to a quad: the texel kernel takes the forward (one
    // dispatch lays out x and the weight, then the GEMM) and the weight gradient (two
    // layouts, the GEMM and the copy that drops the zero channels' gradient).
    let t = case(2, 3, 9, 9, 10, (3, 3), 2, 1);
    let d = data(&t, 950);
    let (x, w, dy) = (on_gpu(&d.x), on_gpu(&d.w), on_gpu(&d.dy));
    let fwd = |v| traced(&gpu, || conv::conv2d_with(&x, &w, None, t.s, t.p, v)).0;
    let wgrad = |v| {
        traced(&gpu, || {
            conv::conv2d_backward_weight_with(&x, &dy, (3, 3), t.s, t.p, v)
        })
        .0
    };
    assert_eq!(
        (fwd(Variant::Texel), fwd(fallback)),
        (2, 1),
        "forward, 3 channels"
    );
    assert_eq!(
        (wgrad(Variant::Texel), wgrad(fallback)),
        (4, 1),
        "weight grad, 3 channels"
    );
    // Ten output channels: the input gradient's reduction is not whole texels.
    let dgrad = |v| {
        traced(&gpu, || {
            conv::conv2d_backward_input_with(&dy, &w, (9, 9), t.s, t.p, v)
        })
    };
    assert_eq!(
        dgrad(Variant::Texel),
        dgrad(fallback),
        "input grad, 10 outputs"
    );
    // Eight channels, twelve outputs: the texel kernel runs (forward: x's and the weight's
    // layout in one dispatch, and the GEMM; input gradient: dy's layout with every stride
    // phase's weights in one dispatch, and one GEMM over all the phases).
    let t = case(2, 8, 9, 9, 12, (3, 3), 2, 1);
    let d = data(&t, 951);
    let (x, w, dy) = (on_gpu(&d.x), on_gpu(&d.w), on_gpu(&d.dy));
    let fwd = |v| traced(&gpu, || conv::conv2d_with(&x, &w, None, t.s, t.p, v)).0;
    assert_eq!((fwd(Variant::Texel), fwd(fallback)), (2, 1));
    let dgrad = |v| {
        traced(&gpu, || {
            conv::conv2d_backward_input_with(&dy, &w, (9, 9), t.s, t.p, v)
        })
        .0
    };
    assert_eq!((dgrad(Variant::Texel), dgrad(fallback)), (2, 1));
}

#[test]
fn conv_texel_is_deterministic() {
    if !texel_runs(gpu(), "conv_texel_is_deterministic") {
        return;
    }
    // 4 channels, 64 outputs: the texel kernel takes all three ops; the weight gradient's
    // 784-term reduction splits in three (its 100 columns make only 2 workgroups). The
    // encoder's first layer (one channel) sends its input gradient to the narrow kernel.
    let t = case(16, 4, 14, 14, 64, (5, 5), 2, 2);
    let d = data(&t, 410);
    let first = case(4, 1, 28, 28, 64, (5, 5), 2, 2);
    let d1 = data(&first, 411);
    let v = Variant::Texel;
    let (k, s, p) = ((t.kh, t.kw), t.s, t.p);
    let run = || {
        [
            bits(&conv::conv2d_with(&d.x, &d.w, Some(&d.b), s, p, v)),
            bits(&conv::conv2d_backward_weight_with(&d.x, &d.dy, k, s, p, v)),
            bits(&conv::conv2d_backward_input_with(
                &d.dy,
                &d.w,
                (14, 14),
                s,
                p,
                v,
            )),
            bits(&conv::conv2d_backward_input_with(
                &d1.dy,
                &d1.w,
                (28, 28),
                s,
                p,
                v,
            )),
        ]
    };
    assert!(run() == run(), "texel: two identical runs differ");
}
