//! The GEMM kernels that read A and B from storage buffers: naive and tiled
//! (`shaders/gemm_portable.wgsl`), and the subgroup kernel (`shaders/gemm_subgroup.wgsl`).

use super::{check_grid, Epilogue, GemmVariant, Params, Transposes, SG_COLS, SG_MIN};
use crate::{Dispatch, Shader, Tensor};

const PORTABLE: Shader = crate::composed_shader!("gemm_portable");
const SUBGROUP: Shader = crate::composed_shader!("gemm_subgroup");

/// Workgroup edge of the naive kernel (`NAIVE_WG` in the shader).
const NAIVE_WG: usize = 16;
/// Workgroup edge of the tiled kernel; each invocation computes 4x4 outputs.
const TILE_WG: usize = 16;
/// Rows of C per subgroup-kernel workgroup (fixed in the shader).
const SG_ROWS: usize = 64;

/// Records `op(a) · op(b)` and its epilogue into `out` on the naive, tiled or subgroup kernel,
/// and with `row_sums` (tiled only) each row's sum of `op(a)` into it (`gemm_tiled_row_sums`).
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    variant: GemmVariant,
    a: &Tensor,
    b: &Tensor,
    trans: Transposes,
    epilogue: Epilogue,
    params: &Params,
    out: &Tensor,
    row_sums: Option<&Tensor>,
) {
    let gpu = a.gpu();
    let (m, n) = (params.m as usize, params.n as usize);
    let (shader, entry, groups, wg_name, wg) = match variant {
        GemmVariant::Naive => (
            &PORTABLE,
            "gemm_naive",
            [n.div_ceil(NAIVE_WG), m.div_ceil(NAIVE_WG)],
            "NAIVE_WG",
            NAIVE_WG,
        ),
        GemmVariant::Tiled => {
            let span = 4 * TILE_WG;
            (
                &PORTABLE,
                if row_sums.is_some() {
                    "gemm_tiled_row_sums"
                } else {
                    "gemm_tiled"
                },
                [n.div_ceil(span), m.div_ceil(span)],
                "TILE_WG",
                TILE_WG,
            )
        }
        // The texel variant runs in texel.rs and never reaches here.
        GemmVariant::Subgroup | GemmVariant::Texel => {
            // Whole subgroups only: the broadcasts read lanes 0..8 of each subgroup.
            let wg = gpu.summary().subgroup_max_size.max(SG_MIN) as usize;
            (
                &SUBGROUP,
                "gemm_subgroup",
                [n.div_ceil(wg * SG_COLS), m.div_ceil(SG_ROWS)],
                "SG_WG",
                wg,
            )
        }
    };
    check_grid(gpu, groups, a, b, trans);
    assert!(
        row_sums.is_none() || variant == GemmVariant::Tiled,
        "matmul: {variant:?} has no row sums"
    );
    let plain = Dispatch::new(shader, entry)
        .constant("TRANS_A", trans.0 as u32 as f64)
        .constant("TRANS_B", trans.1 as u32 as f64)
        .constant(wg_name, wg as f64);
    epilogue
        .constants(plain)
        .params(params)
        .arg(a)
        .arg(b)
        // The shader never reads binding 3 without a bias; `a` is a valid read-only stand-in.
        .arg(epilogue.bias.unwrap_or(a))
        .arg(out)
        // Binding 4 is C; the row sums follow it.
        .arg_if(row_sums)
        .groups([groups[0] as u32, groups[1] as u32, 1])
        .run(gpu);
}
