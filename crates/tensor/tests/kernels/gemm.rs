use dvaan_tensor::ops::elementwise::{activation, Activation};
use dvaan_tensor::ops::gemm::{
    default_variant, matmul, matmul_activated, matmul_activated_with, matmul_with, reference,
    Epilogue, GemmVariant,
};
use dvaan_tensor::Tensor;

use crate::common::*;

// (m, n, k): one element, a row, a column, sizes straddling every tile edge (64-row subgroup
// tiles, 64-wide shared tiles, 16-deep K panels, 4-deep K steps), channel counts of the model.
// The texel variant takes only multiples of 4 along the axes it reads in quads
// (`GemmVariant::fits`): the last four shapes give it awkward cases it does take, the last
// with enough rows for its 128-row tile (three row blocks, the last one partial).
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (7, 1, 300),
    (1, 300, 7),
    (65, 129, 33),
    (3, 92, 5),
    (64, 64, 64),
    (130, 65, 17),
    (1, 4, 4),
    (68, 132, 36),
    (92, 4, 28),
    (300, 68, 36),
];

const TRANSPOSES: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

/// Every variant that runs on the test adapter; one that needs a capability the adapter
/// lacks is skipped and reported (see [`can_run`]), any other must run.
fn variants() -> Vec<GemmVariant> {
    let g = gpu();
    GemmVariant::ALL
        .into_iter()
        .filter(|&v| {
            let needs = match v {
                GemmVariant::Subgroup => Some(Capability::Subgroups),
                GemmVariant::Texel => Some(Capability::Texels),
                _ => None,
            };
            match needs {
                Some(cap) => can_run(g, cap, v.supported(g), &format!("GEMM variant {v:?}")),
                None => {
                    assert!(
                        v.supported(g),
                        "GEMM variant {v:?} needs nothing, yet does not run"
                    );
                    true
                }
            }
        })
        .collect()
}

/// Stores op(X) for an [rows, cols] matrix in the layout the kernel expects.
fn layout(x: &[f32], rows: usize, cols: usize, trans: bool) -> (Vec<f32>, [usize; 2]) {
    if !trans {
        return (x.to_vec(), [rows, cols]);
    }
    let mut t = vec![0.0; x.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = x[r * cols + c];
        }
    }
    (t, [cols, rows])
}

/// Each output is a K-term f32 dot product plus at most one bias addition. Any summation
/// order keeps the rounding error within (K + 1)·u·(Σ|a·b| + |bias|) to first order, with
/// u = 2⁻²⁴; we allow K·1.2e-7 (≈ 2K·u, covering the products' own roundings and the
/// second-order term) plus 2u for the bias, and nothing else, so a wrong index fails.
fn check(what: &str, got: &[f32], want: &[f64], abs_sum: &[f64], k: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let bound = ((k as f64) * 1.2e-7 + 1.2e-7) * abs_sum[i] + 1e-30;
        let err = (got[i] as f64 - want[i]).abs();
        assert!(
            err <= bound,
            "{what}: element {i} is {} but the reference is {} (error {err:e} > bound {bound:e})",
            got[i],
            want[i]
        );
    }
}

fn run_case(seed: u64, (m, n, k): (usize, usize, usize), ta: bool, tb: bool, with_bias: bool) {
    let mut r = rng(seed);
    let a = uniform(&mut r, m * k, -2.0, 2.0);
    let b = uniform(&mut r, k * n, -2.0, 2.0);
    let bias = uniform(&mut r, n, -1.0, 1.0);
    let (a_dev, a_shape) = layout(&a, m, k, ta);
    let (b_dev, b_shape) = layout(&b, k, n, tb);
    let (at, bt, biast) = (
        upload(&a_shape, &a_dev),
        upload(&b_shape, &b_dev),
        upload(&[n], &bias),
    );
    let bias64 = f64s(&bias);
    let want = reference::matmul(
        &f64s(&a_dev),
        &f64s(&b_dev),
        m,
        n,
        k,
        ta,
        tb,
        with_bias.then_some(&bias64[..]),
    );
    let abs = |v: &[f32]| v.iter().map(|x| x.abs() as f64).collect::<Vec<_>>();
    let abs_bias = abs(&bias);
    let abs_sum = reference::matmul(
        &abs(&a_dev),
        &abs(&b_dev),
        m,
        n,
        k,
        ta,
        tb,
        with_bias.then_some(&abs_bias[..]),
    );
    for v in variants() {
        if !v.fits(gpu(), m, n, k, ta, tb) {
            continue;
        }
        let out = matmul_with(&at, &bt, ta, tb, with_bias.then_some(&biast), v);
        assert_eq!(out.shape(), &[m, n]);
        let what = format!("{v:?} m={m} n={n} k={k} trans=({ta},{tb}) bias={with_bias}");
        check(&what, &out.to_vec(), &want, &abs_sum, k);
    }
}

