// Element-wise maps. One entry per arity; the operation is an override constant, so each
// (entry, OP) pair compiles to its own branch-free pipeline.
//
// Unary OP:  0 relu, 1 leaky relu (slope = p.alpha), 2 sigmoid, 3 tanh, 4 scale (y = alpha*x),
// Activation backward takes the forward OUTPUT y (enough for all four activations):
//            0 relu, 1 leaky relu, 2 sigmoid, 3 tanh
// Binary OP: 0 a + b, 1 a - b, 2 a * b, 3 alpha*a + beta*b
//
// Each map has a `_texel` twin for CPU adapters: four elements per invocation, inputs read
// from staged rgba32float textures (crates/tensor/src/texels.rs, flat float f in texel f / 4)
// and the result stored as one vec4. On lavapipe a storage-buffer load costs ≈ 20 cycles per
// float and lane, a texel fetch a small fraction of that per float.

override OP: u32 = 0u;
override WG: u32 = 256u;

struct Params {
    n: u32,
    alpha: f32,
    beta: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn linear_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

override TEXELS_PER_ROW: u32 = 1024u;

fn texel(t: texture_storage_2d<rgba32float, read>, q: u32) -> vec4<f32> {
    return textureLoad(t, vec2(q % TEXELS_PER_ROW, q / TEXELS_PER_ROW));
}

// ---- y = f(x) ----
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn unary_op(v: f32) -> f32 {
    switch OP {
        case 0u: { return max(v, 0.0); }
        case 1u: { return select(p.alpha * v, v, v > 0.0); }
        case 2u: {
            // Split by sign so exp never overflows.
            if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
            let e = exp(v);
            return e / (1.0 + e);
        }
        case 3u: { return tanh(v); }
        default: { return p.alpha * v; }
    }
}

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    y[i] = unary_op(x[i]);
}

@group(0) @binding(1) var x_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;

// p.n counts texels here.
@compute @workgroup_size(WG)
fn unary_texel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let q = linear_index(gid, nwg);
    if (q >= p.n) { return; }
    let v = texel(x_tex, q);
    y4[q] = vec4(unary_op(v.x), unary_op(v.y), unary_op(v.z), unary_op(v.w));
}

// ---- out = alpha everywhere ----
@group(0) @binding(1) var<storage, read_write> filled: array<f32>;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    filled[i] = p.alpha;
}

// ---- dx = f'(x) * dy, written in terms of y = f(x) ----
@group(0) @binding(1) var<storage, read> fy: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn activation_grad(v: f32) -> f32 {
    switch OP {
        case 0u: { return select(0.0, 1.0, v > 0.0); }
        case 1u: { return select(p.alpha, 1.0, v > 0.0); }
        case 2u: { return v * (1.0 - v); }
        default: { return 1.0 - v * v; }
    }
}

@compute @workgroup_size(WG)
fn activation_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    dx[i] = activation_grad(fy[i]) * dy[i];
}

@group(0) @binding(1) var fy_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var dy_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> dx4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn activation_backward_texel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let q = linear_index(gid, nwg);
    if (q >= p.n) { return; }
    let v = texel(fy_tex, q);
    let d = vec4(activation_grad(v.x), activation_grad(v.y), activation_grad(v.z), activation_grad(v.w));
    dx4[q] = d * texel(dy_tex, q);
}

// ---- out = a (op) b ----
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn binary_op(u: vec4<f32>, w: vec4<f32>) -> vec4<f32> {
    switch OP {
        case 0u: { return u + w; }
        case 1u: { return u - w; }
        case 2u: { return u * w; }
        default: { return p.alpha * u + p.beta * w; }
    }
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    out[i] = binary_op(vec4(a[i]), vec4(b[i])).x;
}

@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn binary_texel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let q = linear_index(gid, nwg);
    if (q >= p.n) { return; }
    out4[q] = binary_op(texel(a_tex, q), texel(b_tex, q));
}
