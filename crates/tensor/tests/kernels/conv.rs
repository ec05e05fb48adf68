use dvaan_tensor::ops::conv::{self, reference, Tiles, Variant};
use dvaan_tensor::{Gpu, Tensor};

use rand::Rng;

use crate::common::*;

/// Every variant that runs on the test adapter (a skipped one is reported, see [`can_run`]);
/// the workgroup-tiled one with its default tile and with a smaller one of half the terms per
/// step (64 invocations; a different split of the reduction into steps and of the operands
/// among invocations).
pub fn variants() -> Vec<Variant> {
    let g = gpu();
    let mut v = vec![
        Variant::Portable,
        Variant::Tiled(Tiles::DEFAULT),
        Variant::Tiled(Tiles::new(32, 32, 8).unwrap()),
    ];
    let subgroup = Variant::subgroup_runs_on(g);
    if can_run(g, Capability::Subgroups, subgroup, "conv variant Subgroup") {
        v.push(Variant::Subgroup);
    }
    if can_run(
        g,
        Capability::Texels,
        Variant::texel_runs_on(g),
        "conv variant Texel",
    ) {
        v.push(Variant::Texel);
    }
    v
}

/// Whether the texel conv kernel runs on `gpu` for the test `what` (a skip is reported).
pub fn texel_runs(gpu: &Gpu, what: &str) -> bool {
    can_run(gpu, Capability::Texels, Variant::texel_runs_on(gpu), what)
}

/// Each output is a sum of `terms` f32 products, each product rounded at most once, summed
/// in some fixed order (serially with fused multiply-adds, or in blocks of four by the texel
/// kernel's 4x4 products, plus one partial-sum addition per split of a reduction, at most
/// `terms` of them in all): whatever the order, the summation error is at most
/// (terms − 1)·u·Σ|a·b| (to first order, u = 2⁻²⁴), with Σ|a·b| the same formula evaluated
/// on |operands| (`magnitude`). That is a rigorous bound, not a fit, and still far below one
/// missing or misplaced product for our shapes.
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

/// Runs `op` on every variant: the output must have `shape` and pass [`assert_dot_close`]
/// against `want`, a reference of `terms`-product sums whose magnitudes are `mag`.
pub fn check_variants(
    what: &str,
    shape: &[usize],
    (want, mag): (&[f64], &[f64]),
    terms: usize,
    op: impl Fn(Variant) -> Tensor,
) {
    for v in variants() {
        let got = op(v);
        assert_eq!(got.shape(), shape);
        assert_dot_close(&format!("{v:?} {what}"), &got.to_vec(), want, mag, terms);
    }
}

/// Checks a forward `op(variant, bias)` on every variant with the bias and without, against
/// the references `with_bias` and `without`; each output sums at most C·KH·KW products.
pub fn check_forward(
    t: &Case,
    d: &Data,
    (with_bias, without, mag): (&[f64], &[f64], &[f64]),
    op: impl Fn(Variant, Option<&Tensor>) -> Tensor,
) {
    let (terms, ys) = (t.c * t.kh * t.kw, [t.n, t.o, d.oh, d.ow]);
    check_variants(&format!("{t:?} bias"), &ys, (with_bias, mag), terms, |v| {
        op(v, Some(&d.b))
    });
    check_variants(&format!("{t:?}"), &ys, (without, mag), terms, |v| {
        op(v, None)
    });
}

/// One convolution: batch, in channels, height, width, out channels, kernel h, kernel w,
/// stride, padding, and the output padding of a transposed convolution (0 here).
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub s: usize,
    pub p: usize,
    pub op: usize,
}

#[allow(clippy::too_many_arguments)]
pub const fn case(
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
        op: 0,
    }
}

impl Case {
    /// The same sizes with the output padding of a transposed convolution.
    pub const fn out_pad(self, op: usize) -> Case {
        Case { op, ..self }
    }

