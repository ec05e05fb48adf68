// 2-d convolution as implicit GEMM: forward, input gradient and weight gradient, which are
// also the transposed convolution's input gradient, forward and weight gradient.
//
// All three are one shape of computation,
//
//     out[p, q] = sum_r  G(p, r) * H(q, r)      (+ bias[q])
//
// where G is "gathered" from an image-like tensor with zero padding (the im2col matrix,
// never materialised) and H is read straight from a plain tensor. Conv geometry: input
// x [N,C,H,W], weight w [O,C,KH,KW], output y [N,O,OH,OW], ih = oh*S - PAD + kh.
//
//   MODE 0, forward:       p = (n, oh, ow)  q = o  r = (c, kh, kw)   G = x    H = w
//   MODE 1, input grad:    p = (n, ih, iw)  q = c  r = (o, kh, kw)   G = dy   H = w
//   MODE 2, weight grad:   p = (c, kh, kw)  q = o  r = (n, oh, ow)   G = x    H = dy
//
// Input gradient: dx[n,c,ih,iw] sums dy[n,o,oh,ow] w[o,c,kh,kw] over the taps with
// oh*S = ih + PAD - kh. With S > 1 only one tap in S (per axis) satisfies that for a given
// ih, so the outputs are split into S*S phases (ih mod S, iw mod S); within a phase the
// valid taps are kh = kh0 + S*a, and oh = dh + i - a for ih = ph + S*i. Each phase is a
// dense stride-1 GEMM with no wasted multiply (grid z runs over the phases).
//
// Long reductions are split in pieces of `r_chunk` terms (grid z): the weight gradient's
// N*OH*OW always may be, any reduction past the per-invocation loop budget must be. Each
// piece writes its own partial output and `sum_splits` adds them in split order, so the
// result never depends on scheduling. Grid z = q tile + q_tiles * (phase + phases * split).
//
// Two variants of the same GEMM (a third, conv_texel, is at the end of this file):
// - `conv_subgroup`: an 8-lane subgroup holds a 64 x 64 tile; each lane gathers 8 rows of
//   G per step, the subgroup shares them with broadcasts, and each lane multiplies them by
//   its own 8 columns of H. On CPU adapters (lavapipe) a memory load costs far more than
//   arithmetic, and this loads each operand element once per tile.
// - `conv_tiled`: portable; an 8x8 workgroup, 4x4 outputs per invocation, plain loads.

override MODE: u32 = 0u;
override HAS_BIAS: bool = false; // bias added by the GEMM (unsplit) or by `sum_splits`

