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
// Shared by the three kernels that read their operands from storage buffers:
// - `conv_subgroup` (conv_subgroup.wgsl): an 8-lane subgroup holds a 64 x 64 tile; each lane
//   gathers 8 rows of G per step, the subgroup shares them with broadcasts, and each lane
//   multiplies them by its own 8 columns of H. On CPU adapters (lavapipe) a memory load costs
//   far more than arithmetic, and this loads each operand element once per tile.
// - `conv_workgroup_tiled` (conv_tiled.wgsl): what GPUs run; a 64 x 64 tile (by default) per
//   256-invocation workgroup, 4x4 outputs per invocation, both operands staged in
//   workgroup memory per step of 16 terms.
// - `conv_tiled` (conv_portable.wgsl): portable; an 8x8 workgroup, 4x4 outputs per
//   invocation, plain loads.
// The CPU adapters' fastest, conv_texel, reads the same GEMMs from textures (conv_texel.wgsl).

override MODE: u32 = 0u;
override HAS_BIAS: bool = false; // bias added by the GEMM (unsplit) or by `sum_splits`
                                 // (conv_sum_splits.wgsl)

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

// Row p of the tile, clamped to the last row (loaded and computed, never stored).
fn clamped_row(g: Geo, p: u32) -> Row {
    return row_of(g, min(p, g.p_count - 1u));
}

fn clamped_q_base(g: Geo, q: u32) -> u32 {
    return q_base(min(q, g.q_count - 1u));
}
