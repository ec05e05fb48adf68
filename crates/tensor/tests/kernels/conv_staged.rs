//! A laid-out operand carried from one convolution product to the next (`conv::Staged`): a
//! forward's x to its weight gradient, a transposed convolution's dy from its input gradient
//! to its weight gradient, a weight from one input gradient to the next. The second product
//! must give the same bits as when it lays the operand out itself, recording less where a
//! layout was kept (the texel kernels), and must never read a layout kept of another tensor.
//! A kept x or dy saves its layout dispatch; a kept weight saves its part of the dispatch
//! that lays out dy and the weight together, which no counter shows. Neither saves a staging
//! copy: a storage keeps its staged copy until it is written (`texels.rs`), so the product
//! that lays a source out anew reads the copy the first product staged.

use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::ops::conv_transpose as ct;
use dvaan_tensor::{Gpu, Tensor};

use crate::common::*;

/// Convolutions (n, c, h, w, o, k, stride, pad): whole texels of channels, 3 channels filled
/// up to 4, 92 channels, batch 1, stride 1 and 2.
const CONVS: [[usize; 8]; 4] = [
    [2, 8, 9, 9, 12, 3, 2, 1],
    [1, 3, 10, 7, 8, 5, 2, 2],
    [2, 92, 7, 7, 16, 3, 1, 1],
    [2, 92, 7, 7, 16, 5, 2, 2],
];

/// Transposed convolutions (n, c_in, h, w, c_out, k, stride, pad, output pad): decoder-like
/// layers.
const DECONVS: [[usize; 9]; 3] = [
    [2, 16, 2, 2, 8, 3, 2, 1, 1],
    [1, 12, 4, 4, 92, 3, 2, 1, 0],
    [2, 8, 7, 7, 4, 5, 2, 2, 1],
];

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

/// The dispatches and the copies (staging textures) `op` records on `gpu`, and its result's
/// bits.
fn traced(gpu: &Gpu, op: impl FnOnce() -> Tensor) -> ([i64; 2], Vec<u32>) {
    let before = gpu.counters();
    let out = op();
    let after = gpu.counters();
    let recorded = [
        (after.dispatches - before.dispatches) as i64,
        (after.transfers - before.transfers) as i64,
    ];
    (recorded, bits(&out))
}

/// What a kept x or dy saves: its layout dispatch (and no copy, see above).
const KEPT_OPERAND_SAVES: [i64; 2] = [1, 0];

/// What a kept weight saves in counts: nothing (see above).
const KEPT_WEIGHT_SAVES: [i64; 2] = [0, 0];

fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_slice(gpu, shape, &uniform(&mut rng(seed), n, -1.0, 1.0))
}

/// Whether `staged` should hold a layout: where the adapter's best kernel is the texel one.
fn keeps(gpu: &Gpu) -> bool {
    Variant::best(gpu) == Variant::Texel
}

/// The second product with the kept layout, and with `other` in place of the tensor it was
/// kept of: the same bits as without, `saves` fewer dispatches and copies only in the first
/// case. Each product runs once before it is counted, so that every source it stages is
/// staged already and the counts do not depend on which of the two ran first.
fn check_reuse(
    gpu: &Gpu,
    what: &str,
    (kept, saves): (bool, [i64; 2]),
    plain: impl Fn() -> Tensor,
    reused: impl Fn() -> Tensor,
    plain_other: impl Fn() -> Tensor,
    reused_other: impl Fn() -> Tensor,
) {
    assert_eq!(kept, keeps(gpu), "{what}: a layout kept");
    plain();
    let (n_plain, want) = traced(gpu, plain);
    let (n_reused, got) = traced(gpu, reused);
    assert!(got == want, "{what}: the kept layout changed the result");
    let saved = if kept { saves } else { [0, 0] };
    let fewer = [n_plain[0] - n_reused[0], n_plain[1] - n_reused[1]];
    assert_eq!(fewer, saved, "{what}: (dispatches, copies) saved");
    plain_other();
    let (n_plain, want) = traced(gpu, plain_other);
    let (n_reused, got) = traced(gpu, reused_other);
    assert!(got == want, "{what}: a layout of another tensor was read");
    assert_eq!(n_reused, n_plain, "{what}: another tensor is laid out anew");
}

#[test]
fn a_forward_layout_serves_its_weight_gradient() {
    // A private device, so other tests running in parallel do not move its counters.
    let gpu = Gpu::new().unwrap();
    for (i, &[n, c, h, w, o, k, s, p]) in CONVS.iter().enumerate() {
        let seed = 70 + 4 * i as u64;
        let x = random(&gpu, &[n, c, h, w], seed);
        let x2 = random(&gpu, &[n, c, h, w], seed + 1);
        let wt = random(&gpu, &[o, c, k, k], seed + 2);
        let (y, staged) = conv::conv2d_keeping(&x, &wt, None, s, p);
        assert!(bits(&y) == bits(&conv::conv2d(&x, &wt, None, s, p)));
        let dy = random(&gpu, y.shape(), seed + 3);
        let what = format!("conv2d x {:?}", x.shape());
        check_reuse(
            &gpu,
            &what,
            (staged.is_kept(), KEPT_OPERAND_SAVES),
            || conv::conv2d_backward_weight(&x, &dy, (k, k), s, p),
            || conv::conv2d_backward_weight_from(&staged, &x, &dy, (k, k), s, p),
            || conv::conv2d_backward_weight(&x2, &dy, (k, k), s, p),
            || conv::conv2d_backward_weight_from(&staged, &x2, &dy, (k, k), s, p),
        );
    }
}

