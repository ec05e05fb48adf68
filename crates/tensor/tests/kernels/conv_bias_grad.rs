//! A convolution's weight and bias gradients from one pass over dy
//! (`conv::conv2d_backward_weight_and_bias_from`): on the texel kernel the layout of dy's
//! rows for the weight gradient also sums each row, the bias gradient `Σ_{n,oh,ow} dy`;
//! elsewhere the channel sum runs. The weight gradient must be the same bits as without the
//! bias, and the bias within the derived bound of the f64 sum.

use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::{Gpu, Tensor};

use crate::common::*;

const U: f64 = f32::EPSILON as f64 / 2.0;

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

/// Additions a term of a row of `terms` terms goes through in `dy_rows_summed`: two inside
/// its texel, one per texel its invocation adds (texels i, i + 64, … of the ⌈terms/4⌉), one
/// per partial in the last sum of 64; plus one so the bound covers the f64 reference.
fn row_additions(terms: usize) -> usize {
    2 + terms.div_ceil(4).div_ceil(64) + 64 + 1
}

#[test]
fn weight_and_bias_gradients_from_one_pass_over_dy() {
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
        let mut r = rng(150 + i as u64);
        let x = Tensor::from_slice(
            &gpu,
            &[n, c, h, w],
            &uniform(&mut r, n * c * h * w, -1.0, 1.0),
        );
        let wt = Tensor::from_slice(
            &gpu,
            &[o, c, k, k],
            &uniform(&mut r, o * c * k * k, -1.0, 1.0),
        );
        let (y, staged) = conv::conv2d_keeping(&x, &wt, None, s, p);
        let dy_data = uniform(&mut r, y.numel(), -1.0, 1.0);
        let dy = Tensor::from_slice(&gpu, y.shape(), &dy_data);
        let what = format!("conv2d x {:?} dy {:?}", x.shape(), dy.shape());

        let before = gpu.counters().dispatches;
        let (dw, db) = conv::conv2d_backward_weight_and_bias_from(&staged, &x, &dy, (k, k), s, p);
        let both = gpu.counters().dispatches - before;
        let before = gpu.counters().dispatches;
        let dw_alone = conv::conv2d_backward_weight_from(&staged, &x, &dy, (k, k), s, p);
        let db_alone = channel_sum(&dy);
        let apart = gpu.counters().dispatches - before;

        assert!(
            bits(&dw) == bits(&dw_alone),
            "{what}: the weight gradient changed"
        );
        let fused = texel && summed;
        assert_eq!(both, apart - u64::from(fused), "{what}: dispatches");
        if !fused {
            assert!(bits(&db) == bits(&db_alone), "{what}: not the channel sum");
            continue;
        }
        let ohw = y.dim(2) * y.dim(3);
        let terms = n * ohw;
        let d = row_additions(terms) as f64;
        let gamma = d * U / (1.0 - d * U);
        for (ch, &got) in db.to_vec().iter().enumerate() {
            let row = (0..n).flat_map(|b| {
                let at = (b * o + ch) * ohw;
                dy_data[at..at + ohw].iter().map(|&v| v as f64)
            });
            let (want, abs_sum) = row.fold((0.0, 0.0), |(s, a), v| (s + v, a + v.abs()));
            let tol = gamma * abs_sum;
            assert!(
                (got as f64 - want).abs() <= tol,
                "{what}: bias gradient {ch} is {got}, reference {want} (tolerance {tol})"
            );
        }
    }
}
