// The register tile of the subgroup GEMM kernels (gemm_subgroup.wgsl, gemm_texel.wgsl,
// conv_texel.wgsl): each invocation holds eight rows of its TILE_COLS columns per
// accumulator set, array<mat4x4<f32>, 4> = [rows 0-3 | rows 4-7] x [columns 0-3 | 4-7], and
// lanes 0..7 of its subgroup share the rows' operands by broadcasts.

// Columns per invocation: 8, or 4 where the conv texel kernel's GEMM is narrow (columns 4-7
// of the tile then stay unused).
override TILE_COLS: u32 = 8u;

// A₄ for the four rows held by lanes 0..3 (rows_lo) or 4..7 (rows_hi), each lane's v being
// its row's four reduction terms: column kk of A₄ holds those rows' term kk, so A₄ · B₄ is
// the 4x4 block of partial sums.
fn rows_lo(v: vec4<f32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u),
                                 subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u)));
}

fn rows_hi(v: vec4<f32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u),
                                 subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u)));
}

// The rank-4 update of one accumulator set: A₄ of rows 0-3 (lo) and 4-7 (hi) times this
// invocation's columns 0-3 (b0) and 4-7 (b1), column c of B₄ holding that column's four terms.
fn tile_update(acc: ptr<function, array<mat4x4<f32>, 4>>, lo: mat4x4<f32>, hi: mat4x4<f32>,
               b0: mat4x4<f32>, b1: mat4x4<f32>) {
    (*acc)[0] += lo * b0;
    (*acc)[2] += hi * b0;
    if (TILE_COLS == 8u) {
        (*acc)[1] += lo * b1;
        (*acc)[3] += hi * b1;
    }
}

// tile_update for eight rows held one per lane 0..7, v being this lane's row's four terms.
fn rank4(acc: ptr<function, array<mat4x4<f32>, 4>>, v: vec4<f32>, b0: mat4x4<f32>, b1: mat4x4<f32>) {
    tile_update(acc, rows_lo(v), rows_hi(v), b0, b1);
}
