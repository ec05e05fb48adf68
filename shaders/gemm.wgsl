// C[M,N] = op(A) · op(B) (+ bias[N] on every row), op(X) = X or Xᵀ.
// A is [M,K] ([K,M] when TRANS_A), B is [K,N] ([N,K] when TRANS_B), all row-major f32.
// Each output is one serial K-term sum in a fixed order, so results are deterministic.
//
// Four entry points, one per variant (see crates/tensor/src/ops/gemm.rs for the choice):
//   gemm_naive    one output per invocation; correct everywhere, the baseline.
//   gemm_tiled    shared-memory tiles with a 4x4 register block per invocation: what real
//                 GPUs reward.
//   gemm_subgroup no shared memory, no barriers: each invocation owns a 64x8 register tile,
//                 A values are loaded once per subgroup and shared with subgroupBroadcast.
//                 Built for CPU adapters (lavapipe), where every memory load is expensive and
//                 arithmetic is cheap. Needs subgroups of at least 8 invocations.
//   gemm_texel    the subgroup kernel reading its operands from textures (four floats per
//                 fetch): lavapipe's fastest; needs dimensions that are multiples of 4.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
// Without a bias the dispatcher binds A here; HAS_BIAS = false never reads it.
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// op(A)[i, kk], zero outside the matrix so partial tiles need no other special case.
fn a_at(i: u32, kk: u32) -> f32 {
    let idx = select(i * p.k + kk, kk * p.m + i, TRANS_A);
    return select(0.0, a[idx], i < p.m && kk < p.k);
}

// op(B)[kk, j], zero outside.
fn b_at(kk: u32, j: u32) -> f32 {
    let idx = select(kk * p.n + j, j * p.k + kk, TRANS_B);
    return select(0.0, b[idx], kk < p.k && j < p.n);
}

fn store(i: u32, j: u32, v: f32) {
    if (i < p.m && j < p.n) {
        var r = v;
        if (HAS_BIAS) {
            r += bias[j];
        }
        c[i * p.n + j] = r;
    }
}

// ---------------------------------------------------------------------------------------
// Naive: C[i, j] by one invocation.

override NAIVE_WG: u32 = 16u;

@compute @workgroup_size(NAIVE_WG, NAIVE_WG)
fn gemm_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
    var s = 0.0;
    for (var kk = 0u; kk < p.k; kk++) {
        s += a_at(gid.y, kk) * b_at(kk, gid.x);
    }
    store(gid.y, gid.x, s);
}

// ---------------------------------------------------------------------------------------
// Tiled: a TILE_WG x TILE_WG workgroup computes a (4·TILE_WG)² block of C. Each K step of
// TILE_K stages the A and B panels in workgroup memory (every invocation loads its share,
// coalesced along the contiguous axis), then every invocation accumulates a 4x4 block from
// them.

override TILE_WG: u32 = 16u;
const TILE_K: u32 = 16u;
const TILE_R: u32 = 4u;

var<workgroup> a_tile: array<f32, TILE_K * TILE_R * TILE_WG>;   // [TILE_K][4·TILE_WG]
var<workgroup> b_tile: array<f32, TILE_K * TILE_R * TILE_WG>;   // [TILE_K][4·TILE_WG]

@compute @workgroup_size(TILE_WG, TILE_WG)
fn gemm_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let span = TILE_R * TILE_WG;
    let row0 = wg.y * span;
    let col0 = wg.x * span;
    let flat = lid.y * TILE_WG + lid.x;
    let threads = TILE_WG * TILE_WG;
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += TILE_K) {
        for (var e = flat; e < TILE_K * span; e += threads) {
            // Walk the contiguous axis fastest: rows of a transposed A run along i, rows of a
            // plain A along k (and the same for B).
            var kk: u32;
            var i: u32;
            if (TRANS_A) { kk = e / span; i = e % span; } else { i = e / TILE_K; kk = e % TILE_K; }
            a_tile[kk * span + i] = a_at(row0 + i, k0 + kk);
            var j: u32;
            if (TRANS_B) { j = e / TILE_K; kk = e % TILE_K; } else { kk = e / span; j = e % span; }
            b_tile[kk * span + j] = b_at(k0 + kk, col0 + j);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            let base = kk * span;
            let av = vec4(a_tile[base + lid.y], a_tile[base + lid.y + TILE_WG],
                          a_tile[base + lid.y + 2u * TILE_WG], a_tile[base + lid.y + 3u * TILE_WG]);
            let bv = vec4(b_tile[base + lid.x], b_tile[base + lid.x + TILE_WG],
                          b_tile[base + lid.x + 2u * TILE_WG], b_tile[base + lid.x + 3u * TILE_WG]);
            acc[0] += av.x * bv;
            acc[1] += av.y * bv;
            acc[2] += av.z * bv;
            acc[3] += av.w * bv;
        }
        workgroupBarrier();
    }
    // Rows and columns interleave with stride TILE_WG, so neighbouring invocations touch
    // neighbouring addresses in every load and store.
    for (var r = 0u; r < 4u; r++) {
        let i = row0 + lid.y + r * TILE_WG;
        store(i, col0 + lid.x, acc[r].x);
        store(i, col0 + lid.x + TILE_WG, acc[r].y);
        store(i, col0 + lid.x + 2u * TILE_WG, acc[r].z);
        store(i, col0 + lid.x + 3u * TILE_WG, acc[r].w);
    }
}

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