struct Params {
    n: u32, c: u32, h: u32, w: u32,
    o: u32, oh: u32, ow: u32, kh: u32,
    kw: u32, stride: u32, pad: u32, q_tiles: u32,
    phases: u32, r_chunk: u32, out_len: u32, _pad0: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;    // G's tensor: x, or dy (MODE 1)
@group(0) @binding(2) var<storage, read> plain: array<f32>;  // H's tensor: w, or dy (MODE 2)
@group(0) @binding(3) var<storage, read> bias: array<f32>;   // read only when HAS_BIAS
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

// Sizes of one GEMM (one phase of the input gradient) and where G reads.
struct Geo {
    p_count: u32,
    q_count: u32,
    r_count: u32,
    src_h: i32,
    src_w: i32,
    // input gradient only: this phase's output offset, tap offset, tap counts and oh shift
    ph: u32, pw: u32,
    hp: u32, wp: u32,
    kh0: u32, kw0: u32,
    khp: u32, kwp: u32,
    dh: i32, dw: i32,
    // Reduction step r = (u, a, b), b fastest, a < r_a, b < r_b; what it adds to a G address
    // is (u*base_u, a*ih_a, b*iw_b) and its offset in H is u*hu + a*ha + b*hb + h0 (see step_at).
    r_a: u32, r_b: u32,
    base_u: i32, ih_a: i32, iw_b: i32,
    hu: u32, ha: u32, hb: u32, h0: u32,
}

fn ceil_div(a: u32, b: u32) -> u32 {
    return (a + b - 1u) / b;
}

// Number of i >= 0 with first + S*i < n.
fn count_from(first: u32, n: u32, s: u32) -> u32 {
    return select(0u, ceil_div(n - first, s), first < n);
}

fn geometry(phase: u32) -> Geo {
    var g: Geo;
    let khw = prm.kh * prm.kw;
    g.src_h = i32(prm.h);
    g.src_w = i32(prm.w);
    switch MODE {
        case 0u: {
            g.p_count = prm.n * prm.oh * prm.ow;
            g.q_count = prm.o;
            g.r_count = prm.c * khw;
            // r = (c, kh, kw)
            g.r_a = prm.kh;
            g.r_b = prm.kw;
            g.base_u = i32(prm.h * prm.w);
            g.ih_a = 1;
            g.iw_b = 1;
            g.hu = khw;
            g.ha = prm.kw;
            g.hb = 1u;
        }
        case 1u: {
            let s = prm.stride;
            g.ph = phase / s;
            g.pw = phase % s;
            g.hp = count_from(g.ph, prm.h, s);
            g.wp = count_from(g.pw, prm.w, s);
            g.kh0 = (g.ph + prm.pad) % s;
            g.kw0 = (g.pw + prm.pad) % s;
            g.khp = count_from(g.kh0, prm.kh, s);
            g.kwp = count_from(g.kw0, prm.kw, s);
            g.dh = i32((g.ph + prm.pad) / s);
            g.dw = i32((g.pw + prm.pad) / s);
            g.p_count = prm.n * g.hp * g.wp;
            g.q_count = prm.c;
            g.r_count = prm.o * g.khp * g.kwp;
            g.src_h = i32(prm.oh);
            g.src_w = i32(prm.ow);
            // r = (o, a, b): taps kh = kh0 + S*a, kw = kw0 + S*b, read at oh = dh + i - a
            g.r_a = g.khp;
            g.r_b = g.kwp;
            g.base_u = i32(prm.oh * prm.ow);
            g.ih_a = -1;
            g.iw_b = -1;
            g.hu = prm.c * khw;
            g.ha = s * prm.kw;
            g.hb = s;
            g.h0 = g.kh0 * prm.kw + g.kw0;
        }
        default: {
            g.p_count = prm.c * khw;
            g.q_count = prm.o;
            g.r_count = prm.n * prm.oh * prm.ow;
            // r = (n, oh, ow)
            g.r_a = prm.oh;
            g.r_b = prm.ow;
            g.base_u = i32(prm.c * prm.h * prm.w);
            g.ih_a = i32(prm.stride);
            g.iw_b = i32(prm.stride);
            g.hu = prm.o * prm.oh * prm.ow;
            g.ha = prm.ow;
            g.hb = 1u;
        }
    }
    return g;
}

// What row p contributes to a G address: a base offset and a spatial position.
struct Row {
    base: i32,
    ih: i32,
    iw: i32,
}

fn row_of(g: Geo, p: u32) -> Row {
    let s = i32(prm.stride);
    let pad = i32(prm.pad);
    switch MODE {
        case 0u: {
            let ohw = prm.oh * prm.ow;
            let n = p / ohw;
            let pix = p % ohw;
            return Row(i32(n * prm.c * prm.h * prm.w), i32(pix / prm.ow) * s - pad, i32(pix % prm.ow) * s - pad);
        }
        case 1u: {
            let n = p / (g.hp * g.wp);
            let rem = p % (g.hp * g.wp);
            return Row(i32(n * prm.o * prm.oh * prm.ow), g.dh + i32(rem / g.wp), g.dw + i32(rem % g.wp));
        }
        default: {
            let khw = prm.kh * prm.kw;
            let c = p / khw;
            let tap = p % khw;
            return Row(i32(c * prm.h * prm.w), i32(tap / prm.kw) - pad, i32(tap % prm.kw) - pad);
        }
    }
}

// What reduction step r contributes: to the G address (base, spatial shift) and the offset
// of H within row q.
struct Step {
    base: i32,
    ih: i32,
    iw: i32,
    h_off: u32,
}

// Reduction steps are walked with a counter (u, a, b) rather than decoded from r: integer
// division is slow on CPU adapters and the loop body is otherwise division-free.
fn cursor_at(g: Geo, r: u32) -> vec3<u32> {
    let ab = g.r_a * g.r_b;
    return vec3(r / ab, (r % ab) / g.r_b, r % g.r_b);
}

fn advance(g: Geo, cur: vec3<u32>) -> vec3<u32> {
    var c = cur;
    c.z += 1u;
    if (c.z == g.r_b) {
        c.z = 0u;
        c.y += 1u;
        if (c.y == g.r_a) {
            c.y = 0u;
            c.x += 1u;
        }
    }
    return c;
}

fn step_at(g: Geo, cur: vec3<u32>) -> Step {
    return Step(
        i32(cur.x) * g.base_u,
        i32(cur.y) * g.ih_a,
        i32(cur.z) * g.iw_b,
        cur.x * g.hu + cur.y * g.ha + cur.z * g.hb + g.h0,
    );
}

// G(p, r), zero in the padding.
fn gather(g: Geo, row: Row, st: Step) -> f32 {
    let ih = row.ih + st.ih;
    let iw = row.iw + st.iw;
    let inside = ih >= 0 && ih < g.src_h && iw >= 0 && iw < g.src_w;
    let idx = select(0, row.base + st.base + ih * g.src_w + iw, inside);
    return select(0.0, src[idx], inside);
}

// Start of row q of H.
fn q_base(q: u32) -> u32 {
    switch MODE {
        case 0u: { return q * prm.c * prm.kh * prm.kw; }
        case 1u: { return q * prm.kh * prm.kw; }
        default: { return q * prm.oh * prm.ow; }
    }
}

// Writes out[p, q] (+ bias[q]), or split `split`'s partial sum of it.
fn store(g: Geo, p: u32, q: u32, split: u32, v: f32) {
    if (q >= g.q_count) {
        return;
    }
    var idx: u32;
    switch MODE {
        case 0u: {
            let ohw = prm.oh * prm.ow;
            idx = ((p / ohw) * prm.o + q) * ohw + p % ohw;
        }
        case 1u: {
            let n = p / (g.hp * g.wp);
            let rem = p % (g.hp * g.wp);
            let ih = g.ph + prm.stride * (rem / g.wp);
            let iw = g.pw + prm.stride * (rem % g.wp);
            idx = ((n * prm.c + q) * prm.h + ih) * prm.w + iw;
        }
        default: {
            idx = q * g.p_count + p;
        }
    }
    var r = v;
    if (HAS_BIAS) {
        r += bias[q];
    }
    dst[split * prm.out_len + idx] = r;
}

// The reduction range of split z.
fn r_range(g: Geo, split: u32) -> vec2<u32> {
    let begin = min(split * prm.r_chunk, g.r_count);
    return vec2(begin, min(begin + prm.r_chunk, g.r_count));
}

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

// Row p of the tile, clamped to the last row (loaded and computed, never stored).
fn clamped_row(g: Geo, p: u32) -> Row {
    return row_of(g, min(p, g.p_count - 1u));
}

fn clamped_q_base(g: Geo, q: u32) -> u32 {
    return q_base(min(q, g.q_count - 1u));
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

// ---- out[i] = sum over splits s, in split order, of partials[s, i] (+ bias) ----
struct SumParams {
    len: u32,
    splits: u32,
    bias_div: u32, // out[i] belongs to channel (i / bias_div) % bias_mod
    bias_mod: u32,
}

@group(0) @binding(0) var<uniform> sp: SumParams;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> sum_bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> summed: array<f32>;

@compute @workgroup_size(256)
fn sum_splits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= sp.len) {
        return;
    }
    var s = 0.0;
    for (var k = 0u; k < sp.splits; k++) {
        s += partials[k * sp.len + i];
    }
    if (HAS_BIAS) {
        s += sum_bias[(i / sp.bias_div) % sp.bias_mod];
    }
    summed[i] = s;
}

