//! The portable path: a device opened without subgroup operations (as on GL and adapters
//! that lack them) chooses only kernels that need none, computes them within the kernel
//! tests' rounding bounds of the f64 references, and trains a DVAAN step on them, compiling
//! no shader that uses subgroups.
//!
//! Every test opens its own device, so the shaders one compiles are its own.

use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use dvaan_tensor::ops::conv::{self, reference as conv_ref, Tiles, Variant};
use dvaan_tensor::ops::gemm::{self, reference as gemm_ref, GemmVariant};
use dvaan_tensor::{AdapterClass, Gpu, GpuOptions, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// The default adapter (lavapipe in CI, which has subgroups) opened without them.
fn gpu_without_subgroups() -> Gpu {
    let gpu = Gpu::with_options(&GpuOptions {
        without_subgroups: true,
        ..GpuOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!gpu.has_subgroups(), "{gpu:?} was opened with subgroups");
    assert!(!gpu.summary().subgroups, "{gpu:?} reports subgroups");
    gpu
}

/// Whether WGSL `source` uses a subgroup builtin, enable or attribute: any mention of
/// `subgroup` outside a comment.
fn uses_subgroups(source: &str) -> bool {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .any(|code| code.contains("subgroup"))
}

/// Fails naming every shader compiled on `gpu` that needs subgroups.
fn assert_no_subgroup_shader(gpu: &Gpu, what: &str) {
    let compiled = gpu.compiled_shaders();
    assert!(!compiled.is_empty(), "{what}: no shader was compiled");
    let offending: Vec<&str> = compiled
        .iter()
        .filter(|s| uses_subgroups(s.source))
        .map(|s| s.name)
        .collect();
    assert!(
        offending.is_empty(),
        "{what}: shaders that need subgroups were compiled: {offending:?}"
    );
}

fn uniform(r: &mut Pcg64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| r.random_range(lo..hi)).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn abs(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.abs()).collect()
}

#[test]
fn the_choices_fall_back_to_kernels_without_subgroups() {
    let gpu = gpu_without_subgroups();
    assert!(!Variant::subgroup_runs_on(&gpu));
    assert!(!Variant::texel_runs_on(&gpu));
    assert_eq!(Variant::texel_fallback(&gpu), Variant::Portable);
    assert!(!GemmVariant::Subgroup.supported(&gpu));
    assert!(!GemmVariant::Texel.supported(&gpu));
    let best = Variant::best(&gpu);
    assert!(
        matches!(best, Variant::Portable | Variant::Tiled(_)),
        "conv chooses {best:?}"
    );
    if gpu.summary().class == AdapterClass::Cpu {
        assert_eq!(best, Variant::Portable, "a CPU adapter without subgroups");
    }
    let default_gemm = gemm::default_variant(&gpu);
    assert!(
        matches!(default_gemm, GemmVariant::Tiled | GemmVariant::Naive),
        "gemm chooses {default_gemm:?}"
    );
}

/// The GEMM kernels' bound (crates/tensor/tests/kernels/gemm.rs): a K-term f32 dot product
/// plus a bias stays within (K·1.2e-7 + 1.2e-7)·(Σ|a·b| + |bias|) of the exact value.
fn check_gemm(what: &str, got: &[f32], want: &[f64], abs_sum: &[f64], k: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(abs_sum).enumerate() {
        let bound = ((k as f64) * 1.2e-7 + 1.2e-7) * m + 1e-30;
        let err = (g as f64 - w).abs();
        assert!(
            err <= bound,
            "{what}: element {i} is {g} but the reference is {w} (error {err:e} > bound {bound:e})"
        );
    }
}

#[test]
fn gemm_variants_match_the_reference() {
    let gpu = gpu_without_subgroups();
    let variants = [
        gemm::default_variant(&gpu),
        GemmVariant::Tiled,
        GemmVariant::Naive,
    ];
    // Partial tiles in every dimension, a single row, and a long reduction.
    let shapes = [
        (37, 19, 70, false, true),
        (1, 65, 3, true, false),
        (70, 9, 1031, false, false),
    ];
    for (seed, &(m, n, k, ta, tb)) in shapes.iter().enumerate() {
        let mut r = Pcg64::seed_from_u64(seed as u64);
        let a = uniform(&mut r, m * k, -2.0, 2.0);
        let b = uniform(&mut r, k * n, -2.0, 2.0);
        let bias = uniform(&mut r, n, -1.0, 1.0);
        let a_shape = if ta { [k, m] } else { [m, k] };
        let b_shape = if tb { [n, k] } else { [k, n] };
        let (a64, b64, bias64) = (f64s(&a), f64s(&b), f64s(&bias));
        let want = gemm_ref::matmul(&a64, &b64, m, n, k, ta, tb, Some(&bias64));
        let (aa, ab, abias) = (abs(&a64), abs(&b64), abs(&bias64));
        let abs_sum = gemm_ref::matmul(&aa, &ab, m, n, k, ta, tb, Some(&abias));
        let at = Tensor::from_slice(&gpu, &a_shape, &a);
        let bt = Tensor::from_slice(&gpu, &b_shape, &b);
        let biast = Tensor::from_slice(&gpu, &[n], &bias);
        for v in variants {
            let out = gemm::matmul_with(&at, &bt, ta, tb, Some(&biast), v);
            assert_eq!(out.shape(), &[m, n]);
            let what = format!("{v:?} m={m} n={n} k={k} trans=({ta},{tb})");
            check_gemm(&what, &out.to_vec(), &want, &abs_sum, k);
        }
    }
    assert_no_subgroup_shader(&gpu, "gemm");
}

/// The convolution kernels' bound (`assert_dot_close` in crates/tensor/tests/kernels/conv.rs):
/// a sum of `terms` f32 products in any order, split or not, plus a bias, is within
/// (2·terms + 2)·u·Σ|a·b| + 2u·|value| of the exact value, u = 2⁻²⁴.
fn check_conv(what: &str, got: &[f32], want: &[f64], magnitude: &[f64], terms: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let u = f32::EPSILON as f64 / 2.0;
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(magnitude).enumerate() {
        let bound = (2 * terms + 2) as f64 * u * m + 2.0 * u * w.abs();
        let err = (g as f64 - w).abs();
        assert!(
            err <= bound,
            "{what}: element {i} is {g} but the reference is {w} (error {err:e}, bound {bound:e})"
        );
    }
}

#[test]
fn conv_variants_match_the_reference() {
    let gpu = gpu_without_subgroups();
    let variants = [
        Variant::best(&gpu),
        Variant::Portable,
        Variant::Tiled(Tiles::DEFAULT),
    ];
    // [n, c, h, w], [o, kh, kw], stride, padding: a non-square kernel with stride 2, taps
    // that skip input rows (k3 s3), and the first encoder layer, whose weight gradient's
    // 784-term reductions are split.
    let cases = [
        ([2, 3, 6, 5], [4, 3, 2], 2, 1),
        ([2, 4, 10, 7], [6, 3, 3], 3, 1),
        ([4, 1, 28, 28], [64, 5, 5], 2, 2),
    ];
    for (seed, &(xs, ks, s, p)) in cases.iter().enumerate() {
        let ([n, c, h, w], [o, kh, kw]) = (xs, ks);
        let (oh, ow) = (
            conv_ref::out_size(h, kh, s, p),
            conv_ref::out_size(w, kw, s, p),
        );
        let mut r = Pcg64::seed_from_u64(100 + seed as u64);
        let x = uniform(&mut r, n * c * h * w, -1.0, 1.0);
        let wt = uniform(&mut r, o * c * kh * kw, -1.0, 1.0);
        let b = uniform(&mut r, o, -1.0, 1.0);
        let dy = uniform(&mut r, n * o * oh * ow, -1.0, 1.0);
        let (x64, w64, b64, dy64) = (f64s(&x), f64s(&wt), f64s(&b), f64s(&dy));
        let (ax, aw, ady) = (abs(&x64), abs(&w64), abs(&dy64));
        let y_want = conv_ref::conv2d(&x64, &w64, Some(&b64), xs, ks, s, p);
        let y_mag = conv_ref::conv2d(&ax, &aw, None, xs, ks, s, p);
        let dx_want = conv_ref::conv2d_backward_input(&dy64, &w64, xs, ks, s, p);
        let dx_mag = conv_ref::conv2d_backward_input(&ady, &aw, xs, ks, s, p);
        let dw_want = conv_ref::conv2d_backward_weight(&x64, &dy64, xs, ks, s, p);
        let dw_mag = conv_ref::conv2d_backward_weight(&ax, &ady, xs, ks, s, p);
        let xt = Tensor::from_slice(&gpu, &xs, &x);
        let wtt = Tensor::from_slice(&gpu, &[o, c, kh, kw], &wt);
        let bt = Tensor::from_slice(&gpu, &[o], &b);
        let dyt = Tensor::from_slice(&gpu, &[n, o, oh, ow], &dy);
        for v in variants {
            let what = format!("{v:?} x {xs:?} w {ks:?} s{s} p{p}");
            let y = conv::conv2d_with(&xt, &wtt, Some(&bt), s, p, v);
            assert_eq!(y.shape(), &[n, o, oh, ow]);
            let terms = c * kh * kw;
            check_conv(
                &format!("{what} forward"),
                &y.to_vec(),
                &y_want,
                &y_mag,
                terms,
            );
            let dx = conv::conv2d_backward_input_with(&dyt, &wtt, (h, w), s, p, v);
            assert_eq!(dx.shape(), &xs);
            let terms = o * kh * kw;
            let what_dx = format!("{what} input grad");
            check_conv(&what_dx, &dx.to_vec(), &dx_want, &dx_mag, terms);
            let dw = conv::conv2d_backward_weight_with(&xt, &dyt, (kh, kw), s, p, v);
            assert_eq!(dw.shape(), &[o, c, kh, kw]);
            let terms = n * oh * ow;
            let what_dw = format!("{what} weight grad");
            check_conv(&what_dw, &dw.to_vec(), &dw_want, &dw_mag, terms);
        }
    }
    assert_no_subgroup_shader(&gpu, "conv");
}

#[test]
fn a_dvaan_step_trains_on_kernels_without_subgroups() {
    let gpu = gpu_without_subgroups();
    let batch = 4;
    let cfg = TrainConfig {
        batch,
        ..TrainConfig::default()
    };
    let mut model = Dvaan::new(&gpu, &cfg, &[1, 28, 28]).expect("28x28 networks");
    let pixels: Vec<f32> = (0..batch * 784)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    let labels: Vec<f32> = (0..batch).map(|i| (i % 2 == 0) as u8 as f32).collect();
    let x = Tensor::from_slice(&gpu, &[batch, 1, 28, 28], &pixels);
    let y = Tensor::from_slice(&gpu, &[batch], &labels);
    for step in 0..2 {
        let losses = model.step(&x, &y, step);
        let named = [
            ("L_ele", &losses.l_ele),
            ("L_kl", &losses.l_kl),
            ("L_adv", &losses.l_adv),
            ("L_fea", &losses.l_fea),
        ];
        for (name, loss) in named {
            let loss = loss
                .as_ref()
                .unwrap_or_else(|| panic!("step {step}: DVAAN logs no {name}"));
            let value = loss.item();
            assert!(value.is_finite(), "step {step}: {name} is {value}");
        }
    }
    assert_no_subgroup_shader(&gpu, "a DVAAN step");
    let names: Vec<&str> = gpu.compiled_shaders().iter().map(|s| s.name).collect();
    assert!(
        names
            .iter()
            .any(|n| ["conv_portable", "conv_tiled"].contains(n))
            && names.contains(&"gemm_portable"),
        "the step ran no portable conv or GEMM kernel: {names:?}"
    );
}