#[test]
fn every_variant_and_transpose_matches_reference() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        for (t, &(ta, tb)) in TRANSPOSES.iter().enumerate() {
            run_case((s * 8 + t) as u64, shape, ta, tb, (s + t) % 2 == 0);
        }
    }
}

#[test]
fn bias_on_and_off() {
    for with_bias in [false, true] {
        run_case(100, (33, 70, 9), false, true, with_bias);
    }
}

#[test]
fn small_integers_are_exact() {
    // Products and partial sums of small integers are exact in f32 in any order, so every
    // variant must agree with the reference bit for bit: no tolerance hides an index error.
    // N and K are multiples of 4 so that the texel variant is held to this too.
    let (m, n, k) = (67, 72, 44);
    let mut r = rng(7);
    let ints = |r: &mut _, len| {
        uniform(r, len, -4.0, 5.0)
            .into_iter()
            .map(f32::floor)
            .collect::<Vec<_>>()
    };
    let (a, b, bias) = (ints(&mut r, m * k), ints(&mut r, k * n), ints(&mut r, n));
    let want = reference::matmul(
        &f64s(&a),
        &f64s(&b),
        m,
        n,
        k,
        false,
        false,
        Some(&f64s(&bias)),
    );
    let want: Vec<f32> = want.iter().map(|&x| x as f32).collect();
    let (at, bt, biast) = (
        upload(&[m, k], &a),
        upload(&[k, n], &b),
        upload(&[n], &bias),
    );
    for v in variants() {
        assert_eq!(
            matmul_with(&at, &bt, false, false, Some(&biast), v).to_vec(),
            want,
            "{v:?}"
        );
    }
}

#[test]
fn results_are_bit_identical_on_rerun() {
    // Off every tile edge, and N % 4 == 0 so that the texel variant runs too.
    let (m, n, k) = (65, 132, 300);
    let mut r = rng(11);
    let a = upload(&[m, k], &uniform(&mut r, m * k, -1.0, 1.0));
    let b = upload(&[n, k], &uniform(&mut r, n * k, -1.0, 1.0));
    for v in variants() {
        let first = matmul_with(&a, &b, false, true, None, v).to_vec();
        let second = matmul_with(&a, &b, false, true, None, v).to_vec();
        assert_eq!(first.len(), second.len(), "{v:?}: length");
        assert!(
            first
                .iter()
                .zip(&second)
                .all(|(x, y)| x.to_bits() == y.to_bits()),
            "{v:?} differs on rerun"
        );
    }
}

#[test]
fn empty_inner_dimension_gives_the_bias() {
    let a = upload(&[3, 0], &[]);
    let b = upload(&[0, 4], &[]);
    let bias = upload(&[4], &[1.5, -2.0, 0.5, 3.0]);
    for v in variants() {
        assert_eq!(
            matmul_with(&a, &b, false, false, Some(&bias), v).to_vec(),
            [1.5, -2.0, 0.5, 3.0].repeat(3),
            "{v:?}"
        );
        assert_eq!(
            matmul_with(&a, &b, false, false, None, v).to_vec(),
            vec![0.0; 12],
            "{v:?}"
        );
    }
}

#[test]
fn linear_layer_shapes_of_the_model() {
    // The encoder's first FC layer: y = x·Wᵀ + b with x [64,1024], W [512,1024]; then the
    // two gradients the autograd layer asks for (dx = dy·W, dW = dyᵀ·x), with the default
    // variant that training will use.
    let (batch, inp, out) = (64, 1024, 512);
    let mut r = rng(12);
    let x = uniform(&mut r, batch * inp, -1.0, 1.0);
    let w = uniform(&mut r, out * inp, -0.05, 0.05);
    let bias = uniform(&mut r, out, -0.1, 0.1);
    let dy = uniform(&mut r, batch * out, -1.0, 1.0);
    let (xt, wt, bt, dyt) = (
        upload(&[batch, inp], &x),
        upload(&[out, inp], &w),
        upload(&[out], &bias),
        upload(&[batch, out], &dy),
    );
    let abs = |v: &[f32]| v.iter().map(|x| x.abs() as f64).collect::<Vec<_>>();
    let (x64, w64, dy64) = (f64s(&x), f64s(&w), f64s(&dy));
    let (xa, wa, dya) = (abs(&x), abs(&w), abs(&dy));

    let y = matmul(&xt, &wt, false, true, Some(&bt)).to_vec();
    let want = reference::matmul(&x64, &w64, batch, out, inp, false, true, Some(&f64s(&bias)));
    let abs_sum = reference::matmul(&xa, &wa, batch, out, inp, false, true, Some(&abs(&bias)));
    check("y", &y, &want, &abs_sum, inp);

    let dx = matmul(&dyt, &wt, false, false, None).to_vec();
    let want = reference::matmul(&dy64, &w64, batch, inp, out, false, false, None);
    check(
        "dx",
        &dx,
        &want,
        &reference::matmul(&dya, &wa, batch, inp, out, false, false, None),
        out,
    );

    let dw = matmul(&dyt, &xt, true, false, None).to_vec();
    let want = reference::matmul(&dy64, &x64, out, inp, batch, true, false, None);
    check(
        "dW",
        &dw,
        &want,
        &reference::matmul(&dya, &xa, out, inp, batch, true, false, None),
        batch,
    );
}