// ---- conv_texel: forward and weight gradient with gemm_texel's tiling (shaders/gemm.wgsl) ----
//
// On CPU adapters (lavapipe) a storage load is a bounds-checked loop over the lanes for every
// float, while a texel fetch gathers four floats per lane at once. This variant reads both
// GEMM operands from staged rgba32float textures (crates/tensor/src/texels.rs) whose texels
// are four consecutive reduction terms. That needs the channels innermost, so small layout
// kernels (below) first write
//   x_pad   [N, H+2·PAD, W+2·PAD, C]  x in NHWC with its zero padding written out: no tap
//                                      needs a bounds test;
//   w_khwc  [O, KH, KW, C]            (forward);
//   dy_rows [O, KP]                   dy with k = (n, oh, ow) contiguous per row, zero from
//                                      K = N·OH·OW up to KP, the next multiple of 4
//                                      (weight gradient);
// and every quad of channels is one texel: C % 4 == 0.
//
// The input gradient runs MODE 0 once per stride phase: within a phase it is a stride-1
// convolution of dy (laid out as x_pad is, with the padding its reads need) by the phase's
// taps reversed (w laid out per phase as [C, KHP, KWP, O] by weight_phase); off_h/off_w
// place the first read, b_base the phase's weights, out_* the phase's outputs in dx.
//
//   MODE 0, forward:      rows p = (n, oh, ow), columns o, r = (kh, kw, c)
//                         A = x_pad texel at pixel (oh·S + kh, ow·S + kw), B = w_khwc texel
//   MODE 2, weight grad:  rows o, columns j = (kh, kw, c), r = (n, oh, ow)
//                         A = dy_rows texel, B = the x_pad texels of four consecutive k
//
// A workgroup of SG_WG invocations computes TX_ROWS rows x TX_COLS·SG_WG columns; invocation
// `lid` owns TX_COLS columns of all rows. Per step of four reduction terms, lane l (0..7) of
// each subgroup fetches the A texel of rows 8g + l (g = 0..TX_ROWS/8) and broadcasts share them; each
// invocation fetches its own B texels. Broadcasts name lanes 0..7 only, so any subgroup size
// of at least 8 works; lanes are never assumed to match local_invocation_index. Rows and
// columns past the matrix read the last row or column: computed, never stored. Every output
// is one serial sum in a fixed order; the weight gradient's long reductions are split in
// pieces of r_chunk terms (a multiple of 4) summed by `sum_splits`.

struct TexelParams {
    n: u32, c: u32, h: u32, w: u32,
    o: u32, oh: u32, ow: u32, kh: u32,
    kw: u32, stride: u32, pad: u32, hp: u32,
    wp: u32, rows: u32, cols: u32, steps: u32, // steps: texels per row (MODE 0), K (MODE 2)
    kp: u32, r_chunk: u32, len: u32, has_bias: u32, // len: output size, or texels to lay out
    // MODE 0 only: where the A pixels start (x_pad pixel (oh·S + off_h, ow·S + off_w)), where
    // B's rows start, and out[p, q] at out_0 + n·out_n + q·out_q + oh·out_i + ow·out_j.
    off_h: u32, off_w: u32, b_base: u32, out_0: u32,
    out_n: u32, out_q: u32, out_i: u32, out_j: u32,
    // weight_phase only: the phase's first taps and tap counts
    kh0: u32, kw0: u32, khp: u32, kwp: u32,
    // x_padded_nhwc and weight_khwc: channels of the source (c ≥ c_src rounds it up to whole
    // quads; channels c_src .. c are laid out as zeros).
    c_src: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> tp: TexelParams;
@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;

override SG_WG: u32 = 8u;
override TEXELS_PER_ROW: u32 = 1024u;
// The workgroup's tile: TX_ROWS rows (64 or 128) by SG_WG·TX_COLS columns (TX_COLS 8, or 4
// for GEMMs of at most 32 columns, which would leave half of an 8-column tile idle). A
// taller tile feeds each fetched B texel to more multiply-adds.
override TX_ROWS: u32 = 64u;
override TX_COLS: u32 = 8u;

fn a_texel(t: u32) -> vec4<f32> {
    return textureLoad(a_tex, vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW));
}

