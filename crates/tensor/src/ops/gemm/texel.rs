//! [`GemmVariant::Texel`](super::GemmVariant::Texel): the subgroup kernel's tiling with A and
//! B staged in textures (`crate::texels`), four floats per fetch (`shaders/gemm_texel.wgsl`).

use super::{check_grid, Epilogue, Params, Transposes, SG_COLS, SG_MIN};
use crate::{Dispatch, Shader, Tensor, TEXELS_PER_ROW};

const TEXEL: Shader = crate::composed_shader!("gemm_texel");

/// Rows of C per workgroup: 64, or the taller tile (`TEXEL_ROWS` in the shader) from
/// TEXEL_TALL_FROM rows of C up: it needs two row blocks, or one of lavapipe's two threads
/// would sit idle on square-ish products. At 1024³ on lavapipe it is ≈ 10 % faster per
/// CPU-second than 64 rows.
const TEXEL_SHORT_ROWS: usize = 64;
const TEXEL_TALL_ROWS: usize = 128;
const TEXEL_TALL_FROM: usize = 2 * TEXEL_TALL_ROWS;

/// Stages `a` and `b` and records `op(a) · op(b)` and its epilogue into `out`, and with
/// `row_sums` each row's sum of `op(a)` into it (`gemm_texel_row_sums`).
pub(super) fn run(
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
    let rows = if m >= TEXEL_TALL_FROM {
        TEXEL_TALL_ROWS
    } else {
        TEXEL_SHORT_ROWS
    };
    // Whole subgroups only: the broadcasts read lanes 0..8 of each subgroup.
    let wg = gpu.summary().subgroup_max_size.max(SG_MIN) as usize;
    let groups = [n.div_ceil(wg * SG_COLS), m.div_ceil(rows)];
    check_grid(gpu, groups, a, b, trans);
    let staged = (gpu.stage_texels(a), gpu.stage_texels(b));
    let entry = if row_sums.is_some() {
        "gemm_texel_row_sums"
    } else {
        "gemm_texel"
    };
    let plain = Dispatch::new(&TEXEL, entry)
        .constant("TRANS_A", trans.0 as u32 as f64)
        .constant("TRANS_B", trans.1 as u32 as f64)
        .constant("SG_WG", wg as f64)
        .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
        .constant("TEXEL_ROWS", rows as f64);
    epilogue
        .constants(plain)
        .params(params)
        .texels(&staged.0)
        .texels(&staged.1)
        // The shader never reads binding 3 without a bias; `a` is a valid read-only stand-in.
        .arg(epilogue.bias.unwrap_or(a))
        .arg(out)
        // Binding 4 is C; the row sums follow it.
        .arg_if(row_sums)
        .groups([groups[0] as u32, groups[1] as u32, 1])
        .run(gpu);
}