/// What `matmul` runs: the default variant, which must run on this adapter and is never the
/// plain baseline, on every shape it takes (then `matmul` is that variant bit for bit), and
/// on the others a variant that runs here and takes the shape. Which variant suits which
/// adapter is the engine's choice; this checks only that the choice is safe and used.
#[test]
fn matmul_runs_the_default_variant_where_it_fits() {
    let g = gpu();
    let chosen = default_variant(g);
    assert!(chosen.supported(g), "default {chosen:?} does not run here");
    assert_ne!(
        chosen,
        GemmVariant::Naive,
        "the plain baseline is never the default"
    );
    let runnable = variants();
    assert!(runnable.contains(&chosen), "{chosen:?} not in {runnable:?}");
    let mut r = rng(13);
    // The first shape fits every variant; the second (N, K odd) only those without quads.
    for (m, n, k) in [(65, 132, 36), (9, 7, 5)] {
        let a = upload(&[m, k], &uniform(&mut r, m * k, -1.0, 1.0));
        let b = upload(&[k, n], &uniform(&mut r, k * n, -1.0, 1.0));
        let bits = |t: Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let got = bits(matmul(&a, &b, false, false, None));
        let fitting: Vec<GemmVariant> = runnable
            .iter()
            .copied()
            .filter(|v| v.fits(g, m, n, k, false, false))
            .collect();
        let same: Vec<GemmVariant> = fitting
            .iter()
            .copied()
            .filter(|&v| bits(matmul_with(&a, &b, false, false, None, v)) == got)
            .collect();
        if chosen.fits(g, m, n, k, false, false) {
            assert!(
                same.contains(&chosen),
                "{m}x{n}x{k}: matmul differs from its default {chosen:?}"
            );
        } else {
            assert!(
                !same.is_empty(),
                "{m}x{n}x{k}: matmul agrees with none of the variants that take it, {fitting:?}"
            );
        }
    }
}

#[test]
fn texel_variant_takes_only_whole_texels() {
    let g = gpu();
    let fits = |m, n, k, ta, tb| GemmVariant::Texel.fits(g, m, n, k, ta, tb);
    assert!(fits(5, 8, 12, false, false));
    assert!(!fits(4, 8, 10, false, false), "K must be a multiple of 4");
    assert!(
        !fits(5, 8, 12, true, false),
        "a transposed A needs M % 4 == 0"
    );
    assert!(
        !fits(4, 6, 12, false, false),
        "C is stored in quads: N % 4 == 0"
    );
    assert!(
        !fits(4, 6, 12, false, true),
        "C is stored in quads: N % 4 == 0"
    );
    assert!(fits(4, 12, 12, false, true));
    // Each operand is one texture of at most max_texture_dimension_2d rows.
    let rows = g.limits().max_texture_dimension_2d as usize;
    let too_long = (rows + 1) * 4 * dvaan_tensor::TEXELS_PER_ROW as usize;
    assert!(!fits(1, 4, too_long, false, true));
}

#[test]
fn texel_variant_refuses_a_shape_it_does_not_fit() {
    let (g, what) = (gpu(), "texel_variant_refuses_a_shape_it_does_not_fit");
    if !can_run(g, Capability::Texels, GemmVariant::Texel.supported(g), what) {
        return;
    }
    let a = upload(&[2, 3], &[0.0; 6]);
    let b = upload(&[3, 2], &[0.0; 6]);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        matmul_with(&a, &b, false, false, None, GemmVariant::Texel);
    }))
    .expect_err("a 2x2x3 product must be refused");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("does not take"), "message: {msg}");
    // The default path runs it with another kernel instead.
    assert_eq!(matmul(&a, &b, false, false, None).to_vec(), vec![0.0; 4]);
}

