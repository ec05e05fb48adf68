// Element-wise maps. One entry per arity; the operation is an override constant, so each
// (entry, OP) pair compiles to its own branch-free pipeline.
//
// Unary OP:  0 relu, 1 leaky relu (slope = p.alpha), 2 sigmoid, 3 tanh, 4 scale (y = alpha*x),
// Activation backward takes the forward OUTPUT y (enough for all four activations):
//            0 relu, 1 leaky relu, 2 sigmoid, 3 tanh
// Binary OP: 0 a + b, 1 a - b, 2 a * b, 3 alpha*a + beta*b
//
// The activations come from activation.wgsl. The operations are shared by elementwise.wgsl (storage buffers, one element per
// invocation) and elementwise_texel.wgsl (each map's `_texel` twin for CPU adapters).

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

fn unary_op(v: f32) -> f32 {
    if (OP < 4u) {
        return activate(OP, p.alpha, v);
    }
    return p.alpha * v;
}

fn activation_grad(v: f32) -> f32 {
    switch OP {
        case 0u: { return select(0.0, 1.0, v > 0.0); }
        case 1u: { return select(p.alpha, 1.0, v > 0.0); }
        case 2u: { return v * (1.0 - v); }
        default: { return 1.0 - v * v; }
    }
}

fn binary_op(u: vec4<f32>, w: vec4<f32>) -> vec4<f32> {
    switch OP {
        case 0u: { return u + w; }
        case 1u: { return u - w; }
        case 2u: { return u * w; }
        default: { return p.alpha * u + p.beta * w; }
    }
}