fn b_texel(t: u32) -> vec4<f32> {
    return textureLoad(b_tex, vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW));
}

// The x_pad texel of channels 0..3 at the top-left tap of output pixel (oy, ox) of image n.
fn tx_pixel(p: vec3<u32>) -> u32 {
    return ((p.x * tp.hp + p.y * tp.stride + tp.off_h) * tp.wp + p.z * tp.stride + tp.off_w) * (tp.c / 4u);
}

// (n, oh, ow) of flat output pixel i.
fn tx_decode(i: u32) -> vec3<u32> {
    let ohw = tp.oh * tp.ow;
    let pix = i % ohw;
    return vec3(i / ohw, pix / tp.ow, pix % tp.ow);
}

// The next output pixel in (n, oh, ow) order, without a division.
fn tx_next(p: vec3<u32>) -> vec3<u32> {
    let wrap_x = p.z + 1u == tp.ow;
    let y = p.y + select(0u, 1u, wrap_x);
    let wrap_y = y == tp.oh;
    return vec3(p.x + select(0u, 1u, wrap_y), select(y, 0u, wrap_y), select(p.z + 1u, 0u, wrap_x));
}

// A₄ · B₄ for the rows held by lanes 0..3 (lo) and 4..7 (hi), each lane's v being its row's
// four reduction terms; b0, b1 hold this invocation's columns 0-3 and 4-7 (column c of B₄ is
// that column's four terms). As gemm.wgsl's rank4.
fn tx_rank4(acc: ptr<function, array<mat4x4<f32>, 4>>, v: vec4<f32>, b0: mat4x4<f32>, b1: mat4x4<f32>) {
    let lo = transpose(mat4x4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u),
                                   subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u)));
    let hi = transpose(mat4x4<f32>(subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u),
                                   subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u)));
    (*acc)[0] += lo * b0;
    (*acc)[2] += hi * b0;
    if (TX_COLS == 8u) {
        (*acc)[1] += lo * b1;
        (*acc)[3] += hi * b1;
    }
}

// Where row `row` of the GEMM output starts in dst (NCHW y, or dw [O, C, KH, KW])...
fn tx_row_at(row: u32) -> u32 {
    if (MODE == 0u) {
        let p = tx_decode(row);
        return tp.out_0 + p.x * tp.out_n + p.y * tp.out_i + p.z * tp.out_j;
    }
    return row * tp.c * tp.kh * tp.kw;
}

// ... and how far from there column `col` sits.
fn tx_col_at(col: u32) -> u32 {
    if (MODE == 0u) {
        return col * tp.out_q;
    }
    return (col % tp.c) * tp.kh * tp.kw + col / tp.c;
}

// Row `row` of this invocation's eight columns j0 .. j0+7, which sit at `at` plus c_lo / c_hi.
fn tx_store_row8(row: u32, at: u32, j0: u32, c_lo: vec4<u32>, c_hi: vec4<u32>, lo: vec4<f32>,
                 hi: vec4<f32>) {
    if (row < tp.rows) {
        if (j0 < tp.cols) { dst[at + c_lo.x] = lo.x; }
        if (j0 + 1u < tp.cols) { dst[at + c_lo.y] = lo.y; }
        if (j0 + 2u < tp.cols) { dst[at + c_lo.z] = lo.z; }
        if (j0 + 3u < tp.cols) { dst[at + c_lo.w] = lo.w; }
        if (TX_COLS == 8u) {
            if (j0 + 4u < tp.cols) { dst[at + c_hi.x] = hi.x; }
            if (j0 + 5u < tp.cols) { dst[at + c_hi.y] = hi.y; }
            if (j0 + 6u < tp.cols) { dst[at + c_hi.z] = hi.z; }
            if (j0 + 7u < tp.cols) { dst[at + c_hi.w] = hi.w; }
        }
    }
}

// Stores rows i0 .. i0+7 of this invocation's 8 columns (offsets c_lo / c_hi from the row
// start, bias b_lo / b_hi). acc[0] holds rows 0-3 x columns 0-3 as acc[0][column][row], so
// its transpose's row r is row i0 + r. Every index is a constant: an accumulator indexed by
// a loop variable is copied to scratch memory and gathered lane by lane, which on lavapipe
// cost as much as a few hundred reduction steps.
fn tx_store_rows(acc: array<mat4x4<f32>, 4>, i0: u32, j0: u32, c_lo: vec4<u32>, c_hi: vec4<u32>,
                 b_lo: vec4<f32>, b_hi: vec4<f32>, split: u32) {
    let base = split * tp.len;
    let t0 = transpose(acc[0]);
    let t1 = transpose(acc[1]);
    let t2 = transpose(acc[2]);
    let t3 = transpose(acc[3]);
    tx_store_row8(i0, base + tx_row_at(i0), j0, c_lo, c_hi, t0[0] + b_lo, t1[0] + b_hi);
    tx_store_row8(i0 + 1u, base + tx_row_at(i0 + 1u), j0, c_lo, c_hi, t0[1] + b_lo, t1[1] + b_hi);
    tx_store_row8(i0 + 2u, base + tx_row_at(i0 + 2u), j0, c_lo, c_hi, t0[2] + b_lo, t1[2] + b_hi);
    tx_store_row8(i0 + 3u, base + tx_row_at(i0 + 3u), j0, c_lo, c_hi, t0[3] + b_lo, t1[3] + b_hi);
    tx_store_row8(i0 + 4u, base + tx_row_at(i0 + 4u), j0, c_lo, c_hi, t2[0] + b_lo, t3[0] + b_hi);
    tx_store_row8(i0 + 5u, base + tx_row_at(i0 + 5u), j0, c_lo, c_hi, t2[1] + b_lo, t3[1] + b_hi);
    tx_store_row8(i0 + 6u, base + tx_row_at(i0 + 6u), j0, c_lo, c_hi, t2[2] + b_lo, t3[2] + b_hi);
    tx_store_row8(i0 + 7u, base + tx_row_at(i0 + 7u), j0, c_lo, c_hi, t2[3] + b_lo, t3[3] + b_hi);
}

