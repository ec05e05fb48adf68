// One fused Adam step, in place, reading storage buffers (see prelude/adam_update.wgsl,
// composed before this file). `adam_step4` updates four elements per invocation with vec4
// loads and stores (fewer, wider memory operations); `adam_step` does the last n % 4
// elements, from p.first on.

// ---- four elements per invocation ----
@group(0) @binding(1) var<storage, read_write> param4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn adam_step4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = p.first + gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let q = adam_quad(param4[i], grad4[i], m4[i], v4[i]);
    m4[i] = q.m;
    v4[i] = q.v;
    param4[i] = q.w;
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
