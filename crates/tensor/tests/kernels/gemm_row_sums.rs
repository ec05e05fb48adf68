//! `gemm::matmul_and_row_sums`: a product and each row's sum of its left operand,
//! `s[i] = Σₖ op(A)[i,k]` (with A = dy transposed, a linear layer's weight and bias
//! gradients). Where `matmul` runs the texel kernel (CPU adapters) or the tiled one (GPUs),
//! one dispatch writes both; elsewhere the sums are a reduction apart. Both kernel choices
//! run here: on the adapter's own class, and as a discrete GPU's (`GpuOptions::class`). The product must be the same bits as made alone, the dispatch
//! count that of the product alone exactly where fused, and the sums within the derived
//! bound of the f64 sums (bit-equal to the reduction where that runs).

use dvaan_tensor::ops::gemm::{
    default_variant, matmul, matmul_and_row_sums, GemmVariant, ROW_SUMS_MAX_TERMS,
};
use dvaan_tensor::ops::reduce::sum_axis;
use dvaan_tensor::{AdapterClass, Gpu, GpuOptions, Tensor};

use crate::common::*;

const U: f64 = f32::EPSILON as f64 / 2.0;

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

/// `(M, N, K, A transposed)` and why each case is here.
const CASES: [((usize, usize, usize), bool, &str); 10] = [
    // A linear weight gradient of the model: dy [64, 512]ᵀ · x [64, 1024].
    ((512, 1024, 64), true, "enc.head.0"),
    // 92 rows: one 128-row workgroup, 36 rows past the matrix.
    ((92, 12, 20), true, "92 rows"),
    // 260 rows: tall tiles, three row blocks, the last with 4 rows; N 20 leaves 4 of a block.
    ((260, 20, 36), true, "260 rows"),
    // The longest serial sums fused (ROW_SUMS_MAX_TERMS), and longer ones, summed apart.
    ((8, 4, 16_384), true, "long sums"),
    ((8, 4, 50_000), true, "longer sums"),
    // A not transposed: each texel holds four k of one row.
    ((20, 8, 36), false, "plain A"),
    ((4, 4, 8), false, "one quad"),
    // Batch 1: K = 1 is no multiple of 4, so the sums run apart.
    ((16, 8, 1), true, "batch 1"),
    // Six rows of a transposed A are not whole texels: apart.
    ((6, 8, 12), true, "6 rows"),
    // No column of C: no workgroup would run, so the sums run apart.
    ((12, 0, 8), true, "no columns"),
];

#[test]
fn a_product_sums_its_left_operands_rows_beside_it() {
    // Private devices, so other tests running in parallel do not move their counters.
    check_row_sums(&Gpu::new().unwrap());
}

#[test]
fn a_gpus_product_sums_its_left_operands_rows_beside_it() {
    let options = GpuOptions {
        class: Some(AdapterClass::DiscreteGpu),
        ..GpuOptions::default()
    };
    let gpu = Gpu::with_options(&options).unwrap();
    assert_eq!(default_variant(&gpu), GemmVariant::Tiled);
    check_row_sums(&gpu);
}

fn check_row_sums(gpu: &Gpu) {
    let mut r = rng(41);
    for ((m, n, k), trans_a, what) in CASES {
        let a_shape = if trans_a { [k, m] } else { [m, k] };
        let a_data = uniform(&mut r, m * k, -1.0, 1.0);
        let b_data = uniform(&mut r, k * n, -1.0, 1.0);
        let a = Tensor::from_slice(gpu, &a_shape, &a_data);
        let b = Tensor::from_slice(gpu, &[k, n], &b_data);
        let takes = match default_variant(gpu) {
            GemmVariant::Texel => GemmVariant::Texel.fits(gpu, m, n, k, trans_a, false),
            GemmVariant::Tiled => true,
            _ => false,
        };
        let fused = takes && m * n > 0 && k <= ROW_SUMS_MAX_TERMS;

        let before = gpu.counters().dispatches;
        let (c, sums) = matmul_and_row_sums(&a, &b, trans_a, false);
        let both = gpu.counters().dispatches - before;
        let before = gpu.counters().dispatches;
        let alone = matmul(&a, &b, trans_a, false, None);
        let product_only = gpu.counters().dispatches - before;
        let before = gpu.counters().dispatches;
        let apart = sum_axis(&a, usize::from(!trans_a));
        let sums_only = gpu.counters().dispatches - before;

        assert!(bits(&c) == bits(&alone), "{what}: the product changed");
        let expected = product_only + if fused { 0 } else { sums_only };
        assert_eq!(both, expected, "{what}: dispatches (fused: {fused})");
        assert_eq!(sums.shape(), &[m], "{what}: shape of the sums");
        if !fused {
            assert!(
                bits(&sums) == bits(&apart),
                "{what}: not the reduction's sums"
            );
            continue;
        }
        // Each sum is serial in k from 0: K additions, each rounding once.
        let d = k as f64;
        let gamma = d * U / (1.0 - d * U);
        let at = |i: usize, kk: usize| {
            if trans_a {
                a_data[kk * m + i]
            } else {
                a_data[i * k + kk]
            }
        };
        for (i, &got) in sums.to_vec().iter().enumerate() {
            let (want, abs_sum) = (0..k)
                .map(|kk| at(i, kk) as f64)
                .fold((0.0, 0.0), |(s, a), v| (s + v, a + v.abs()));
            let tol = gamma * abs_sum;
            assert!(
                (got as f64 - want).abs() <= tol,
                "{what}: row {i} sums to {got}, reference {want} (tolerance {tol})"
            );
        }
    }
}