// Where columns j .. j+3 sit from a row's start (columns past the last repeat it: never
// stored), and their bias (MODE 0 only; zero without one).
fn tx_cols4(j: u32) -> vec4<u32> {
    let last = tp.cols - 1u;
    return vec4(tx_col_at(min(j, last)), tx_col_at(min(j + 1u, last)),
                tx_col_at(min(j + 2u, last)), tx_col_at(min(j + 3u, last)));
}

fn tx_bias4(j: u32) -> vec4<f32> {
    if (MODE != 0u || tp.has_bias == 0u) {
        return vec4(0.0);
    }
    let last = tp.cols - 1u;
    return vec4(bias[min(j, last)], bias[min(j + 1u, last)], bias[min(j + 2u, last)],
                bias[min(j + 3u, last)]);
}

@compute @workgroup_size(SG_WG)
fn conv_texel(@builtin(local_invocation_index) lid: u32,
              @builtin(subgroup_invocation_id) lane: u32,
              @builtin(workgroup_id) wg: vec3<u32>) {
    let row0 = wg.y * TX_ROWS;
    let j0 = (wg.x * SG_WG + lid) * TX_COLS;
    let split = wg.z;
    let l = lane % 8u;
    let c4 = tp.c / 4u;
    let last_row = tp.rows - 1u;
    let last_col = tp.cols - 1u;
    // One accumulator set per group of eight rows, spelled out so each stays a plain value
    // (acc8 .. acc15 only in the 128-row tile; the compiler drops what a tile leaves unused).
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
    if (MODE == 0u) {
        // A: the texel of this lane's pixel in each row group; a step adds the tap's offset.
        let a0 = tx_pixel(tx_decode(min(row0 + l, last_row)));
        let a1 = tx_pixel(tx_decode(min(row0 + 8u + l, last_row)));
        let a2 = tx_pixel(tx_decode(min(row0 + 16u + l, last_row)));
        let a3 = tx_pixel(tx_decode(min(row0 + 24u + l, last_row)));
        let a4 = tx_pixel(tx_decode(min(row0 + 32u + l, last_row)));
        let a5 = tx_pixel(tx_decode(min(row0 + 40u + l, last_row)));
        let a6 = tx_pixel(tx_decode(min(row0 + 48u + l, last_row)));
        let a7 = tx_pixel(tx_decode(min(row0 + 56u + l, last_row)));
        let a8 = tx_pixel(tx_decode(min(row0 + 64u + l, last_row)));
        let a9 = tx_pixel(tx_decode(min(row0 + 72u + l, last_row)));
        let a10 = tx_pixel(tx_decode(min(row0 + 80u + l, last_row)));
        let a11 = tx_pixel(tx_decode(min(row0 + 88u + l, last_row)));
        let a12 = tx_pixel(tx_decode(min(row0 + 96u + l, last_row)));
        let a13 = tx_pixel(tx_decode(min(row0 + 104u + l, last_row)));
        let a14 = tx_pixel(tx_decode(min(row0 + 112u + l, last_row)));
        let a15 = tx_pixel(tx_decode(min(row0 + 120u + l, last_row)));
        // B: row o of w_khwc, for this invocation's output channels.
        let b_lo = min(vec4(j0) + vec4(0u, 1u, 2u, 3u), vec4(last_col)) * tp.steps + tp.b_base;
        let b_hi = min(vec4(j0) + vec4(4u, 5u, 6u, 7u), vec4(last_col)) * tp.steps + tp.b_base;
        // For one kernel row kh the taps (kw, c) are KW·C/4 consecutive texels in both x_pad
        // and w_khwc.
        let run = tp.kw * c4;
        for (var kh = 0u; kh < tp.kh; kh++) {
            let a_kh = kh * tp.wp * c4;
            let b_kh = kh * run;
            for (var t = 0u; t < run; t++) {
                let bt = b_kh + t;
                let b0 = mat4x4<f32>(b_texel(b_lo.x + bt), b_texel(b_lo.y + bt),
                                     b_texel(b_lo.z + bt), b_texel(b_lo.w + bt));
                var b1: mat4x4<f32>;
                if (TX_COLS == 8u) {
                    b1 = mat4x4<f32>(b_texel(b_hi.x + bt), b_texel(b_hi.y + bt),
                                     b_texel(b_hi.z + bt), b_texel(b_hi.w + bt));
                }
                let at = a_kh + t;
                tx_rank4(&acc0, a_texel(a0 + at), b0, b1);
                tx_rank4(&acc1, a_texel(a1 + at), b0, b1);
                tx_rank4(&acc2, a_texel(a2 + at), b0, b1);
                tx_rank4(&acc3, a_texel(a3 + at), b0, b1);
                tx_rank4(&acc4, a_texel(a4 + at), b0, b1);
                tx_rank4(&acc5, a_texel(a5 + at), b0, b1);
                tx_rank4(&acc6, a_texel(a6 + at), b0, b1);
                tx_rank4(&acc7, a_texel(a7 + at), b0, b1);
                if (TX_ROWS == 128u) {
                    tx_rank4(&acc8, a_texel(a8 + at), b0, b1);
                    tx_rank4(&acc9, a_texel(a9 + at), b0, b1);
                    tx_rank4(&acc10, a_texel(a10 + at), b0, b1);
                    tx_rank4(&acc11, a_texel(a11 + at), b0, b1);
                    tx_rank4(&acc12, a_texel(a12 + at), b0, b1);
                    tx_rank4(&acc13, a_texel(a13 + at), b0, b1);
                    tx_rank4(&acc14, a_texel(a14 + at), b0, b1);
                    tx_rank4(&acc15, a_texel(a15 + at), b0, b1);
                }
            }
        }
    } else {
        let begin = min(split * tp.r_chunk, tp.steps);
        let end = min(begin + tp.r_chunk, tp.steps);
        // A: row o of dy_rows, four k per texel.
        let row_texels = tp.kp / 4u;
        let a0 = min(row0 + l, last_row) * row_texels;
        let a1 = min(row0 + 8u + l, last_row) * row_texels;
        let a2 = min(row0 + 16u + l, last_row) * row_texels;
        let a3 = min(row0 + 24u + l, last_row) * row_texels;
        let a4 = min(row0 + 32u + l, last_row) * row_texels;
        let a5 = min(row0 + 40u + l, last_row) * row_texels;
        let a6 = min(row0 + 48u + l, last_row) * row_texels;
        let a7 = min(row0 + 56u + l, last_row) * row_texels;
        let a8 = min(row0 + 64u + l, last_row) * row_texels;
        let a9 = min(row0 + 72u + l, last_row) * row_texels;
        let a10 = min(row0 + 80u + l, last_row) * row_texels;
        let a11 = min(row0 + 88u + l, last_row) * row_texels;
        let a12 = min(row0 + 96u + l, last_row) * row_texels;
        let a13 = min(row0 + 104u + l, last_row) * row_texels;
        let a14 = min(row0 + 112u + l, last_row) * row_texels;
        let a15 = min(row0 + 120u + l, last_row) * row_texels;
        // B: this invocation's columns are one or two channel quads; each is a fixed offset
        // from the x_pad texel of the tap (0, 0) of pixel k.
        let q_last = last_col / 4u;
        let q0 = min(j0 / 4u, q_last);
        let q1 = min(j0 / 4u + 1u, q_last);
        let tap0 = q0 / c4;
        let tap1 = q1 / c4;
        let off0 = ((tap0 / tp.kw) * tp.wp + tap0 % tp.kw) * c4 + q0 % c4;
        let off1 = ((tap1 / tp.kw) * tp.wp + tap1 % tp.kw) * c4 + q1 % c4;
        var pix = tx_decode(begin);
        for (var k = begin; k < end; k += 4u) {
            // Pixels k .. k+3; those at or past K (n = N) read zero.
            let p0 = pix;
            let p1 = tx_next(p0);
            let p2 = tx_next(p1);
            let p3 = tx_next(p2);
            pix = tx_next(p3);
            let x0 = select(0u, tx_pixel(p0), p0.x < tp.n);
            let x1 = select(0u, tx_pixel(p1), p1.x < tp.n);
            let x2 = select(0u, tx_pixel(p2), p2.x < tp.n);
            let x3 = select(0u, tx_pixel(p3), p3.x < tp.n);
            let zero = vec4(0.0);
            let b0 = transpose(mat4x4<f32>(
                b_texel(x0 + off0), select(zero, b_texel(x1 + off0), p1.x < tp.n),
                select(zero, b_texel(x2 + off0), p2.x < tp.n), select(zero, b_texel(x3 + off0), p3.x < tp.n)));
            var b1: mat4x4<f32>;
            if (TX_COLS == 8u) {
                b1 = transpose(mat4x4<f32>(
                    b_texel(x0 + off1), select(zero, b_texel(x1 + off1), p1.x < tp.n),
                    select(zero, b_texel(x2 + off1), p2.x < tp.n), select(zero, b_texel(x3 + off1), p3.x < tp.n)));
            }
            let at = k / 4u;
            tx_rank4(&acc0, a_texel(a0 + at), b0, b1);
            tx_rank4(&acc1, a_texel(a1 + at), b0, b1);
            tx_rank4(&acc2, a_texel(a2 + at), b0, b1);
            tx_rank4(&acc3, a_texel(a3 + at), b0, b1);
            tx_rank4(&acc4, a_texel(a4 + at), b0, b1);
            tx_rank4(&acc5, a_texel(a5 + at), b0, b1);
            tx_rank4(&acc6, a_texel(a6 + at), b0, b1);
            tx_rank4(&acc7, a_texel(a7 + at), b0, b1);
            if (TX_ROWS == 128u) {
                tx_rank4(&acc8, a_texel(a8 + at), b0, b1);
                tx_rank4(&acc9, a_texel(a9 + at), b0, b1);
                tx_rank4(&acc10, a_texel(a10 + at), b0, b1);
                tx_rank4(&acc11, a_texel(a11 + at), b0, b1);
                tx_rank4(&acc12, a_texel(a12 + at), b0, b1);
                tx_rank4(&acc13, a_texel(a13 + at), b0, b1);
                tx_rank4(&acc14, a_texel(a14 + at), b0, b1);
                tx_rank4(&acc15, a_texel(a15 + at), b0, b1);
            }
        }
    }
    let c_lo = tx_cols4(j0);
    let c_hi = tx_cols4(j0 + 4u);
    let b_lo = tx_bias4(j0);
    let b_hi = tx_bias4(j0 + 4u);
    tx_store_rows(acc0, row0, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc1, row0 + 8u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc2, row0 + 16u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc3, row0 + 24u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc4, row0 + 32u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc5, row0 + 40u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc6, row0 + 48u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc7, row0 + 56u, j0, c_lo, c_hi, b_lo, b_hi, split);
    if (TX_ROWS == 128u) {
        tx_store_rows(acc8, row0 + 64u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc9, row0 + 72u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc10, row0 + 80u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc11, row0 + 88u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc12, row0 + 96u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc13, row0 + 104u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc14, row0 + 112u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc15, row0 + 120u, j0, c_lo, c_hi, b_lo, b_hi, split);
    }
}

