// The GEMM for any adapter: naive (the baseline) and tiled (what GPUs run). Composed after
// prelude/gemm_params.wgsl and gemm_buffers.wgsl.

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
    tiled_product(lid, wg);
}

// Σₖ op(A)[i,k] for every row i of C, beside C (a linear layer's bias gradient, with A = dyᵀ,
// as gemm_texel_row_sums gives it on CPU adapters). The first column of workgroups sums, one
// row per invocation, serially in k (neighbouring invocations read neighbouring rows of a
// transposed A, so the loads coalesce).
@group(0) @binding(5) var<storage, read_write> row_sums: array<f32>;

@compute @workgroup_size(TILE_WG, TILE_WG)
fn gemm_tiled_row_sums(@builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(workgroup_id) wg: vec3<u32>) {
    tiled_product(lid, wg);
    if (wg.x != 0u) {
        return;
    }
    let span = TILE_R * TILE_WG;
    for (var r = lid.y * TILE_WG + lid.x; r < span; r += TILE_WG * TILE_WG) {
        let i = wg.y * span + r;
        if (i < p.m) {
            var s = 0.0;
            for (var kk = 0u; kk < p.k; kk++) {
                s += a_at(i, kk);
            }
            row_sums[i] = s;
        }
    }
}

// C = op(A) · op(B) and its epilogue for the workgroup's block.
fn tiled_product(lid: vec3<u32>, wg: vec3<u32>) {
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