    /// Input shape [n, c, h, w], as the references take it.
    pub fn xs(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// Output channels and kernel size [o, kh, kw], as the references take them.
    pub fn ks(&self) -> [usize; 3] {
        [self.o, self.kh, self.kw]
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

/// Random operands of one case: uploaded, and in f64 for the references.
pub struct Data {
    pub x: Tensor,
    pub w: Tensor,
    pub b: Tensor,
    pub dy: Tensor,
    pub x64: Vec<f64>,
    pub w64: Vec<f64>,
    pub b64: Vec<f64>,
    pub dy64: Vec<f64>,
    pub oh: usize,
    pub ow: usize,
}

/// Random x [n,c,h,w], weight of `w_shape` (o·c·kh·kw values in either layout), bias [o]
/// and dy [n,o,oh,ow] for `t`.
pub fn random_data(t: &Case, seed: u64, w_shape: [usize; 4], (oh, ow): (usize, usize)) -> Data {
    let mut r = rng(seed);
    let x = uniform(&mut r, t.n * t.c * t.h * t.w, -1.0, 1.0);
    let w = uniform(&mut r, t.o * t.c * t.kh * t.kw, -1.0, 1.0);
    let b = uniform(&mut r, t.o, -1.0, 1.0);
    let dy = uniform(&mut r, t.n * t.o * oh * ow, -1.0, 1.0);
    Data {
        x: upload(&t.xs(), &x),
        w: upload(&w_shape, &w),
        b: upload(&[t.o], &b),
        dy: upload(&[t.n, t.o, oh, ow], &dy),
        x64: f64s(&x),
        w64: f64s(&w),
        b64: f64s(&b),
        dy64: f64s(&dy),
        oh,
        ow,
    }
}

pub fn data(t: &Case, seed: u64) -> Data {
    let (oh, ow) = (
        reference::out_size(t.h, t.kh, t.s, t.p),
        reference::out_size(t.w, t.kw, t.s, t.p),
    );
    random_data(t, seed, [t.o, t.c, t.kh, t.kw], (oh, ow))
}

#[test]
fn conv2d_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 100 + i as u64);
        let (xs, ks, (x, w)) = (t.xs(), t.ks(), (&d.x64, &d.w64));
        let with_bias = reference::conv2d(x, w, Some(&d.b64), xs, ks, t.s, t.p);
        let without = reference::conv2d(x, w, None, xs, ks, t.s, t.p);
        let mag = reference::conv2d(&abs(x), &abs(w), None, xs, ks, t.s, t.p);
        check_forward(t, &d, (&with_bias, &without, &mag), |v, b| {
            conv::conv2d_with(&d.x, &d.w, b, t.s, t.p, v)
        });
    }
}

#[test]
fn conv2d_backward_input_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 200 + i as u64);
        let (xs, ks, (dy, w)) = (t.xs(), t.ks(), (&d.dy64, &d.w64));
        let want = reference::conv2d_backward_input(dy, w, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_input(&abs(dy), &abs(w), xs, ks, t.s, t.p);
        let terms = t.o * t.kh * t.kw;
        check_variants(&format!("{t:?}"), &xs, (&want, &mag), terms, |v| {
            conv::conv2d_backward_input_with(&d.dy, &d.w, (t.h, t.w), t.s, t.p, v)
        });
    }
}

#[test]
fn conv2d_backward_weight_matches_reference() {
    for (i, t) in CASES.iter().enumerate() {
        let d = data(t, 300 + i as u64);
        let (xs, ks, (x, dy)) = (t.xs(), t.ks(), (&d.x64, &d.dy64));
        let want = reference::conv2d_backward_weight(x, dy, xs, ks, t.s, t.p);
        let mag = reference::conv2d_backward_weight(&abs(x), &abs(dy), xs, ks, t.s, t.p);
        let (terms, ws) = (t.n * d.oh * d.ow, [t.o, t.c, t.kh, t.kw]);
        check_variants(&format!("{t:?}"), &ws, (&want, &mag), terms, |v| {
            conv::conv2d_backward_weight_with(&d.x, &d.dy, (t.kh, t.kw), t.s, t.p, v)
        });
    }
}

