// What multiply-add rate can a compute shader reach at all on a CPU adapter, and what does a
// GEMM tile small enough to stay in registers reach? Entries for `gemm_probe`'s `xt:` mode
// (its texel bindings), each doing exactly 2·M·N·K flops on the grid given in its comment:
//
//   GEMM_PROBE_WGSL=crates/tensor/examples/probes/ceiling.wgsl cargo run --release \
//     -p dvaan-tensor --example gemm_probe -- --size 1024,1024,1024 --tb \
//     texel xt:madd_registers:8:128:8 xt:madd_spilled:8:64:8 xt:gemm_registers:8:8:8
//
// The two `madd_` entries compute no product (their "err" column is meaningless); they bound
// what any kernel's arithmetic can reach. `gemm_registers` is a real product of A by Bᵀ
// (`--tb`) whose error the probe checks.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// Set by the probe; unused here.
override WG: u32 = 8u;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override TEXELS_PER_ROW: u32 = 1024u;

// Every binding must be used, or the automatic layout drops it; never true at run time.
fn use_all_bindings() {
    if (p.m == 0xffffffffu) {
        c[0] = textureLoad(a_tex, vec2(0u)).x + textureLoad(b_tex, vec2(0u)).x + bias[0];
    }
}

// Sixteen independent multiply-add chains per invocation (four vec4), 128 per loop step:
// no memory access at all, so the compiler can keep everything in the CPU's 16 vector
// registers. Grid: one workgroup of 8 per 128 x 8 block of C.
@compute @workgroup_size(8)
fn madd_registers(@builtin(global_invocation_id) gid: vec3<u32>) {
    use_all_bindings();
    var a = vec4(f32(gid.x));
    var b = a * 0.5;
    var d = a * 0.25;
    var e = a * 0.125;
    for (var k = 0u; k < p.k; k++) {
        let y = vec4(f32(k) * 1e-9);
        // Written out: the adapter does not unroll loops.
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
        a = fma(a, y, y); b = fma(b, y, y); d = fma(d, y, y); e = fma(e, y, y);
    }
    c[gid.x + gid.y * p.n] = dot(a + b + d + e, vec4(1.0));
}

// Sixty-four accumulators per invocation (four mat4x4), each gaining one multiply-add per
// loop step: more than the registers hold, as in any GEMM tile that amortises its operand
// fetches, so they live in stack memory between steps. Grid: one workgroup of 8 per 64 x 8.
@compute @workgroup_size(8)
fn madd_spilled(@builtin(global_invocation_id) gid: vec3<u32>) {
    use_all_bindings();
    var a0 = mat4x4<f32>();
    var a1 = mat4x4<f32>();
    var a2 = mat4x4<f32>();
    var a3 = mat4x4<f32>();
    let c0 = mat4x4<f32>(vec4(1.0, 2.0, 3.0, 4.0), vec4(5.0, 6.0, 7.0, 8.0),
                         vec4(1.5, 2.5, 3.5, 4.5), vec4(0.5, 0.25, 0.125, 1.0)) * f32(gid.x);
    let c1 = c0 * 1.5;
    let c2 = c0 * 0.75;
    let c3 = c0 * 0.3;
    for (var k = 0u; k < p.k; k++) {
        let y = f32(k);
        a0 += c0 * y;
        a1 += c1 * y;
        a2 += c2 * y;
        a3 += c3 * y;
    }
    let s = a0 + a1 + a2 + a3;
    c[gid.x + gid.y * p.n] = dot(s[0] + s[1] + s[2] + s[3], vec4(1.0));
}

// C = A·Bᵀ with a tile that fits in registers: each invocation owns 8 rows x 1 column (8
// accumulators). Per step of four reduction terms: one A texel per lane (8 rows, shared
// by broadcasts) and one B texel (its column), for 32 multiply-adds. Needs M and N
// multiples of 8, K of 4.
// Grid: one workgroup of 8 per 8 x 8 block of C.
fn texel(t: texture_storage_2d<rgba32float, read>, i: u32) -> vec4<f32> {
    return textureLoad(t, vec2(i % TEXELS_PER_ROW, i / TEXELS_PER_ROW));
}

@compute @workgroup_size(8)
fn gemm_registers(@builtin(local_invocation_index) lid: u32,
                  @builtin(subgroup_invocation_id) lane: u32,
                  @builtin(workgroup_id) wg: vec3<u32>) {
    use_all_bindings();
    let row0 = wg.y * 8u;
    let j = wg.x * 8u + lid;
    let l = lane % 8u;
    var lo = vec4<f32>();
    var hi = vec4<f32>();
    for (var k0 = 0u; k0 < p.k; k0 += 4u) {
        let v = texel(a_tex, ((row0 + l) * p.k + k0) / 4u);
        let b = texel(b_tex, (j * p.k + k0) / 4u);
        let a_lo = transpose(mat4x4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u),
                                         subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u)));
        let a_hi = transpose(mat4x4<f32>(subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u),
                                         subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u)));
        lo += a_lo * b;
        hi += a_hi * b;
    }
    let col = row0 * p.n + j;
    c[col] = lo.x;
    c[col + p.n] = lo.y;
    c[col + 2u * p.n] = lo.z;
    c[col + 3u * p.n] = lo.w;
    c[col + 4u * p.n] = hi.x;
    c[col + 5u * p.n] = hi.y;
    c[col + 6u * p.n] = hi.z;
    c[col + 7u * p.n] = hi.w;
}
