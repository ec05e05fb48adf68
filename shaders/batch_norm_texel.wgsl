// Batch normalisation on CPU adapters: the passes of prelude/batch_norm_passes.wgsl read x
// and dy, several times each, from staged rgba32float textures (prelude/texel_layout.wgsl,
// flat float f in texel f / 4) instead of storage buffers: on lavapipe a texel fetch costs
// about a third of a storage-buffer load of one float.

@group(0) @binding(1) var x_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var bx_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var bdy_tex: texture_storage_2d<rgba32float, read>;

fn texel_f32(t: texture_storage_2d<rgba32float, read>, f: u32) -> f32 {
    return texel(t, f / 4u)[f % 4u];
}

fn x_at(i: u32) -> f32 {
    return texel_f32(x_tex, i);
}

fn x_quad(q: u32) -> vec4<f32> {
    return texel(x_tex, q);
}

fn bx_at(i: u32) -> f32 {
    return texel_f32(bx_tex, i);
}

fn bdy_at(i: u32) -> f32 {
    return texel_f32(bdy_tex, i);
}

fn bx_quad(q: u32) -> vec4<f32> {
    return texel(bx_tex, q);
}

fn bdy_quad(q: u32) -> vec4<f32> {
    return texel(bdy_tex, q);
}