/// Integers in [-4, 4]: products are at most 16 and a 20,000-term sum at most 320,000, so
/// every partial sum is an integer below 2^24, exact in f32 in any order.
fn integers(seed: u64, n: usize) -> Vec<f32> {
    let mut r = rng(seed);
    (0..n).map(|_| r.random_range(-4i32..=4) as f32).collect()
}

/// The reductions long enough to be split into chunks summed afterwards, on integer
/// operands: the results are exact, so they must equal the reference bit for bit. With
/// random operands the 20,000-term forward's rounding bound (about 12) exceeds what a whole
/// chunk contributes (about 3), so a chunk lost or summed twice could pass there.
#[test]
fn split_reductions_are_exact_on_integers() {
    // The 20,000-term forward, and encoder 1's weight gradient (784 terms, split in
    // several chunks by every variant).
    let cases = [
        case(1, 20_000, 1, 1, 2, (1, 1), 1, 0),
        case(4, 1, 28, 28, 64, (5, 5), 2, 2),
    ];
    for (i, t) in cases.iter().enumerate() {
        let (xs, ks) = (t.xs(), t.ks());
        let (oh, ow) = (
            reference::out_size(t.h, t.kh, t.s, t.p),
            reference::out_size(t.w, t.kw, t.s, t.p),
        );
        let seed = 1000 + 10 * i as u64;
        let x = integers(seed, t.n * t.c * t.h * t.w);
        let w = integers(seed + 1, t.o * t.c * t.kh * t.kw);
        let b = integers(seed + 2, t.o);
        let dy = integers(seed + 3, t.n * t.o * oh * ow);
        let exact = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        let (x64, w64, b64, dy64) = (f64s(&x), f64s(&w), f64s(&b), f64s(&dy));
        let y_want = exact(reference::conv2d(&x64, &w64, Some(&b64), xs, ks, t.s, t.p));
        let dw_want = exact(reference::conv2d_backward_weight(
            &x64, &dy64, xs, ks, t.s, t.p,
        ));
        let (xt, wt, bt) = (
            upload(&xs, &x),
            upload(&[t.o, t.c, t.kh, t.kw], &w),
            upload(&[t.o], &b),
        );
        let dyt = upload(&[t.n, t.o, oh, ow], &dy);
        for v in variants() {
            let y = conv::conv2d_with(&xt, &wt, Some(&bt), t.s, t.p, v).to_vec();
            assert_eq!(y, y_want, "{v:?} {t:?}: forward of integers");
            let dw = conv::conv2d_backward_weight_with(&xt, &dyt, (t.kh, t.kw), t.s, t.p, v);
            assert_eq!(
                dw.to_vec(),
                dw_want,
                "{v:?} {t:?}: weight gradient of integers"
            );
        }
    }
}

