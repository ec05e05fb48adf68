// The GEMM on CPU adapters' fastest path, gemm_subgroup's tiling reading textures. Composed
// after prelude/gemm_params.wgsl, texel_layout.wgsl, texel_operands.wgsl (a_texel, b_texel)
// and subgroup_tile.wgsl (rank4, tile_update).

// Both operands are read from rgba32float textures that hold their flat data, four floats
// per texel (crates/tensor/src/texels.rs). On lavapipe
// a storage-buffer load runs a bounds-checked loop over the lanes for every float, while a
// texel fetch gathers four floats per lane at once. Every quad this kernel reads must be one
// whole texel: K % 4 == 0, M % 4 == 0 when A is transposed, N % 4 == 0 when B is not.
// Rows and columns past the matrix read whatever follows it; their sums are never stored.

override SG_WG: u32 = 8u;

// What lane `lane` of an eight-row group starting at row r0 fetches. Plain A: its own row's
// four k-values (as in a_quad). Transposed A ([K,M], rows contiguous): rows r0 + 4·(lane % 2)
// .. +4 at k = k0 + lane / 2.
fn a_texel_for(r0: u32, lane: u32, k0: u32) -> vec4<f32> {
    if (TRANS_A) {
        return a_texel(((k0 + lane / 2u) * p.m + r0 + 4u * (lane % 2u)) / 4u);
    }
    return a_texel(((r0 + lane) * p.k + k0) / 4u);
}

// B₄ for columns j..j+3 (as b_block): a plain B's texels are rows of B, a transposed B's are
// already the columns of op(B).
fn b_texel_block(k0: u32, j: u32) -> mat4x4<f32> {
    if (TRANS_B) {
        return mat4x4<f32>(b_texel((j * p.k + k0) / 4u), b_texel(((j + 1u) * p.k + k0) / 4u),
                           b_texel(((j + 2u) * p.k + k0) / 4u), b_texel(((j + 3u) * p.k + k0) / 4u));
    }
    return transpose(mat4x4<f32>(b_texel((k0 * p.n + j) / 4u), b_texel(((k0 + 1u) * p.n + j) / 4u),
                                 b_texel(((k0 + 2u) * p.n + j) / 4u), b_texel(((k0 + 3u) * p.n + j) / 4u)));
}

// rank4 for one eight-row group from the lanes' texels: for a transposed A, lanes 0,2,4,6 hold
// rows 0-3 at k0..k0+3 and lanes 1,3,5,7 rows 4-7, which are A₄'s columns as they are.
fn texel_rank4(acc: ptr<function, array<mat4x4<f32>, 4>>, v: vec4<f32>, b0: mat4x4<f32>, b1: mat4x4<f32>) {
    if (!TRANS_A) {
        rank4(acc, v, b0, b1);
        return;
    }
    let lo = mat4x4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 2u),
                         subgroupBroadcast(v, 4u), subgroupBroadcast(v, 6u));
    let hi = mat4x4<f32>(subgroupBroadcast(v, 1u), subgroupBroadcast(v, 3u),
                         subgroupBroadcast(v, 5u), subgroupBroadcast(v, 7u));
    tile_update(acc, lo, hi, b0, b1);
}

// C seen as quads: with N % 4 == 0 (which this kernel requires) a row's eight columns
// j0 .. j0+7 are two aligned quads, and one vec4 store costs about what one f32 store does.
@group(0) @binding(4) var<storage, read_write> c4: array<vec4<f32>>;

fn store_row4(i: u32, j: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if (i < p.m && j < p.n) {
        let q = (i * p.n + j) / 4u;
        c4[q] = act4(lo);
        if (j + 4u < p.n) {
            c4[q + 1u] = act4(hi);
        }
    }
}

