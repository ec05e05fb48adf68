// The conv GEMM on one 8-lane subgroup per workgroup (see prelude/conv_geometry.wgsl,
// composed before this file).

// ---- conv_subgroup: 8 lanes, a 64 x 64 tile, 8 rows x 8 columns per lane ----
//
// Lane l gathers rows 8l .. 8l+7 of the tile (its 8 "slots") and owns columns l, l+8, ..,
// l+56, kept as two vec4. Everything inside the reduction loop is written out rather than
// looped: lavapipe does not unroll these loops, and an accumulator array indexed by a loop
// variable would live in scratch memory. (Lavapipe also stops any shader after 65,535 loop
// iterations in total, which the host respects by splitting long reductions.)

alias Acc = array<vec4<f32>, 128>; // row i, columns 4h .. 4h+3 of this lane: [2i + h]

fn fma_row(acc: ptr<function, Acc>, i: u32, a: f32, b0: vec4<f32>, b1: vec4<f32>) {
    (*acc)[2u * i] = fma(vec4(a), b0, (*acc)[2u * i]);
    (*acc)[2u * i + 1u] = fma(vec4(a), b1, (*acc)[2u * i + 1u]);
}

// Slot j of every lane (rows j, 8+j, .., 56+j) times this lane's 8 columns.
fn fma_slot(acc: ptr<function, Acc>, j: u32, v: f32, b0: vec4<f32>, b1: vec4<f32>) {
    fma_row(acc, j, subgroupBroadcast(v, 0u), b0, b1);
    fma_row(acc, 8u + j, subgroupBroadcast(v, 1u), b0, b1);
    fma_row(acc, 16u + j, subgroupBroadcast(v, 2u), b0, b1);
    fma_row(acc, 24u + j, subgroupBroadcast(v, 3u), b0, b1);
    fma_row(acc, 32u + j, subgroupBroadcast(v, 4u), b0, b1);
    fma_row(acc, 40u + j, subgroupBroadcast(v, 5u), b0, b1);
    fma_row(acc, 48u + j, subgroupBroadcast(v, 6u), b0, b1);
    fma_row(acc, 56u + j, subgroupBroadcast(v, 7u), b0, b1);
}

fn store_row(g: Geo, acc: ptr<function, Acc>, p0: u32, i: u32, q: u32, split: u32) {
    let p = p0 + i;
    if (p >= g.p_count) {
        return;
    }
    let lo = (*acc)[2u * i];
    let hi = (*acc)[2u * i + 1u];
    store(g, p, q, split, lo.x);
    store(g, p, q + 8u, split, lo.y);
    store(g, p, q + 16u, split, lo.z);
    store(g, p, q + 24u, split, lo.w);
    store(g, p, q + 32u, split, hi.x);
    store(g, p, q + 40u, split, hi.y);
    store(g, p, q + 48u, split, hi.z);
    store(g, p, q + 56u, split, hi.w);
}

fn store_slot(g: Geo, acc: ptr<function, Acc>, p0: u32, j: u32, q: u32, split: u32) {
    store_row(g, acc, p0, j, q, split);
    store_row(g, acc, p0, 8u + j, q, split);
    store_row(g, acc, p0, 16u + j, q, split);
    store_row(g, acc, p0, 24u + j, q, split);
    store_row(g, acc, p0, 32u + j, q, split);
    store_row(g, acc, p0, 40u + j, q, split);
    store_row(g, acc, p0, 48u + j, q, split);
    store_row(g, acc, p0, 56u + j, q, split);
}

@compute @workgroup_size(8)
fn conv_subgroup(
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let zz = wg.z / prm.q_tiles;
    let phase = zz % prm.phases;
    let split = zz / prm.phases;
    let g = geometry(phase);
    let p0 = (wg.x + wg.y * nwg.x) * 64u;
    // Whole workgroups leave together, so the broadcasts below see every lane.
    if (p0 >= g.p_count) {
        return;
    }
    let q = (wg.z % prm.q_tiles) * 64u + lane;

    let pl = p0 + 8u * lane;
    let row0 = clamped_row(g, pl);
    let row1 = clamped_row(g, pl + 1u);
    let row2 = clamped_row(g, pl + 2u);
    let row3 = clamped_row(g, pl + 3u);
    let row4 = clamped_row(g, pl + 4u);
    let row5 = clamped_row(g, pl + 5u);
    let row6 = clamped_row(g, pl + 6u);
    let row7 = clamped_row(g, pl + 7u);
    let qb0 = vec4(clamped_q_base(g, q), clamped_q_base(g, q + 8u), clamped_q_base(g, q + 16u), clamped_q_base(g, q + 24u));
    let qb1 = vec4(clamped_q_base(g, q + 32u), clamped_q_base(g, q + 40u), clamped_q_base(g, q + 48u), clamped_q_base(g, q + 56u));

    var acc: Acc;
    let range = r_range(g, split);
    var cur = cursor_at(g, range.x);
    for (var r = range.x; r < range.y; r++) {
        let st = step_at(g, cur);
        cur = advance(g, cur);
        let h0 = qb0 + st.h_off;
        let h1 = qb1 + st.h_off;
        let b0 = vec4(plain[h0.x], plain[h0.y], plain[h0.z], plain[h0.w]);
        let b1 = vec4(plain[h1.x], plain[h1.y], plain[h1.z], plain[h1.w]);
        fma_slot(&acc, 0u, gather(g, row0, st), b0, b1);
        fma_slot(&acc, 1u, gather(g, row1, st), b0, b1);
        fma_slot(&acc, 2u, gather(g, row2, st), b0, b1);
        fma_slot(&acc, 3u, gather(g, row3, st), b0, b1);
        fma_slot(&acc, 4u, gather(g, row4, st), b0, b1);
        fma_slot(&acc, 5u, gather(g, row5, st), b0, b1);
        fma_slot(&acc, 6u, gather(g, row6, st), b0, b1);
        fma_slot(&acc, 7u, gather(g, row7, st), b0, b1);
    }

    store_slot(g, &acc, p0, 0u, q, split);
    store_slot(g, &acc, p0, 1u, q, split);
    store_slot(g, &acc, p0, 2u, q, split);
    store_slot(g, &acc, p0, 3u, q, split);
    store_slot(g, &acc, p0, 4u, q, split);
    store_slot(g, &acc, p0, 5u, q, split);
    store_slot(g, &acc, p0, 6u, q, split);
    store_slot(g, &acc, p0, 7u, q, split);
}
