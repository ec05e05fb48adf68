use dvaan_tensor::ops::concat::{self as cat, reference};

use dvaan_tensor::{Gpu, Tensor};

use crate::common::*;

/// Parts of different lengths along `axis`, otherwise equal to `shape`.
fn parts(shape: &[usize], axis: usize, lens: &[usize], seed: u64) -> Vec<(Vec<usize>, Vec<f32>)> {
    let mut r = rng(seed);
    lens.iter()
        .map(|&len| {
            let mut s = shape.to_vec();
            s[axis] = len;
            let n = s.iter().product();
            (s, uniform(&mut r, n, -1.0, 1.0))
        })
        .collect()
}

// Copies are exact: every comparison is bit-for-bit.
const CASES: &[(&[usize], usize, &[usize])] = &[
    (&[5], 0, &[1, 3, 2]),
    (&[2, 3, 4, 5], 0, &[1, 2]),
    (&[2, 3, 4, 5], 1, &[3, 1, 2]),
    (&[2, 3, 4, 5], 2, &[4, 4]),
    (&[2, 3, 4, 5], 3, &[1, 1, 3]),
    (&[64, 1, 7, 7], 1, &[92, 36]), // decoder-sized channel concat
    (&[7, 1], 1, &[1, 0, 32]),      // an empty part
    (&[1, 1, 1], 2, &[1, 1]),
    (&[3, 92, 3, 1], 0, &[2, 0, 1, 3]), // whole runs (buffer copies), an empty one among them
    (&[4, 8, 8], 0, &[1, 3, 2]),        // runs that start where views may: split makes views
];

#[test]
fn concat_matches_reference() {
    for (s, &(shape, axis, lens)) in CASES.iter().enumerate() {
        let ps = parts(shape, axis, lens, s as u64);
        let tensors: Vec<_> = ps.iter().map(|(sh, d)| upload(sh, d)).collect();
        let refs: Vec<_> = tensors.iter().collect();
        let out = cat::concat(&refs, axis);
        let mut want_shape = shape.to_vec();
        want_shape[axis] = lens.iter().sum();
        assert_eq!(
            out.shape(),
            &want_shape[..],
            "concat {shape:?} axis {axis} {lens:?}: shape"
        );
        let data: Vec<Vec<f64>> = ps.iter().map(|(_, d)| f64s(d)).collect();
        let ref_parts: Vec<(&[f64], &[usize])> = data
            .iter()
            .zip(&ps)
            .map(|(d, (sh, _))| (&d[..], &sh[..]))
            .collect();
        let want: Vec<f32> = reference::concat(&ref_parts, axis)
            .iter()
            .map(|&v| v as f32)
            .collect();
        assert_eq!(out.to_vec(), want, "concat {shape:?} axis {axis} {lens:?}");
    }
}

#[test]
fn split_matches_reference_and_inverts_concat() {
    let mut views_at_an_offset = 0;
    for (s, &(shape, axis, lens)) in CASES.iter().enumerate() {
        let mut whole = shape.to_vec();
        whole[axis] = lens.iter().sum();
        let n = whole.iter().product();
        let x = uniform(&mut rng(50 + s as u64), n, -1.0, 1.0);
        let xt = upload(&whole, &x);
        let pieces = cat::split(&xt, axis, lens);
        let want = reference::split(&f64s(&x), &whole, axis, lens);
        assert_eq!(pieces.len(), lens.len());
        for (k, (piece, w)) in pieces.iter().zip(&want).enumerate() {
            let mut ps = whole.clone();
            ps[axis] = lens[k];
            assert_eq!(
                piece.shape(),
                &ps[..],
                "split {whole:?} axis {axis}: piece {k} shape"
            );
            // A view exactly where the piece is one run starting at a view's alignment.
            let inner: usize = whole[axis + 1..].iter().product();
            let first = lens[..k].iter().sum::<usize>() * inner;
            let viewable = whole[..axis].iter().product::<usize>() == 1
                && lens[k] > 0
                && first.is_multiple_of(Tensor::view_alignment(gpu()));
            assert_eq!(
                piece.same_storage(&xt),
                viewable,
                "split {whole:?} axis {axis} {lens:?}: piece {k} is a view only where it can be"
            );
            views_at_an_offset += usize::from(viewable && first > 0);
            let w: Vec<f32> = w.iter().map(|&v| v as f32).collect();
            assert_eq!(
                piece.to_vec(),
                w,
                "split {whole:?} axis {axis} {lens:?}: piece {k}"
            );
        }
        let refs: Vec<_> = pieces.iter().collect();
        assert_eq!(
            cat::concat(&refs, axis).to_vec(),
            x,
            "concat(split(x)) != x for {whole:?} axis {axis}"
        );
    }
    assert!(
        views_at_an_offset >= 2,
        "the cases exercise views that start past 0"
    );
}

#[test]
fn contiguous_parts_are_copied_without_a_kernel() {
    // A private device, so other tests running in parallel do not move its counters.
    let gpu = Gpu::new().unwrap();
    let x = Tensor::from_slice(
        &gpu,
        &[3, 2, 5],
        &(0..30).map(|v| v as f32).collect::<Vec<_>>(),
    );
    let y = Tensor::from_slice(&gpu, &[1, 2, 5], &[-1.0; 10]);
    let before = gpu.counters().dispatches;
    let whole = cat::concat(&[&x, &y], 0);
    let pieces = cat::split(&whole, 0, &[1, 3]);
    assert_eq!(
        gpu.counters().dispatches,
        before,
        "axis-0 parts ran a kernel"
    );
    let mut want: Vec<f32> = (0..30).map(|v| v as f32).collect();
    want.extend([-1.0; 10]);
    assert_eq!(whole.to_vec(), want);
    assert_eq!(pieces[1].to_vec(), want[10..]);
    // Parts that are `outer` runs each still take the kernel: one dispatch per part.
    let _ = cat::concat(&[&x, &x], 1);
    assert_eq!(gpu.counters().dispatches, before + 2);
}

#[test]
#[should_panic(expected = "differ outside the axis")]
fn concat_rejects_mismatched_shapes() {
    let a = upload(&[2, 3], &[0.0; 6]);
    let b = upload(&[3, 3], &[0.0; 9]);
    cat::concat(&[&a, &b], 1);
}