// store_rows with quad stores.
fn store_rows4(acc: array<mat4x4<f32>, 4>, i0: u32, j0: u32, b_lo: vec4<f32>, b_hi: vec4<f32>) {
    let t0 = transpose(acc[0]);
    let t1 = transpose(acc[1]);
    let t2 = transpose(acc[2]);
    let t3 = transpose(acc[3]);
    store_row4(i0, j0, t0[0] + b_lo, t1[0] + b_hi);
    store_row4(i0 + 1u, j0, t0[1] + b_lo, t1[1] + b_hi);
    store_row4(i0 + 2u, j0, t0[2] + b_lo, t1[2] + b_hi);
    store_row4(i0 + 3u, j0, t0[3] + b_lo, t1[3] + b_hi);
    store_row4(i0 + 4u, j0, t2[0] + b_lo, t3[0] + b_hi);
    store_row4(i0 + 5u, j0, t2[1] + b_lo, t3[1] + b_hi);
    store_row4(i0 + 6u, j0, t2[2] + b_lo, t3[2] + b_hi);
    store_row4(i0 + 7u, j0, t2[3] + b_lo, t3[3] + b_hi);
}

// Rows of C per workgroup: 64, or 128 for tall products (twice the accumulators, but each
// fetched B texel then feeds twice the multiply-adds).
override TEXEL_ROWS: u32 = 64u;

@compute @workgroup_size(SG_WG)
fn gemm_texel(@builtin(local_invocation_index) lid: u32,
              @builtin(subgroup_invocation_id) lane: u32,
              @builtin(workgroup_id) wg: vec3<u32>) {
    texel_product(lid, lane, wg);
}

// Σₖ op(A)[i,k] for every row i of C, beside C: with A = dyᵀ, the gradient of a linear
// layer's bias, from the pass that reads dy for the weight gradient. One row of workgroups
// (wg.x == 0) sums, so each sum is written once; its invocations take the rows' quads in
// turn, and each row is one serial K-term sum in k order, like C's entries.
@group(0) @binding(5) var<storage, read_write> row_sums: array<f32>;

@compute @workgroup_size(SG_WG)
fn gemm_texel_row_sums(@builtin(local_invocation_index) lid: u32,
                       @builtin(subgroup_invocation_id) lane: u32,
                       @builtin(workgroup_id) wg: vec3<u32>) {
    texel_product(lid, lane, wg);
    if (wg.x != 0u) {
        return;
    }
    for (var r = wg.y * TEXEL_ROWS + 4u * lid; r < (wg.y + 1u) * TEXEL_ROWS; r += 4u * SG_WG) {
        var sums = vec4(0.0);
        if (TRANS_A) {
            // A is [K,M]: one texel holds rows r .. r+3 at one k (M % 4 == 0).
            for (var k = 0u; k < p.k; k++) {
                sums += a_texel((k * p.m + r) / 4u);
            }
        } else {
            // A is [M,K]: one texel holds four k of one row (K % 4 == 0).
            for (var k0 = 0u; k0 < p.k; k0 += 4u) {
                for (var q = 0u; q < 4u; q++) {
                    let t = a_texel(((r + q) * p.k + k0) / 4u);
                    sums[q] = (((sums[q] + t.x) + t.y) + t.z) + t.w;
                }
            }
        }
        for (var q = 0u; q < 4u; q++) {
            if (r + q < p.m) {
                row_sums[r + q] = sums[q];
            }
        }
    }
}

