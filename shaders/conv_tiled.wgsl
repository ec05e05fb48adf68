// The conv GEMM staged through workgroup memory, for GPUs (see prelude/conv_geometry.wgsl,
// composed before this file).

// ---- conv_workgroup_tiled: a TILE_M x TILE_N output tile, 4x4 outputs per invocation ----
//
// Each step of TILE_K reduction terms, the workgroup loads a TILE_K x TILE_M panel of G (the
// im2col gather: one address computation per loaded element) and a TILE_K x TILE_N panel of
// H into workgroup memory, and every invocation then reads its 4 rows and 4 columns of each
// term as two vec4 and does 16 multiply-adds. An operand element is thus fetched from global
// memory once per tile instead of once per multiply-add's invocation.
//
// The four accumulators are separate vec4 variables, each multiply-add written out: indexed
// by constants only, they stay in registers (an array indexed by a loop counter may be
// placed in local memory).
//
// The host chooses the tile (`conv::Tiles`, which checks these): TILE_M a multiple of 4,
// TILE_N a multiple of 16 (so the invocation count TILE_M*TILE_N/16 is a multiple of TILE_M
// and an invocation gathers from one row p for the whole reduction), TILE_K dividing the
// invocation count (so an invocation reads one term of H per step).

override TILE_M: u32 = 64u; // rows p of the output tile
override TILE_N: u32 = 64u; // columns q
override TILE_K: u32 = 16u; // reduction terms per step

// [k][m / 4]: a vec4 holds rows 4i .. 4i+3 of term k.
var<workgroup> g_panel: array<vec4<f32>, TILE_K * TILE_M / 4u>;
// [k][n / 4], each row of the panel padded by one vec4: invocations with consecutive k store
// into it together, and without the pad they would all hit the same memory bank.
var<workgroup> h_panel: array<vec4<f32>, TILE_K * (TILE_N / 4u + 1u)>;

// Writes 4 consecutive columns of row p (store skips columns past the last).
fn store_row(g: Geo, p: u32, q: u32, split: u32, v: vec4<f32>) {
    if (p < g.p_count) {
        store(g, p, q, split, v.x);
        store(g, p, q + 1u, split, v.y);
        store(g, p, q + 2u, split, v.z);
        store(g, p, q + 3u, split, v.w);
    }
}

@compute @workgroup_size(TILE_M / 4u, TILE_N / 4u)
fn conv_workgroup_tiled(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) lindex: u32,
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let zz = wg.z / prm.q_tiles;
    let phase = zz % prm.phases;
    let split = zz / prm.phases;
    let g = geometry(phase);
    let p0 = (wg.x + wg.y * nwg.x) * TILE_M;
    let q0 = (wg.z % prm.q_tiles) * TILE_N;
    // The same for the whole workgroup, so no invocation misses a barrier.
    if (p0 >= g.p_count) {
        return;
    }
    let invocations = TILE_M * TILE_N / 16u;
    let h_row = TILE_N / 4u + 1u;

    // This invocation gathers row gm of the G panel, terms gk0, gk0 + g_stride, ..
    let gm = lindex % TILE_M;
    let gk0 = lindex / TILE_M;
    let g_stride = invocations / TILE_M;
    let p = p0 + gm;
    let p_inside = p < g.p_count;
    let row = clamped_row(g, p);
    // .. and reads term hk of the H panel for columns hn0, hn0 + h_stride, ..: consecutive
    // invocations read consecutive terms, which lie next to each other in H.
    let hk = lindex % TILE_K;
    let hn0 = lindex / TILE_K;
    let h_stride = invocations / TILE_K;

    var acc0 = vec4<f32>(); // row 4*lid.x + 0, columns 4*lid.y .. 4*lid.y + 3
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    let range = r_range(g, split);
    for (var r0 = range.x; r0 < range.y; r0 += TILE_K) {
        for (var k = gk0; k < TILE_K; k += g_stride) {
            let r = r0 + k;
            var v = 0.0;
            if (p_inside && r < range.y) {
                v = gather(g, row, step_at(g, cursor_at(g, r)));
            }
            g_panel[k * (TILE_M / 4u) + gm / 4u][gm % 4u] = v;
        }
        let h_inside = r0 + hk < range.y;
        let h_off = step_at(g, cursor_at(g, r0 + hk)).h_off;
        for (var n = hn0; n < TILE_N; n += h_stride) {
            let q = q0 + n;
            var v = 0.0;
            if (h_inside && q < g.q_count) {
                v = plain[q_base(q) + h_off];
            }
            h_panel[hk * h_row + n / 4u][n % 4u] = v;
        }
        workgroupBarrier();
        for (var k = 0u; k < TILE_K; k++) {
            let a = g_panel[k * (TILE_M / 4u) + lid.x];
            let b = h_panel[k * h_row + lid.y];
            acc0 = fma(vec4(a.x), b, acc0);
            acc1 = fma(vec4(a.y), b, acc1);
            acc2 = fma(vec4(a.z), b, acc2);
            acc3 = fma(vec4(a.w), b, acc3);
        }
        // The next step overwrites the panels.
        workgroupBarrier();
    }

    let pr = p0 + 4u * lid.x;
    let qc = q0 + 4u * lid.y;
    store_row(g, pr, qc, split, acc0);
    store_row(g, pr + 1u, qc, split, acc1);
    store_row(g, pr + 2u, qc, split, acc2);
    store_row(g, pr + 3u, qc, split, acc3);
}
