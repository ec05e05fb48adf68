// The GEMM for CPU adapters with subgroups, reading storage buffers. Composed after
// prelude/gemm_params.wgsl, gemm_buffers.wgsl and subgroup_tile.wgsl (rank4).

// ---------------------------------------------------------------------------------------
// Subgroup: a workgroup of SG_WG invocations computes 64 rows x (8·SG_WG) columns of C;
// invocation `lid` owns columns j0 = col0 + 8·lid .. j0 + 8 of all 64 rows. Per K step of 4:
//   * every invocation reads its own 4x8 panel of B (the only per-invocation loads);
//   * the 64x4 panel of A is read once per subgroup: lane t (t = 0..7) reads 4 k-values of
//     rows t, t+8, …, t+56, and subgroupBroadcast hands each row to every lane;
//   * 64x8x4 multiply-adds, done as 4x4 matrix products (acc += A₄ · B₄).
// Broadcasts name lanes 0..7 of the invocation's own subgroup, so any subgroup size ≥ 8 works
// as long as subgroups are full (SG_WG a multiple of the subgroup size; the dispatcher sees
// to it). Lane numbers are never assumed to match local_invocation_index.

override SG_WG: u32 = 8u;

// Four k-values of op(A) row i.
fn a_quad(i: u32, k0: u32) -> vec4<f32> {
    return vec4(a_at(i, k0), a_at(i, k0 + 1u), a_at(i, k0 + 2u), a_at(i, k0 + 3u));
}

// B₄ for columns j..j+3: column c holds op(B)[k0..k0+4, j + c].
fn b_block(k0: u32, j: u32) -> mat4x4<f32> {
    return mat4x4<f32>(
        vec4(b_at(k0, j), b_at(k0 + 1u, j), b_at(k0 + 2u, j), b_at(k0 + 3u, j)),
        vec4(b_at(k0, j + 1u), b_at(k0 + 1u, j + 1u), b_at(k0 + 2u, j + 1u), b_at(k0 + 3u, j + 1u)),
        vec4(b_at(k0, j + 2u), b_at(k0 + 1u, j + 2u), b_at(k0 + 2u, j + 2u), b_at(k0 + 3u, j + 2u)),
        vec4(b_at(k0, j + 3u), b_at(k0 + 1u, j + 3u), b_at(k0 + 2u, j + 3u), b_at(k0 + 3u, j + 3u)));
}

// Row i, columns j .. j+7 of C: lo and hi, biased by the caller, activated here.
fn store_row8(i: u32, j: u32, biased_lo: vec4<f32>, biased_hi: vec4<f32>) {
    let lo = act4(biased_lo);
    let hi = act4(biased_hi);
    if (i < p.m) {
        let r = i * p.n;
        if (j < p.n) { c[r + j] = lo.x; }
        if (j + 1u < p.n) { c[r + j + 1u] = lo.y; }
        if (j + 2u < p.n) { c[r + j + 2u] = lo.z; }
        if (j + 3u < p.n) { c[r + j + 3u] = lo.w; }
        if (j + 4u < p.n) { c[r + j + 4u] = hi.x; }
        if (j + 5u < p.n) { c[r + j + 5u] = hi.y; }
        if (j + 6u < p.n) { c[r + j + 6u] = hi.z; }
        if (j + 7u < p.n) { c[r + j + 7u] = hi.w; }
    }
}

// Rows i0 .. i0+7 of this invocation's eight columns j0 ... acc[0] holds rows 0-3 x columns
// 0-3 with acc[0][column][row], so its transpose's row r is C[i0 + r, j0 .. j0+4]. Every index
// is a constant: an accumulator indexed by a loop variable would be copied to scratch memory
// and gathered lane by lane (on lavapipe that made this epilogue cost as much as 1024³'s
// first 200 multiply steps).
fn store_rows(acc: array<mat4x4<f32>, 4>, i0: u32, j0: u32, b_lo: vec4<f32>, b_hi: vec4<f32>) {
    let t0 = transpose(acc[0]);
    let t1 = transpose(acc[1]);
    let t2 = transpose(acc[2]);
    let t3 = transpose(acc[3]);
    store_row8(i0, j0, t0[0] + b_lo, t1[0] + b_hi);
    store_row8(i0 + 1u, j0, t0[1] + b_lo, t1[1] + b_hi);
    store_row8(i0 + 2u, j0, t0[2] + b_lo, t1[2] + b_hi);
    store_row8(i0 + 3u, j0, t0[3] + b_lo, t1[3] + b_hi);
    store_row8(i0 + 4u, j0, t2[0] + b_lo, t3[0] + b_hi);
    store_row8(i0 + 5u, j0, t2[1] + b_lo, t3[1] + b_hi);
    store_row8(i0 + 6u, j0, t2[2] + b_lo, t3[2] + b_hi);
    store_row8(i0 + 7u, j0, t2[3] + b_lo, t3[3] + b_hi);
}

@compute @workgroup_size(SG_WG)
fn gemm_subgroup(@builtin(local_invocation_index) lid: u32,
                 @builtin(subgroup_invocation_id) lane: u32,
                 @builtin(workgroup_id) wg: vec3<u32>) {
    let row0 = wg.y * 64u;
    let j0 = (wg.x * SG_WG + lid) * 8u;
    let i = row0 + lane % 8u;
    // One accumulator set per group of eight rows; spelled out (not an array indexed in a
    // loop) so every accumulator stays a plain value the compiler can keep in registers.
    var acc0: array<mat4x4<f32>, 4>;
    var acc1: array<mat4x4<f32>, 4>;
    var acc2: array<mat4x4<f32>, 4>;
    var acc3: array<mat4x4<f32>, 4>;
    var acc4: array<mat4x4<f32>, 4>;
    var acc5: array<mat4x4<f32>, 4>;
    var acc6: array<mat4x4<f32>, 4>;
    var acc7: array<mat4x4<f32>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += 4u) {
        let b0 = b_block(k0, j0);
        let b1 = b_block(k0, j0 + 4u);
        rank4(&acc0, a_quad(i, k0), b0, b1);
        rank4(&acc1, a_quad(i + 8u, k0), b0, b1);
        rank4(&acc2, a_quad(i + 16u, k0), b0, b1);
        rank4(&acc3, a_quad(i + 24u, k0), b0, b1);
        rank4(&acc4, a_quad(i + 32u, k0), b0, b1);
        rank4(&acc5, a_quad(i + 40u, k0), b0, b1);
        rank4(&acc6, a_quad(i + 48u, k0), b0, b1);
        rank4(&acc7, a_quad(i + 56u, k0), b0, b1);
    }
    let b_lo = bias4(j0);
    let b_hi = bias4(j0 + 4u);
    store_rows(acc0, row0, j0, b_lo, b_hi);
    store_rows(acc1, row0 + 8u, j0, b_lo, b_hi);
    store_rows(acc2, row0 + 16u, j0, b_lo, b_hi);
    store_rows(acc3, row0 + 24u, j0, b_lo, b_hi);
    store_rows(acc4, row0 + 32u, j0, b_lo, b_hi);
    store_rows(acc5, row0 + 40u, j0, b_lo, b_hi);
    store_rows(acc6, row0 + 48u, j0, b_lo, b_hi);
    store_rows(acc7, row0 + 56u, j0, b_lo, b_hi);
}