// C = op(A) · op(B) (+ bias) for the workgroup's rows and the invocation's eight columns.
fn texel_product(lid: u32, lane: u32, wg: vec3<u32>) {
    let row0 = wg.y * TEXEL_ROWS;
    let j0 = (wg.x * SG_WG + lid) * 8u;
    let l = lane % 8u;
    // Spelled out, not an array indexed in a loop: lavapipe does not unroll WGSL loops, and
    // a loop-indexed accumulator array would live in scratch memory.
    var acc0: array<mat4x4<f32>, 4>;
    var acc1: array<mat4x4<f32>, 4>;
    var acc2: array<mat4x4<f32>, 4>;
    var acc3: array<mat4x4<f32>, 4>;
    var acc4: array<mat4x4<f32>, 4>;
    var acc5: array<mat4x4<f32>, 4>;
    var acc6: array<mat4x4<f32>, 4>;
    var acc7: array<mat4x4<f32>, 4>;
    var acc8: array<mat4x4<f32>, 4>;
    var acc9: array<mat4x4<f32>, 4>;
    var acc10: array<mat4x4<f32>, 4>;
    var acc11: array<mat4x4<f32>, 4>;
    var acc12: array<mat4x4<f32>, 4>;
    var acc13: array<mat4x4<f32>, 4>;
    var acc14: array<mat4x4<f32>, 4>;
    var acc15: array<mat4x4<f32>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += 4u) {
        let b0 = b_texel_block(k0, j0);
        let b1 = b_texel_block(k0, j0 + 4u);
        texel_rank4(&acc0, a_texel_for(row0, l, k0), b0, b1);
        texel_rank4(&acc1, a_texel_for(row0 + 8u, l, k0), b0, b1);
        texel_rank4(&acc2, a_texel_for(row0 + 16u, l, k0), b0, b1);
        texel_rank4(&acc3, a_texel_for(row0 + 24u, l, k0), b0, b1);
        texel_rank4(&acc4, a_texel_for(row0 + 32u, l, k0), b0, b1);
        texel_rank4(&acc5, a_texel_for(row0 + 40u, l, k0), b0, b1);
        texel_rank4(&acc6, a_texel_for(row0 + 48u, l, k0), b0, b1);
        texel_rank4(&acc7, a_texel_for(row0 + 56u, l, k0), b0, b1);
        if (TEXEL_ROWS == 128u) {
            texel_rank4(&acc8, a_texel_for(row0 + 64u, l, k0), b0, b1);
            texel_rank4(&acc9, a_texel_for(row0 + 72u, l, k0), b0, b1);
            texel_rank4(&acc10, a_texel_for(row0 + 80u, l, k0), b0, b1);
            texel_rank4(&acc11, a_texel_for(row0 + 88u, l, k0), b0, b1);
            texel_rank4(&acc12, a_texel_for(row0 + 96u, l, k0), b0, b1);
            texel_rank4(&acc13, a_texel_for(row0 + 104u, l, k0), b0, b1);
            texel_rank4(&acc14, a_texel_for(row0 + 112u, l, k0), b0, b1);
            texel_rank4(&acc15, a_texel_for(row0 + 120u, l, k0), b0, b1);
        }
    }
    let b_lo = bias4(j0);
    let b_hi = bias4(j0 + 4u);
    store_rows4(acc0, row0, j0, b_lo, b_hi);
    store_rows4(acc1, row0 + 8u, j0, b_lo, b_hi);
    store_rows4(acc2, row0 + 16u, j0, b_lo, b_hi);
    store_rows4(acc3, row0 + 24u, j0, b_lo, b_hi);
    store_rows4(acc4, row0 + 32u, j0, b_lo, b_hi);
    store_rows4(acc5, row0 + 40u, j0, b_lo, b_hi);
    store_rows4(acc6, row0 + 48u, j0, b_lo, b_hi);
    store_rows4(acc7, row0 + 56u, j0, b_lo, b_hi);
    if (TEXEL_ROWS == 128u) {
        store_rows4(acc8, row0 + 64u, j0, b_lo, b_hi);
        store_rows4(acc9, row0 + 72u, j0, b_lo, b_hi);
        store_rows4(acc10, row0 + 80u, j0, b_lo, b_hi);
        store_rows4(acc11, row0 + 88u, j0, b_lo, b_hi);
        store_rows4(acc12, row0 + 96u, j0, b_lo, b_hi);
        store_rows4(acc13, row0 + 104u, j0, b_lo, b_hi);
        store_rows4(acc14, row0 + 112u, j0, b_lo, b_hi);
        store_rows4(acc15, row0 + 120u, j0, b_lo, b_hi);
    }
}
