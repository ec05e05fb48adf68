// One fused Adam step, in place (PyTorch's formulation, L2 weight decay added to the grad):
//   g  = grad + weight_decay * param
//   m  = beta1 m + (1 - beta1) g
//   v  = beta2 v + (1 - beta2) g^2
//   param -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps)
// with step_size = lr / (1 - beta1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) computed on
// the CPU from the step number t (bias correction).
//
// `adam_step4` updates four elements per invocation with vec4 loads and stores (fewer,
// wider memory operations); `adam_step` does the last n % 4 elements, from p.first on.
// With TEXEL_READS, adam_step4 reads its four inputs from staged copies (rgba32float
// textures, crates/tensor/src/texels.rs): on lavapipe a texel fetch costs a fraction of a
// storage-buffer load.

override WG: u32 = 256u;

struct Params {
    n: u32,        // adam_step4: vec4 count; adam_step: element count
    first: u32,    // adam_step: first element to update
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    inv_sqrt_bc2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- four elements per invocation ----
@group(0) @binding(1) var<storage, read_write> param4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v4: array<vec4<f32>>;

override TEXEL_READS: bool = false;
override TEXELS_PER_ROW: u32 = 1024u;
@group(0) @binding(5) var param_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var grad_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(7) var m_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(8) var v_tex: texture_storage_2d<rgba32float, read>;

fn texel(t: texture_storage_2d<rgba32float, read>, q: u32) -> vec4<f32> {
    return textureLoad(t, vec2(q % TEXELS_PER_ROW, q / TEXELS_PER_ROW));
}

@compute @workgroup_size(WG)
fn adam_step4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    var w: vec4<f32>;
    var g: vec4<f32>;
    var m0: vec4<f32>;
    var v0: vec4<f32>;
    if (TEXEL_READS) {
        w = texel(param_tex, i);
        g = texel(grad_tex, i);
        m0 = texel(m_tex, i);
        v0 = texel(v_tex, i);
    } else {
        w = param4[i];
        g = grad4[i];
        m0 = m4[i];
        v0 = v4[i];
    }
    g += p.weight_decay * w;
    let m1 = p.beta1 * m0 + (1.0 - p.beta1) * g;
    let v1 = p.beta2 * v0 + (1.0 - p.beta2) * g * g;
    m4[i] = m1;
    v4[i] = v1;
    param4[i] = w - p.step_size * m1 / (sqrt(v1) * p.inv_sqrt_bc2 + p.eps);
}

// ---- the same, one element per invocation ----
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = p.first + gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let w = param[i];
    let g = grad[i] + p.weight_decay * w;
    let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = m1;
    v[i] = v1;
    param[i] = w - p.step_size * m1 / (sqrt(v1) * p.inv_sqrt_bc2 + p.eps);
}