// ---- conv_texel_narrow: MODE 0 with at most 4 columns ----
//
// The input gradient into one channel (the first layers' C = 1) has a single column, of
// which conv_texel's 64-column tile would keep one. Here each invocation owns 8 consecutive
// rows and all (at most 4) columns: per step of four terms it fetches its rows' A texels and
// the columns' B texels (the same for every invocation; columns past the last read the last
// one), and needs no broadcasts. Each output is still one serial sum in a fixed order.

fn narrow_store(row: u32, v: vec4<f32>) {
    if (row >= tp.rows) {
        return;
    }
    let at = tx_row_at(row);
    let c = tx_cols4(0u);
    let r = v + tx_bias4(0u);
    dst[at + c.x] = r.x;
    if (tp.cols > 1u) { dst[at + c.y] = r.y; }
    if (tp.cols > 2u) { dst[at + c.z] = r.z; }
    if (tp.cols > 3u) { dst[at + c.w] = r.w; }
}

@compute @workgroup_size(64)
fn conv_texel_narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row0 = tx_index(gid, nwg) * 8u;
    if (row0 >= tp.rows) {
        return;
    }
    let c4 = tp.c / 4u;
    let last_row = tp.rows - 1u;
    let a0 = tx_pixel(tx_decode(row0));
    let a1 = tx_pixel(tx_decode(min(row0 + 1u, last_row)));
    let a2 = tx_pixel(tx_decode(min(row0 + 2u, last_row)));
    let a3 = tx_pixel(tx_decode(min(row0 + 3u, last_row)));
    let a4 = tx_pixel(tx_decode(min(row0 + 4u, last_row)));
    let a5 = tx_pixel(tx_decode(min(row0 + 5u, last_row)));
    let a6 = tx_pixel(tx_decode(min(row0 + 6u, last_row)));
    let a7 = tx_pixel(tx_decode(min(row0 + 7u, last_row)));
    let bq = min(vec4(0u, 1u, 2u, 3u), vec4(tp.cols - 1u)) * tp.steps + tp.b_base;
    var acc0: vec4<f32>;
    var acc1: vec4<f32>;
    var acc2: vec4<f32>;
    var acc3: vec4<f32>;
    var acc4: vec4<f32>;
    var acc5: vec4<f32>;
    var acc6: vec4<f32>;
    var acc7: vec4<f32>;
    let run = tp.kw * c4;
    for (var kh = 0u; kh < tp.kh; kh++) {
        let a_kh = kh * tp.wp * c4;
        let b_kh = kh * run;
        for (var t = 0u; t < run; t++) {
            let bt = b_kh + t;
            // Column c of b is column c's four terms, so v * b sums a row's terms per column.
            let b = mat4x4<f32>(b_texel(bq.x + bt), b_texel(bq.y + bt), b_texel(bq.z + bt), b_texel(bq.w + bt));
            let at = a_kh + t;
            acc0 += a_texel(a0 + at) * b;
            acc1 += a_texel(a1 + at) * b;
            acc2 += a_texel(a2 + at) * b;
            acc3 += a_texel(a3 + at) * b;
            acc4 += a_texel(a4 + at) * b;
            acc5 += a_texel(a5 + at) * b;
            acc6 += a_texel(a6 + at) * b;
            acc7 += a_texel(a7 + at) * b;
        }
    }
    narrow_store(row0, acc0);
    narrow_store(row0 + 1u, acc1);
    narrow_store(row0 + 2u, acc2);
    narrow_store(row0 + 3u, acc3);
    narrow_store(row0 + 4u, acc4);
    narrow_store(row0 + 5u, acc5);
    narrow_store(row0 + 6u, acc6);
    narrow_store(row0 + 7u, acc7);
}

