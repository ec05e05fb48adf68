//! Bias gradients from a pass over dy that a product makes anyway: a convolution's weight
//! gradient lays dy out as rows (`conv::conv2d_backward_weight_and_bias_from`), a transposed
//! convolution's input gradient lays dy out as zero-padded channels-last texels
//! (`conv_transpose::conv_transpose2d_backward_input_and_bias_keeping`). On the texel kernel
//! that layout also sums dy per channel, the bias gradient `Σ_{n,oh,ow} dy`; elsewhere the
//! channel sum runs. The product must be the same bits as without the bias, one dispatch
//! fewer exactly where the texel kernel sums, and the bias within the derived bound of the
//! f64 sum (bit-equal to the channel sum where that runs).

use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::ops::conv_transpose as ct;
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::{with_texel_reads, Gpu, Tensor};

use crate::common::*;

const U: f64 = f32::EPSILON as f64 / 2.0;

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

fn random(gpu: &Gpu, shape: &[usize], r: &mut rand_pcg::Pcg64) -> (Tensor, Vec<f32>) {
    let data = uniform(r, shape.iter().product(), -1.0, 1.0);
    (Tensor::from_slice(gpu, shape, &data), data)
}

/// The dispatches `op` records on `gpu`, and its result.
fn counted<R>(gpu: &Gpu, op: impl FnOnce() -> R) -> (u64, R) {
    let before = gpu.counters().dispatches;
    let out = op();
    (gpu.counters().dispatches - before, out)
}

/// The product made beside the bias gradient is the same bits as made alone, and the fused op
/// records one dispatch fewer than the product and the channel sum apart exactly when `fused`.
fn check_product(
    what: &str,
    name: &str,
    fused: bool,
    (both, apart): (u64, u64),
    (got, alone): (&Tensor, &Tensor),
) {
    assert!(bits(got) == bits(alone), "{what}: the {name} changed");
    assert_eq!(both, apart - u64::from(fused), "{what}: dispatches");
}

/// Checks a fused bias gradient `db` against the channel sum run apart (`db_alone`): where the
/// fused op saved a dispatch, within γ_d·Σ|dy| of the f64 sum of each channel of `dy`
/// ([N, C, H, W] as `shape`), d = `additions`; elsewhere the same bits.
fn check_bias(
    what: &str,
    fused: bool,
    (db, db_alone): (&Tensor, &Tensor),
    dy: (&[f32], [usize; 4]),
    additions: usize,
) {
    if !fused {
        assert!(bits(db) == bits(db_alone), "{what}: not the channel sum");
        return;
    }
    let (data, [n, c, h, w]) = dy;
    let d = additions as f64;
    let gamma = d * U / (1.0 - d * U);
    for (ch, &got) in db.to_vec().iter().enumerate() {
        let terms = (0..n).flat_map(|b| {
            let at = (b * c + ch) * h * w;
            data[at..at + h * w].iter().map(|&v| v as f64)
        });
        let (want, abs_sum) = terms.fold((0.0, 0.0), |(s, a), v| (s + v, a + v.abs()));
        let tol = gamma * abs_sum;
        assert!(
            (got as f64 - want).abs() <= tol,
            "{what}: bias gradient {ch} is {got}, reference {want} (tolerance {tol})"
        );
    }
}

fn dims4(t: &Tensor) -> [usize; 4] {
    [t.dim(0), t.dim(1), t.dim(2), t.dim(3)]
}

#[test]
fn a_weight_gradient_sums_the_bias_gradient_as_it_lays_dy_out() {
    // A private device, so other tests running in parallel do not move its counters.
    let gpu = Gpu::new().unwrap();
    let texel = Variant::best(&gpu) == Variant::Texel;
    // (n, c, h, w, o, k, stride, pad) and whether the texel kernel takes it: batch 1 with 92
    // channels in and out and 49 terms a row (not whole texels); 3 channels filled up to 4
    // and 5 outputs; a 12,544-term row (the first encoder layer's size, 4 channels); a
    // 50,176-term row whose weight gradient splits its reduction; one channel, which the
    // texel kernel leaves to the others (the channel sum then runs).
    for (i, &([n, c, h, w, o, k, s, p], summed)) in [
        ([1, 92, 7, 7, 92, 3, 1, 1], true),
        ([3, 3, 10, 7, 5, 5, 2, 2], true),
        ([64, 4, 28, 28, 8, 3, 2, 1], true),
        ([16, 8, 56, 56, 4, 1, 1, 0], true),
        ([4, 1, 28, 28, 64, 5, 2, 2], false),
    ]
    .iter()
    .enumerate()
    {
        let r = &mut rng(150 + i as u64);
        let (x, _) = random(&gpu, &[n, c, h, w], r);
        let (wt, _) = random(&gpu, &[o, c, k, k], r);
        let (y, staged) = conv::conv2d_keeping(&x, &wt, None, s, p);
        let (dy, dy_data) = random(&gpu, y.shape(), r);
        let what = format!("conv2d x {:?} dy {:?}", x.shape(), dy.shape());
        let (both, (dw, db)) = counted(&gpu, || {
            conv::conv2d_backward_weight_and_bias_from(&staged, &x, &dy, (k, k), s, p)
        });
        let (apart, (dw_alone, db_alone)) = counted(&gpu, || {
            let dw = conv::conv2d_backward_weight_from(&staged, &x, &dy, (k, k), s, p);
            (dw, channel_sum(&dy))
        });
        let fused = texel && summed;
        check_product(
            &what,
            "weight gradient",
            fused,
            (both, apart),
            (&dw, &dw_alone),
        );
        // dy_rows_summed: two additions inside a texel, one per texel an invocation adds
        // (texels i, i + 64, … of the ⌈terms/4⌉), one per partial in the last sum of 64; one
        // more so the bound covers the f64 reference.
        let terms = n * y.dim(2) * y.dim(3);
        let additions = 2 + terms.div_ceil(4).div_ceil(64) + 64 + 1;
        check_bias(
            &what,
            fused,
            (&db, &db_alone),
            (&dy_data, dims4(&dy)),
            additions,
        );
    }
}

