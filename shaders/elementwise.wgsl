// Element-wise maps. One entry per arity; the operation is an override constant, so each
// (entry, OP) pair compiles to its own branch-free pipeline.
//
// Unary OP:  0 relu, 1 leaky relu (slope = p.alpha), 2 sigmoid, 3 tanh, 4 scale (y = alpha*x),
// Activation backward takes the forward OUTPUT y (enough for all four activations):
//            0 relu, 1 leaky relu, 2 sigmoid, 3 tanh
// Binary OP: 0 a + b, 1 a - b, 2 a * b, 3 alpha*a + beta*b

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

// ---- y = f(x) ----
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    let v = x[i];
    var r: f32;
    switch OP {
        case 0u: { r = max(v, 0.0); }
        case 1u: { r = select(p.alpha * v, v, v > 0.0); }
        case 2u: {
            // Split by sign so exp never overflows.
            if (v >= 0.0) { r = 1.0 / (1.0 + exp(-v)); } else { let e = exp(v); r = e / (1.0 + e); }
        }
        case 3u: { r = tanh(v); }
        default: { r = p.alpha * v; }
    }
    y[i] = r;
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

@compute @workgroup_size(WG)
fn activation_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    let v = fy[i];
    var d: f32;
    switch OP {
        case 0u: { d = select(0.0, 1.0, v > 0.0); }
        case 1u: { d = select(p.alpha, 1.0, v > 0.0); }
        case 2u: { d = v * (1.0 - v); }
        default: { d = 1.0 - v * v; }
    }
    dx[i] = d * dy[i];
}

// ---- out = a (op) b ----
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    let u = a[i];
    let w = b[i];
    var r: f32;
    switch OP {
        case 0u: { r = u + w; }
        case 1u: { r = u - w; }
        case 2u: { r = u * w; }
        default: { r = p.alpha * u + p.beta * w; }
    }
    out[i] = r;
}
