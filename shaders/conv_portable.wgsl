// The conv GEMM for any adapter, the simple reference for GPUs (see
// prelude/conv_geometry.wgsl, composed before this file).

// ---- conv_tiled: portable; 8x8 invocations, 4x4 outputs each, plain loads ----

const PT: u32 = 4u;

@compute @workgroup_size(8, 8)
fn conv_tiled(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let zz = wg.z / prm.q_tiles;
    let phase = zz % prm.phases;
    let split = zz / prm.phases;
    let g = geometry(phase);
    let p0 = (wg.x + wg.y * nwg.x) * 32u + lid.y;
    let q0 = (wg.z % prm.q_tiles) * 32u + lid.x;
    if (p0 >= g.p_count) {
        return;
    }

    var rows: array<Row, PT>;
    var qb: array<u32, PT>;
    for (var i = 0u; i < PT; i++) {
        rows[i] = clamped_row(g, p0 + 8u * i);
        qb[i] = clamped_q_base(g, q0 + 8u * i);
    }

    var acc: array<f32, 16>;
    let range = r_range(g, split);
    var cur = cursor_at(g, range.x);
    for (var r = range.x; r < range.y; r++) {
        let st = step_at(g, cur);
        cur = advance(g, cur);
        var a: array<f32, PT>;
        var b: array<f32, PT>;
        for (var i = 0u; i < PT; i++) {
            a[i] = gather(g, rows[i], st);
            b[i] = plain[qb[i] + st.h_off];
        }
        for (var i = 0u; i < PT; i++) {
            for (var t = 0u; t < PT; t++) {
                acc[i * PT + t] = fma(a[i], b[t], acc[i * PT + t]);
            }
        }
    }

    for (var i = 0u; i < PT; i++) {
        let p = p0 + 8u * i;
        for (var t = 0u; t < PT; t++) {
            if (p < g.p_count) {
                store(g, p, q0 + 8u * t, split, acc[i * PT + t]);
            }
        }
    }
}
