// The Adam step's arithmetic, shared by adam.wgsl (storage buffers) and adam_texel.wgsl
// (inputs read from staged textures):
//   g  = grad + weight_decay * param
//   m  = beta1 m + (1 - beta1) g
//   v  = beta2 v + (1 - beta2) g^2
//   param -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps)
// with step_size = lr / (1 - beta1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) computed on
// the CPU from the step number t (bias correction).

override WG: u32 = 256u;

struct Params {
    n: u32,        // one past the last vec4 (adam_step4) or element (adam_step) to update
    first: u32,    // the first vec4 (adam_step4) or element (adam_step) to update
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    inv_sqrt_bc2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Four elements' new (param, m, v), from their old values and gradient.
struct Quad {
    w: vec4<f32>,
    m: vec4<f32>,
    v: vec4<f32>,
}

fn adam_quad(w: vec4<f32>, grad: vec4<f32>, m0: vec4<f32>, v0: vec4<f32>) -> Quad {
    let g = grad + p.weight_decay * w;
    let m1 = p.beta1 * m0 + (1.0 - p.beta1) * g;
    let v1 = p.beta2 * v0 + (1.0 - p.beta2) * g * g;
    return Quad(w - p.step_size * m1 / (sqrt(v1) * p.inv_sqrt_bc2 + p.eps), m1, v1);
}
