// The element-wise maps' `_texel` twins for CPU adapters: four elements per invocation,
// inputs read from staged rgba32float textures (prelude/texel_layout.wgsl, flat float f in
// texel f / 4) and the result stored as one vec4. On lavapipe a storage-buffer load costs
// ≈ 20 cycles per float and lane, a texel fetch a small fraction of that per float. The
// operations are in prelude/elementwise_ops.wgsl, composed before this file.

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

@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn binary_texel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let q = linear_index(gid, nwg);
    if (q >= p.n) { return; }
    out4[q] = binary_op(texel(a_tex, q), texel(b_tex, q));
}