#[test]
fn a_transposed_input_gradient_sums_the_bias_gradient_as_it_lays_dy_out() {
    let gpu = Gpu::new().unwrap();
    let texel = Variant::best(&gpu) == Variant::Texel;
    // (n, c_in, h, w, c_out, k, stride, pad, output pad) and whether the texel kernel takes
    // it: decoder-like layers; 92 output channels at batch 1; 3 output channels filled up to
    // 4; a 64-sample batch of 28x28 maps (a long sum per channel); one output channel, which
    // the texel kernel leaves to the others; no input channels (an empty input gradient, so
    // nothing lays dy out and the channel sum runs). Each case runs both ways the layout
    // kernels can read dy and the weight, from staged copies (as CPU adapters prefer) and from
    // their buffers, which must give the same bits.
    let mut first_reads: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
    for reads in [None, Some(false)] {
        with_texel_reads(reads, || {
            for (i, &([n, c, h, w, o, k, s, p, op], summed)) in [
                ([2, 16, 2, 2, 8, 3, 2, 1, 1], true),
                ([1, 12, 4, 4, 92, 3, 2, 1, 0], true),
                ([2, 8, 7, 7, 3, 5, 2, 2, 1], true),
                ([64, 8, 14, 14, 4, 5, 2, 2, 1], true),
                ([2, 64, 14, 14, 1, 5, 2, 2, 1], false),
                ([2, 0, 4, 4, 8, 3, 2, 1, 1], false),
            ]
            .iter()
            .enumerate()
            {
                let r = &mut rng(170 + i as u64);
                let (x, _) = random(&gpu, &[n, c, h, w], r);
                let (wt, _) = random(&gpu, &[c, o, k, k], r);
                let y = ct::conv_transpose2d(&x, &wt, None, s, p, op);
                let (dy, dy_data) = random(&gpu, y.shape(), r);
                let what = format!("conv_transpose2d x {:?} dy {:?}", x.shape(), dy.shape());
                let (both, (dx, db, staged)) = counted(&gpu, || {
                    ct::conv_transpose2d_backward_input_and_bias_keeping(None, &dy, &wt, s, p)
                });
                let (apart, (dx_alone, db_alone)) = counted(&gpu, || {
                    let (dx, _) = ct::conv_transpose2d_backward_input_keeping(None, &dy, &wt, s, p);
                    (dx, channel_sum(&dy))
                });
                let fused = texel && summed;
                check_product(
                    &what,
                    "input gradient",
                    fused,
                    (both, apart),
                    (&dx, &dx_alone),
                );
                // The layout it kept of dy serves the weight gradient as before.
                let dw = ct::conv_transpose2d_backward_weight_from(&staged, &x, &dy, (k, k), s, p);
                let dw_fresh = ct::conv_transpose2d_backward_weight(&x, &dy, (k, k), s, p);
                assert!(
                    bits(&dw) == bits(&dw_fresh),
                    "{what}: the weight gradient changed"
                );
                match first_reads.get(i) {
                    None => first_reads.push((bits(&dx), bits(&db))),
                    Some(first) => assert!(
                        *first == (bits(&dx), bits(&db)),
                        "{what}: staged and buffer reads differ"
                    ),
                }
                // x_padded_nhwc_summed: one addition per pixel of the padded map an invocation
                // adds (pixels i, i + 64, … of N·(OH+2P)·(OW+2P), padding included), one per
                // partial in the last sum of 64, one more for the f64 reference.
                let pixels = n * (y.dim(2) + 2 * p) * (y.dim(3) + 2 * p);
                let additions = pixels.div_ceil(64) + 64 + 1;
                check_bias(
                    &what,
                    fused,
                    (&db, &db_alone),
                    (&dy_data, dims4(&dy)),
                    additions,
                );
            }
        });
    }
}
