// Sums, and the per-channel bias add they are the gradient of.
//
// Every reduction here is "for each kept index k, sum the terms r = 0..R-1", with the
// element of term r of output k found by a two-level affine map (see `first_term`). One map
// covers sum_all, channel_sum ([N,C,...] summed over all but axis 1) and sum_axis.
//
// Two kernels, chosen by the host from the shape:
// - `reduce_serial`: one invocation per output, summing its R terms in order. Used when
//   there are many outputs (each invocation already has enough work) or R is tiny.
// - `reduce_tree`: one workgroup per (output, chunk). Each invocation sums a strided slice
//   of the chunk in order, then the workgroup adds the WG partial sums with a fixed
//   pairwise tree. With several chunks per output the host runs a second pass over the
//   chunk sums. No atomics: the order of every addition depends only on the shape.

override WG: u32 = 256u;  // invocations per workgroup; a power of two, at most MAX_WG
const MAX_WG: u32 = 256u;

struct Params {
    k_count: u32,   // outputs
    r_count: u32,   // terms per output
    chunks: u32,    // workgroups per output (reduce_tree)
    chunk_len: u32, // terms per chunk, ceil(r_count / chunks)
    k_div: u32,
    k_hi: u32,
    k_lo: u32,
    r_div: u32,
    r_hi: u32,
    r_lo: u32,
    step_q: u32,    // an invocation's stride in terms (1 or WG), as (stride / r_div, stride % r_div)
    step_m: u32,
    scale: f32,     // applied to the final sum (1/n for a mean)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Term r of an output as (q, m) = (r / r_div, r % r_div) and its flat input index.
// Invocations step through their terms by adding (step_q, step_m) and carrying once,
// because an integer division per term is slow where it cannot be vectorised (CPUs).
struct Term {
    q: u32,
    m: u32,
    index: u32,
}

fn first_term(k: u32, r: u32) -> Term {
    let q = r / p.r_div;
    let m = r % p.r_div;
    let base = (k / p.k_div) * p.k_hi + (k % p.k_div) * p.k_lo;
    return Term(q, m, base + q * p.r_hi + m * p.r_lo);
}

fn next_term(t: Term) -> Term {
    var q = t.q + p.step_q;
    var m = t.m + p.step_m;
    var index = t.index + p.step_q * p.r_hi + p.step_m * p.r_lo;
    if (m >= p.r_div) {
        q += 1u;
        m -= p.r_div;
        index += p.r_hi - p.r_div * p.r_lo;
    }
    return Term(q, m, index);
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn reduce_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = gid.x + gid.y * nwg.x * WG;
    if (k >= p.k_count) { return; }
    var acc = 0.0;
    var t = first_term(k, 0u);
    for (var r = 0u; r < p.r_count; r++) {
        acc += x[t.index];
        t = next_term(t);
    }
    out[k] = acc * p.scale;
}

var<workgroup> partial: array<f32, MAX_WG>;

@compute @workgroup_size(WG)
fn reduce_tree(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    // The grid may be folded into y; surplus workgroups of the last row leave together,
    // so every barrier below is still reached by the whole workgroup.
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.k_count * p.chunks) { return; }
    let k = g / p.chunks;
    let begin = (g % p.chunks) * p.chunk_len;
    let end = min(begin + p.chunk_len, p.r_count);
    var acc = 0.0;
    var t = first_term(k, begin + lane);
    for (var r = begin + lane; r < end; r += WG) {
        acc += x[t.index];
        t = next_term(t);
    }
    partial[lane] = acc;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half >>= 1u) {
        if (lane < half) {
            partial[lane] += partial[lane + half];
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        out[g] = partial[0] * p.scale;
    }
}

// ---- y = x + bias[channel], x viewed as [outer, channels, inner] ----
struct BiasParams {
    n: u32,
    channels: u32,
    inner: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> bp: BiasParams;
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> by: array<f32>;

@compute @workgroup_size(WG)
fn add_channel_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= bp.n) { return; }
    by[i] = bx[i] + bias[(i / bp.inner) % bp.channels];
}
