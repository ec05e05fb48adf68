// adam_step4 on CPU adapters: the four inputs read from staged copies (rgba32float textures,
// prelude/texel_layout.wgsl), a fraction of a storage-buffer load's cost on lavapipe; the
// results stored to the buffers. See prelude/adam_update.wgsl, composed before this file.

@group(0) @binding(1) var<storage, read_write> param4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> v4: array<vec4<f32>>;
@group(0) @binding(4) var param_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(5) var grad_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var m_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(7) var v_tex: texture_storage_2d<rgba32float, read>;

@compute @workgroup_size(WG)
fn adam_step4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = p.first + gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let q = adam_quad(texel(param_tex, i), texel(grad_tex, i), texel(m_tex, i), texel(v_tex, i));
    m4[i] = q.m;
    v4[i] = q.v;
    param4[i] = q.w;
}