// ---- layout kernels for conv_texel: write the staging textures it reads ----
//
// Each writes a texture_storage_2d in the staged-tensor layout (flat float f in texel f / 4,
// see texels.rs), so no buffer copy follows. Indices come from a few divisions per
// invocation, not per texel: integer division is slow on CPU adapters.

@group(0) @binding(2) var texels_out: texture_storage_2d<rgba32float, write>;

// The layout kernels read their source through src_at: from its buffer, or with TEXEL_READS
// from a staged copy (flat float f in texel f / 4), a fraction of the cost on lavapipe.
override TEXEL_READS: bool = false;
@group(0) @binding(3) var src_tex: texture_storage_2d<rgba32float, read>;

fn src_at(i: u32) -> f32 {
    if (TEXEL_READS) {
        let q = i / 4u;
        return textureLoad(src_tex, vec2(q % TEXELS_PER_ROW, q / TEXELS_PER_ROW))[i % 4u];
    }
    return src[i];
}

fn put_texel(t: u32, v: vec4<f32>) {
    textureStore(texels_out, vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW), v);
}

fn tx_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

// src_at for channel ch of a source with tp.c_src channels: zero (read nowhere) past them.
// Only sources whose channels are not whole quads need the check (FILL_CHANNELS).
override FILL_CHANNELS: bool = false;