// A₄ for the four rows held by lanes l..l+3: column kk holds those rows' k0+kk values, so
// A₄ · B₄ is the 4x4 block of partial sums.
fn rows_lo(v: vec4<f32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u),
                                 subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u)));
}

fn rows_hi(v: vec4<f32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u),
                                 subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u)));
}

// Eight rows (r0 + lane) times this invocation's eight columns: [rows 0-3 | rows 4-7] x
// [columns 0-3 | columns 4-7].
fn rank4(acc: ptr<function, array<mat4x4<f32>, 4>>, v: vec4<f32>, b0: mat4x4<f32>, b1: mat4x4<f32>) {
    let lo = rows_lo(v);
    let hi = rows_hi(v);
    (*acc)[0] += lo * b0;
    (*acc)[1] += lo * b1;
    (*acc)[2] += hi * b0;
    (*acc)[3] += hi * b1;
}

// This invocation's bias for columns j .. j+3 (zero without a bias or past N), read once
// per kernel rather than once per stored value.
fn bias4(j: u32) -> vec4<f32> {
    if (!HAS_BIAS) {
        return vec4(0.0);
    }
    return vec4(select(0.0, bias[j], j < p.n), select(0.0, bias[j + 1u], j + 1u < p.n),
                select(0.0, bias[j + 2u], j + 2u < p.n), select(0.0, bias[j + 3u], j + 3u < p.n));
}

// Row i, columns j .. j+7 of C: lo + bias_lo, hi + bias_hi.
fn store_row8(i: u32, j: u32, lo: vec4<f32>, hi: vec4<f32>) {
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

// ---------------------------------------------------------------------------------------
// Texel: the subgroup kernel's tiling with both operands read from rgba32float textures
// that hold their flat data, four floats per texel (crates/tensor/src/texels.rs). On lavapipe
// a storage-buffer load runs a bounds-checked loop over the lanes for every float, while a
// texel fetch gathers four floats per lane at once. Every quad this kernel reads must be one
// whole texel: K % 4 == 0, M % 4 == 0 when A is transposed, N % 4 == 0 when B is not.
// Rows and columns past the matrix read whatever follows it; their sums are never stored.

@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;

override TEXELS_PER_ROW: u32 = 1024u;

// The texel holding flat floats 4t .. 4t+3.
fn a_texel(t: u32) -> vec4<f32> {
    return textureLoad(a_tex, vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW));
}

fn b_texel(t: u32) -> vec4<f32> {
    return textureLoad(b_tex, vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW));
}

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
    (*acc)[0] += lo * b0;
    (*acc)[1] += lo * b1;
    (*acc)[2] += hi * b0;
    (*acc)[3] += hi * b1;
}

// C seen as quads: with N % 4 == 0 (which this kernel requires) a row's eight columns
// j0 .. j0+7 are two aligned quads, and one vec4 store costs about what one f32 store does.
@group(0) @binding(4) var<storage, read_write> c4: array<vec4<f32>>;

fn store_row4(i: u32, j: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if (i < p.m && j < p.n) {
        let q = (i * p.n + j) / 4u;
        c4[q] = lo;
        if (j + 4u < p.n) {
            c4[q + 1u] = hi;
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
    let row0 = wg.y * TEXEL_ROWS;
    let j0 = (wg.x * SG_WG + lid) * 8u;
    let l = lane % 8u;
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