#[test]
#[should_panic(expected = "inner dimensions differ")]
fn mismatched_shapes_panic_with_the_shapes() {
    let a = upload(&[2, 3], &[0.0; 6]);
    let b = upload(&[4, 2], &[0.0; 8]);
    let _ = matmul(&a, &b, false, false, None);
}

#[test]
fn threads_sharing_a_device_get_their_own_staging_textures() {
    // Ops on several threads record into one encoder; a staging texture must stay an op's own
    // until the dispatch reading it is recorded, or one thread's product reads another's
    // operand. Same shapes everywhere, so every op wants a texture of the same size.
    let g = gpu();
    let (m, n, k) = (8, 8, 8);
    let inputs: Vec<(Vec<f32>, Vec<f32>)> = (0..4)
        .map(|t| {
            let mut r = rng(500 + t);
            (
                uniform(&mut r, m * k, -1.0, 1.0),
                uniform(&mut r, k * n, -1.0, 1.0),
            )
        })
        .collect();
    let want: Vec<Vec<f32>> = inputs
        .iter()
        .map(|(a, b)| matmul(&upload(&[m, k], a), &upload(&[k, n], b), false, false, None).to_vec())
        .collect();
    std::thread::scope(|s| {
        for (t, (a, b)) in inputs.iter().enumerate() {
            let want = &want[t];
            s.spawn(move || {
                let (at, bt) = (upload(&[m, k], a), upload(&[k, n], b));
                let outs: Vec<_> = (0..30)
                    .map(|_| matmul(&at, &bt, false, false, None))
                    .collect();
                g.sync();
                for out in outs {
                    assert_eq!(
                        &out.to_vec(),
                        want,
                        "thread {t} got another thread's product"
                    );
                }
            });
        }
    });
}

/// A product with an activation in its epilogue is the same bits as the product stored and
/// then the activation kernel: both apply `shaders/prelude/activation.wgsl` to the same f32
/// (product plus bias). On every shape a variant takes (partial tiles included): every
/// activation on the default variant (a linear layer's forward: B transposed, a bias), and
/// on the others, without a bias and with B as it is, the cases that tell a wrong epilogue
/// apart (each distinct pipeline costs seconds to build on a CPU adapter).
#[test]
fn an_activation_in_the_epilogue_matches_the_activation_kernel() {
    let g = gpu();
    let mut r = rng(31);
    let chosen = default_variant(g);
    let mut cases: Vec<(GemmVariant, Activation, bool, bool)> = [
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Sigmoid,
        Activation::Tanh,
    ]
    .into_iter()
    .map(|act| (chosen, act, true, true))
    .collect();
    cases.push((chosen, Activation::Relu, false, true));
    cases.push((chosen, Activation::Relu, true, false));
    for v in variants().into_iter().filter(|&v| v != chosen) {
        cases.push((v, Activation::Sigmoid, true, true));
    }
    let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for &(m, n, k) in SHAPES {
        let bias = Tensor::from_slice(g, &[n], &uniform(&mut r, n, -1.0, 1.0));
        let a_data = uniform(&mut r, m * k, -2.0, 2.0);
        let b_data = uniform(&mut r, k * n, -2.0, 2.0);
        let a = Tensor::from_slice(g, &[m, k], &a_data);
        for &(v, act, with_bias, tb) in &cases {
            if !v.fits(g, m, n, k, false, tb) {
                continue;
            }
            let (b_data, b_shape) = layout(&b_data, k, n, tb);
            let b = Tensor::from_slice(g, &b_shape, &b_data);
            let bias = with_bias.then_some(&bias);
            let what = format!("{v:?} {m}x{n}x{k} tb={tb} {act:?} bias={with_bias}");
            let epilogue = Epilogue {
                bias,
                act: Some(act),
            };
            let fused = matmul_activated_with(&a, &b, false, tb, epilogue, v);
            let apart = activation(&matmul_with(&a, &b, false, tb, bias, v), act);
            assert!(bits(&fused) == bits(&apart), "{what}: not the same bits");
            if v == chosen && act == Activation::Relu && with_bias && tb {
                // What a layer calls picks this variant where it fits.
                let called = matmul_activated(&a, &b, false, tb, bias, Some(act));
                assert!(bits(&called) == bits(&fused), "{what}: matmul_activated");
            }
        }
    }
}