fn src_channel(at: u32, ch: u32) -> f32 {
    if (!FILL_CHANNELS) {
        return src_at(at);
    }
    return select(0.0, src_at(select(0u, at, ch < tp.c_src)), ch < tp.c_src);
}

// x [N, C_src, H, W] -> x_pad [N, H+2·PAD, W+2·PAD, C], zero in the padding and in channels
// C_src .. C (C_src rounded up to whole quads, for the first convolution of an image): one
// invocation per pixel of x_pad, walking its channel quads.
@compute @workgroup_size(64)
fn x_padded_nhwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let px = tx_index(gid, nwg);
    if (px >= tp.len) {
        return;
    }
    let c4 = tp.c / 4u;
    let iw = i32(px % tp.wp) - i32(tp.pad);
    let ih = i32((px / tp.wp) % tp.hp) - i32(tp.pad);
    let n = px / (tp.wp * tp.hp);
    let inside = ih >= 0 && ih < i32(tp.h) && iw >= 0 && iw < i32(tp.w);
    // Padding pixels read x[0] (in bounds) and write zeros.
    let plane = select(0u, tp.h * tp.w, inside);
    var at = select(0u, n * tp.c_src * tp.h * tp.w + u32(ih) * tp.w + u32(iw), inside);
    for (var ch = 0u; ch < tp.c; ch += 4u) {
        let v = vec4(src_channel(at, ch), src_channel(at + plane, ch + 1u),
                     src_channel(at + 2u * plane, ch + 2u), src_channel(at + 3u * plane, ch + 3u));
        put_texel(px * c4 + ch / 4u, select(vec4(0.0), v, inside));
        at += 4u * plane;
    }
}

// w [O, C_src, KH, KW] -> w_khwc [O, KH, KW, C], channels past C_src zero: one invocation per
// (o, kh, kw).
@compute @workgroup_size(64)
fn weight_khwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = tx_index(gid, nwg);
    if (r >= tp.len) {
        return;
    }
    let c4 = tp.c / 4u;
    let khw = tp.kh * tp.kw;
    let at = (r / khw) * tp.c_src * khw + r % khw;
    for (var q = 0u; q < c4; q++) {
        let ch = 4u * q;
        put_texel(r * c4 + q, vec4(src_channel(at + ch * khw, ch), src_channel(at + (ch + 1u) * khw, ch + 1u),
                                   src_channel(at + (ch + 2u) * khw, ch + 2u), src_channel(at + (ch + 3u) * khw, ch + 3u)));
    }
}

// dy [N, O, OH, OW] -> dy_rows [O, KP]: element (o, k) is dy[n, o, oh, ow] for k = (n, oh, ow),
// zero for k >= N·OH·OW. One invocation per texel.
@compute @workgroup_size(64)
fn dy_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = tx_index(gid, nwg);
    if (t >= tp.len) {
        return;
    }
    let row_texels = tp.kp / 4u;
    let o = t / row_texels;
    let k = 4u * (t % row_texels);
    let ohw = tp.oh * tp.ow;
    let count = tp.n * ohw;
    // (n, pixel) of k .. k+3, the pixel wrapping into the next image.
    var n = k / ohw;
    var pix = k % ohw;
    var v: vec4<f32>;
    for (var i = 0u; i < 4u; i++) {
        let at = (n * tp.o + o) * ohw + pix;
        v[i] = select(0.0, src_at(select(0u, at, k + i < count)), k + i < count);
        pix += 1u;
        let wrap = pix == ohw;
        pix = select(pix, 0u, wrap);
        n += select(0u, 1u, wrap);
    }
    put_texel(t, v);
}

// w [O, C, KH, KW] -> the block of one input-gradient phase, [C, KHP, KWP, O] from texel
// b_base, taps reversed: (a, b) holds tap (kh0 + S·(KHP-1-a), kw0 + S·(KWP-1-b)). One
// invocation per (c, a, b).
@compute @workgroup_size(64)
fn weight_phase(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = tx_index(gid, nwg);
    if (r >= tp.len) {
        return;
    }
    let o4 = tp.o / 4u;
    let taps = tp.khp * tp.kwp;
    let t = r % taps;
    let kh = tp.kh0 + tp.stride * (tp.khp - 1u - t / tp.kwp);
    let kw = tp.kw0 + tp.stride * (tp.kwp - 1u - t % tp.kwp);
    let khw = tp.kh * tp.kw;
    let step = tp.c * khw;
    var at = (r / taps) * khw + kh * tp.kw + kw;
    for (var q = 0u; q < o4; q++) {
        put_texel(tp.b_base + r * o4 + q, vec4(src_at(at), src_at(at + step), src_at(at + 2u * step), src_at(at + 3u * step)));
        at += 4u * step;
    }
}
