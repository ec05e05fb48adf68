// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC 2011), in 32-bit integer
// arithmetic only, so every adapter produces the same bits.
//
// Element e of a tensor takes word e % 4 of the block philox(counter, key) with
//   counter = (e / 4, 0, offset_lo, offset_hi),  key = (seed_lo, seed_hi).
// One invocation computes one block and writes up to four elements. `offset` selects a
// stream: callers give each draw its own offset (e.g. the step number).
//
// OP: 0 uniform in [0, 1), 1 standard normal (Box-Muller), 2 Bernoulli(p) as 0.0 / 1.0.

override OP: u32 = 0u;
override WG: u32 = 256u;

struct Params {
    n: u32,
    seed_lo: u32,
    seed_hi: u32,
    offset_lo: u32,
    offset_hi: u32,
    p: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// (hi, lo) words of the 64-bit product a * b, from 16-bit halves (WGSL has no u64).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let al = a & 0xffffu;
    let ah = a >> 16u;
    let bl = b & 0xffffu;
    let bh = b >> 16u;
    let ll = al * bl;
    let lh = al * bh;
    let hl = ah * bl;
    let hh = ah * bh;
    // Carries out of the low 32 bits; each addend is below 2^16, so no overflow.
    let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, a * b);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let p0 = mulhilo(0xD2511F53u, c.x);
        let p1 = mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// The top 24 bits as a multiple of 2^-24: exact in f32 and strictly below 1.
fn to_unit(u: u32) -> f32 {
    return f32(u >> 8u) * 5.9604645e-8;
}

// ln(1 + x) for x > -1 with a few ulp of relative error everywhere. For |x| < 1/4 it uses
// ln(1 + x) = 2 atanh(w), w = x / (2 + x), |w| < 1/7, as an odd series (truncation below
// 1e-9 relative): forming 1 + x would round away the low bits of a small x, and log near 1
// is only accurate in absolute terms on GPUs.
fn log1p(x: f32) -> f32 {
    if (abs(x) < 0.25) {
        let w = x / (2.0 + x);
        let w2 = w * w;
        return 2.0 * w * (1.0 + w2 * (0.33333334 + w2 * (0.2 + w2 * (0.14285715 + w2 * 0.11111111))));
    }
    return log(1.0 + x);
}

@compute @workgroup_size(WG)
fn generate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let block = gid.x + gid.y * nwg.x * WG;
    let first = block * 4u;
    if (first >= prm.n) { return; }
    let bits = philox(vec4<u32>(block, 0u, prm.offset_lo, prm.offset_hi), vec2<u32>(prm.seed_lo, prm.seed_hi));
    var v: vec4<f32>;
    switch OP {
        case 1u: {
            // Box-Muller on the pairs (x, y) and (z, w). 1 - u lies in [2^-24, 1], so the
            // logarithm is finite; the angle spans [-pi, pi), where sin/cos are most accurate.
            let r0 = sqrt(2.0 * -log1p(-to_unit(bits.x)));
            let r1 = sqrt(2.0 * -log1p(-to_unit(bits.z)));
            let t0 = 6.2831855 * (to_unit(bits.y) - 0.5);
            let t1 = 6.2831855 * (to_unit(bits.w) - 0.5);
            v = vec4<f32>(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
        }
        case 2u: {
            let u = vec4<f32>(to_unit(bits.x), to_unit(bits.y), to_unit(bits.z), to_unit(bits.w));
            v = select(vec4<f32>(0.0), vec4<f32>(1.0), u < vec4<f32>(prm.p));
        }
        default: {
            v = vec4<f32>(to_unit(bits.x), to_unit(bits.y), to_unit(bits.z), to_unit(bits.w));
        }
    }
    for (var j = 0u; j < 4u; j++) {
        if (first + j < prm.n) {
            out[first + j] = v[j];
        }
    }
}