pub fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn conv_kernels_are_deterministic() {
    // Encoder 1 at batch 8 splits the weight gradient's 1568-term reduction.
    let t = case(8, 1, 28, 28, 64, (5, 5), 2, 2);
    let d = data(&t, 400);
    let (x, w, dy) = (&d.x, &d.w, &d.dy);
    for v in variants() {
        let runs: Vec<[Vec<u32>; 3]> = (0..2)
            .map(|_| {
                [
                    bits(&conv::conv2d_with(x, w, None, t.s, t.p, v)),
                    bits(&conv::conv2d_backward_input_with(
                        dy,
                        w,
                        (t.h, t.w),
                        t.s,
                        t.p,
                        v,
                    )),
                    bits(&conv::conv2d_backward_weight_with(
                        x,
                        dy,
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

/// Every tile a sweep may choose, on the awkward cases (a 1x1 map, 92 channels in and out,
/// non-square input, the 20,000-term split reduction), in all three products. The default
/// and the 32x32x8 tile run on every case already ([`variants`]).
#[test]
fn every_sweep_tile_matches_reference() {
    let g = gpu();
    let checked = [&CASES[0], &CASES[2], &CASES[3], &CASES[13]];
    for &tiles in Tiles::SWEEP {
        if variants().contains(&Variant::Tiled(tiles)) {
            continue;
        }
        assert!(tiles.fit(g), "{tiles:?} does not fit the test adapter");
        let v = Variant::Tiled(tiles);
        for (i, t) in checked.iter().enumerate() {
            let d = data(t, 700 + i as u64);
            let (xs, ks, (x, w, dy)) = (t.xs(), t.ks(), (&d.x64, &d.w64, &d.dy64));
            let want = reference::conv2d(x, w, Some(&d.b64), xs, ks, t.s, t.p);
            let mag = reference::conv2d(&abs(x), &abs(w), None, xs, ks, t.s, t.p);
            let got = conv::conv2d_with(&d.x, &d.w, Some(&d.b), t.s, t.p, v).to_vec();
            let terms = t.c * t.kh * t.kw;
            assert_dot_close(&format!("{v:?} {t:?} fwd"), &got, &want, &mag, terms);

            let want = reference::conv2d_backward_input(dy, w, xs, ks, t.s, t.p);
            let mag = reference::conv2d_backward_input(&abs(dy), &abs(w), xs, ks, t.s, t.p);
            let got = conv::conv2d_backward_input_with(&d.dy, &d.w, (t.h, t.w), t.s, t.p, v);
            let terms = t.o * t.kh * t.kw;
            assert_dot_close(
                &format!("{v:?} {t:?} dgrad"),
                &got.to_vec(),
                &want,
                &mag,
                terms,
            );

            let want = reference::conv2d_backward_weight(x, dy, xs, ks, t.s, t.p);
            let mag = reference::conv2d_backward_weight(&abs(x), &abs(dy), xs, ks, t.s, t.p);
            let got = conv::conv2d_backward_weight_with(&d.x, &d.dy, (t.kh, t.kw), t.s, t.p, v);
            let terms = t.n * d.oh * d.ow;
            assert_dot_close(
                &format!("{v:?} {t:?} wgrad"),
                &got.to_vec(),
                &want,
                &mag,
                terms,
            );
        }
    }
}

/// The benchmarks' names for kernels, and the thread-local override they time a step with.
#[test]
fn variants_parse_and_the_override_stays_on_its_thread() {
    let g = gpu();
    for (name, want) in [
        ("portable", Variant::Portable),
        ("subgroup", Variant::Subgroup),
        ("texel", Variant::Texel),
        ("tiled", Variant::Tiled(Tiles::DEFAULT)),
        (
            "tiled=32,64,8",
            Variant::Tiled(Tiles::new(32, 64, 8).unwrap()),
        ),
    ] {
        assert_eq!(Variant::parse(name), Ok(want), "{name}");
        assert_eq!(
            Variant::parse(&want.to_string()),
            Ok(want),
            "{want} reads back"
        );
    }
    for bad in ["tiles", "tiled=32,64", "tiled=30,64,8", "tiled=a,b,c", ""] {
        assert!(Variant::parse(bad).is_err(), "`{bad}` parsed");
    }
    let adapters = Variant::best(g);
    let forced = Variant::Tiled(Tiles::new(64, 32, 8).unwrap());
    assert_ne!(adapters, forced);
    conv::with_variant(Some(forced), || {
        assert_eq!(Variant::best(g), forced);
        let elsewhere = std::thread::scope(|s| s.spawn(|| Variant::best(g)).join().unwrap());
        assert_eq!(elsewhere, adapters, "the override leaked to another thread");
    });
    assert_eq!(
        Variant::best(g),
        adapters,
        "the override outlived its closure"
    );
}

#[test]
fn conv_tiles_reject_shapes_the_kernel_cannot_run() {
    assert!(Tiles::new(64, 64, 16).is_ok());
    for (m, n, k) in [
        (62, 64, 16),
        (64, 40, 16),
        (64, 64, 0),
        (64, 64, 24),
        (2048, 16, 1),
    ] {
        let err = Tiles::new(m, n, k).expect_err("an invalid tile");
        assert!(err.contains("multiple of 4"), "{err}");
    }
}