#[test]
fn a_transposed_input_gradient_layout_serves_its_weight_gradient() {
    let gpu = Gpu::new().unwrap();
    for (i, &[n, c, h, w, o, k, s, p, op]) in DECONVS.iter().enumerate() {
        let seed = 90 + 4 * i as u64;
        let x = random(&gpu, &[n, c, h, w], seed);
        let wt = random(&gpu, &[c, o, k, k], seed + 1);
        let y = ct::conv_transpose2d(&x, &wt, None, s, p, op);
        let dy = random(&gpu, y.shape(), seed + 2);
        let dy2 = random(&gpu, y.shape(), seed + 3);
        let (dx, staged) = ct::conv_transpose2d_backward_input_keeping(None, &dy, &wt, s, p);
        assert!(bits(&dx) == bits(&ct::conv_transpose2d_backward_input(&dy, &wt, s, p)));
        let what = format!("conv_transpose2d dy {:?}", dy.shape());
        check_reuse(
            &gpu,
            &what,
            (staged.is_kept(), KEPT_OPERAND_SAVES),
            || ct::conv_transpose2d_backward_weight(&x, &dy, (k, k), s, p),
            || ct::conv_transpose2d_backward_weight_from(&staged, &x, &dy, (k, k), s, p),
            || ct::conv_transpose2d_backward_weight(&x, &dy2, (k, k), s, p),
            || ct::conv_transpose2d_backward_weight_from(&staged, &x, &dy2, (k, k), s, p),
        );
    }
}

#[test]
fn an_input_gradient_layout_of_the_weight_serves_the_next_input_gradient() {
    let gpu = Gpu::new().unwrap();
    // Convolutions, the weight laid out as the phases of the input gradient.
    for (i, &[n, c, h, w, o, k, s, p]) in CONVS.iter().enumerate() {
        let seed = 110 + 5 * i as u64;
        let wt = random(&gpu, &[o, c, k, k], seed);
        let wt2 = random(&gpu, &[o, c, k, k], seed + 1);
        let y = conv::conv2d(&random(&gpu, &[n, c, h, w], seed + 2), &wt, None, s, p);
        let (dy, dy2) = (
            random(&gpu, y.shape(), seed + 3),
            random(&gpu, y.shape(), seed + 4),
        );
        let hw = (h, w);
        let (dx, staged) = conv::conv2d_backward_input_keeping(None, &dy, &wt, hw, s, p);
        assert!(bits(&dx) == bits(&conv::conv2d_backward_input(&dy, &wt, hw, s, p)));
        let again =
            |w: &Tensor| conv::conv2d_backward_input_keeping(Some(&staged), &dy2, w, hw, s, p);
        let fresh = |w: &Tensor| conv::conv2d_backward_input(&dy2, w, hw, s, p);
        check_reuse(
            &gpu,
            &format!("conv2d input gradient, w {:?}", wt.shape()),
            (staged.keeps_weight(), KEPT_WEIGHT_SAVES),
            || fresh(&wt),
            || again(&wt).0,
            || fresh(&wt2),
            || again(&wt2).0,
        );
        // A product that read the kept layout keeps none of its own.
        assert!(!again(&wt).1.keeps_weight());
    }
    // Transposed convolutions, the weight laid out as the forward's [O, KH, KW, C].
    for (i, &[n, c, h, w, o, k, s, p, op]) in DECONVS.iter().enumerate() {
        let seed = 130 + 5 * i as u64;
        let wt = random(&gpu, &[c, o, k, k], seed);
        let wt2 = random(&gpu, &[c, o, k, k], seed + 1);
        let y = ct::conv_transpose2d(&random(&gpu, &[n, c, h, w], seed + 2), &wt, None, s, p, op);
        let (dy, dy2) = (
            random(&gpu, y.shape(), seed + 3),
            random(&gpu, y.shape(), seed + 4),
        );
        let (_, staged) = ct::conv_transpose2d_backward_input_keeping(None, &dy, &wt, s, p);
        let (_, weight) = staged.split();
        let again =
            |w: &Tensor| ct::conv_transpose2d_backward_input_keeping(Some(&weight), &dy2, w, s, p);
        let fresh = |w: &Tensor| ct::conv_transpose2d_backward_input(&dy2, w, s, p);
        check_reuse(
            &gpu,
            &format!("conv_transpose2d input gradient, w {:?}", wt.shape()),
            (weight.keeps_weight(), KEPT_WEIGHT_SAVES),
            || fresh(&wt),
            || again(&wt).0,
            || fresh(&wt2),
            || again(&wt2).0,
        );
        // The kept weight is not taken for the gathered operand: dy2 is laid out anew and
        // kept for its weight gradient.
        assert_eq!(again(&wt).1.is_kept(), keeps(&gpu));
    }
}
